/**
 * Checkpoints: a program names its own continuation, so fork need not replay its whole past.
 *
 * A generator cannot be copied, so fork rebuilds the child's continuation by re-running the
 * parent's generator from its entry and feeding it every value the parent was resumed with
 * (`../kernel/fork.ts`). That is exact, but it costs the whole history: the i-th turn of a
 * `for (;;) { fork(); … waitpid(); }` loop replays about 3i values, and the loop O(n²) in all.
 *
 * A checkpoint is the program saying: "everything I still need is in these arguments and in my
 * memory; from here on, I am `fn(...args)` started afresh". The kernel then forgets the frame's
 * history up to this point and rebuilds the frame at a fork as `fn(...args)` plus only the values
 * resumed since. It is the idea of Mach's continuations (Draves, Bershad, Rashid and Dean, "Using
 * Continuations to Implement Thread Management and Communication in Operating Systems", SOSP
 * 1991): a thread about to block names the function to run when it wakes and the little state
 * that function needs, and the kernel discards its stack. Here the "stack" discarded is the
 * replay history, and the state must be explicit for the same reason: it is all that survives.
 *
 * ```
 *   without:  entry ─h0 h1 h2 … h2999─▶ fork        the child replays 3000 values
 *   with:     entry … checkpoint(loop, n, i=1000, st) ─h0 h1 h2─▶ fork
 *             the frame is now loop(n, 1000, st); the child replays 3 values
 * ```
 *
 * **The promise**, which the program makes and the kernel partly checks:
 *
 * 1. `fn(...args)`, started afresh, yields this same checkpoint (same `fn`, the same arguments by
 *    `Object.is`) as its very first trap. The kernel checks this at every fork that rebuilds the
 *    frame, before it replays anything, and kills the child with a report when it does not hold.
 * 2. From that checkpoint on, `fn(...args)` behaves as the frame does: its locals at this point
 *    are a function of `args` alone (everything else it needs is in simulated memory, which fork
 *    copies), and it is the whole rest of the frame — what the function that called it would have
 *    done with its result is not run. A program that breaks this diverges in the child, as a
 *    program keeping state outside its locals does without checkpoints; a divergence the fork can
 *    see (the child does not arrive at the fork trap) is reported the same way.
 *
 * The arguments must be primitives: a checkpoint keeps them, and an object the program goes on
 * mutating would no longer be the state at the checkpoint. State larger than a few numbers lives
 * in simulated memory, where fork's copy-on-write copy carries it to the child.
 *
 * Two more effects: a checkpoint bounds a frame's history, so a long-running program that
 * checkpoints can fork after any number of traps (without, fork fails with ENOMEM once the
 * history limit is reached); and a checkpoint costs one trap, with no system call.
 *
 * Related: `trap.ts` (`CheckpointTrap`), `../kernel/fork.ts` (what the kernel does with it).
 */
import type { CheckpointTrap, UserCode } from "./trap.js";

/** A value a checkpoint may carry: what can be compared with `Object.is` and never changes. */
export type CheckpointValue = number | bigint | string | boolean | undefined | null;

/**
 * Declare a restart point: from here on the calling frame continues as `fn(...args)` started
 * afresh would (see the file comment for the promise this makes). Returns nothing.
 *
 * @remarks The trap always yields, also while fork replays a frame: the kernel must see it to check
 *   that a rebuilt frame restarts here. The kernel kills a program whose `fn` is not a function or
 *   whose arguments are not primitives (SIGILL, a broken program), as it does for a bad `compute`.
 * @example
 * ```ts
 * // sysrate.c's fork loop: each turn replays 3 values at its fork, not 3i.
 * function* loop(n: number, i: number, st: number): UserCode<number> {
 *   for (; i < n; i++) {
 *     yield* checkpoint(loop, n, i, st); // all this turn needs: n, i and st
 *     const pid = yield* sys.fork();
 *     if (pid === 0) yield* sys.exit_group(7);
 *     yield* sys.waitpid(pid, st, 0);
 *   }
 *   return 0;
 * }
 * ```
 */
export function* checkpoint<A extends CheckpointValue[]>(
  fn: (...args: A) => UserCode<unknown>,
  ...args: A
): UserCode<void> {
  const trap: CheckpointTrap = {
    kind: "checkpoint",
    fn: fn as unknown as (...a: never[]) => UserCode<unknown>,
    args,
  };
  yield trap;
}

/**
 * Why `trap` is not a checkpoint the kernel can keep, or null when it is: `fn` must be a function
 * and `args` an array of at most {@link MAX_CHECKPOINT_ARGS} primitives.
 */
export function checkpointError(trap: CheckpointTrap): string | null {
  if (typeof trap.fn !== "function") return `checkpoint(fn=${String(trap.fn)}): fn is not a function`;
  const args = trap.args;
  if (!Array.isArray(args) || args.length > MAX_CHECKPOINT_ARGS) {
    return `checkpoint(${trap.fn.name || "fn"}, …): the arguments are not an array of at most ${MAX_CHECKPOINT_ARGS} values`;
  }
  for (let i = 0; i < args.length; i++) {
    const v: unknown = args[i];
    const t = typeof v;
    if (
      !(
        v === null ||
        t === "number" ||
        t === "bigint" ||
        t === "string" ||
        t === "boolean" ||
        t === "undefined"
      )
    ) {
      return `checkpoint(${trap.fn.name || "fn"}, …): argument ${i} is ${t === "object" ? "an object" : `a ${t}`}; expected a primitive (keep larger state in memory)`;
    }
  }
  return null;
}

/** Most arguments one checkpoint carries (what a C function passes in registers, and then some). */
export const MAX_CHECKPOINT_ARGS = 16;

/** Whether two checkpoints name the same continuation: the same function and arguments by `Object.is`. */
export function sameCheckpoint(a: CheckpointTrap, fn: unknown, args: readonly unknown[]): boolean {
  if (a.fn !== fn || !Array.isArray(a.args) || a.args.length !== args.length) return false;
  for (let i = 0; i < args.length; i++) if (!Object.is(a.args[i], args[i])) return false;
  return true;
}
