/**
 * fork by replay: how the child of a fork gets a continuation although a generator cannot be
 * copied.
 *
 * Every frame records the values it was resumed with (`Frame.history`, a `History`). The child
 * re-creates each generator from the same function and arguments and feeds it the same values:
 * because a program's only inputs are its trap results, it arrives at the very `yield` of the
 * fork trap, with the same locals, and is then resumed with 0. Its memory is the copy-on-write
 * copy of the parent's, so the stores it "replays" are not executed again.
 *
 * ```
 *   parent frame:  fn(args) ─next(h0)→ trap1 ─next(h1)→ trap2 … ─next(hn)→ fork trap  ─next(pid)→ …
 *   child frame:   fn(args) ─next(h0)→ stubs take h1 … hn, no yield → fork trap (checked) ─next(0)→ …
 * ```
 *
 * The replay is silent (`../program/replay.ts`): while it runs, every trap stub returns the next
 * recorded value instead of yielding, so a program written with `yield*` stubs is replayed inside
 * one `next()` call, with no generator suspended and resumed per trap. A raw `yield` in a program
 * comes back to the loop here, which resumes it with the next value. When no value is left, the
 * next trap is yielded for real and the generator stays suspended there, as the parent's is.
 * Each child frame records on into a clone of the parent frame's history, which shares the
 * recorded prefix copy-on-write (`History.clone`), so fork copies no history either.
 *
 * The cost is proportional to the history (a loop of n forks costs O(n²) in all). Two ways
 * around it: `clone(fn, arg)` starts the child elsewhere and replays nothing, and a program that
 * declares a checkpoint (`../program/checkpoint.ts`) is rebuilt from its last one: the frame
 * becomes `fn(...args)` at the checkpoint and its history restarts there, so a fork replays only
 * the values since. The child's first trap from such a frame must be that very checkpoint.
 *
 * A program that keeps state in outside JavaScript variables sees the replay and may diverge:
 * the child then does not arrive at the fork trap (or returns, or throws during the replay), and
 * it is killed with a crash report. The cursor is cleared in every one of these
 * cases, so no later trap of any thread is answered from a history.
 *
 * Related: `lifecycle.ts` (`fork`), `../process/history.ts`, `../program/replay.ts`.
 */
import { Sig } from "../posix/signals.js";
import { History } from "../process/history.js";
import type { Process } from "../process/process.js";
import type { Frame, Thread } from "../process/thread.js";
import { checkpointError, sameCheckpoint } from "../program/checkpoint.js";
import { addressesIn, type ProcessStart } from "../program/image.js";
import { replayCursor } from "../program/replay.js";
import type { CheckpointTrap, Trap, UserCode } from "../program/trap.js";
import type { Kernel } from "./kernel.js";

const replay = replayCursor;

/**
 * Rebuild `from`'s frames in `to` by replaying their histories.
 *
 * @returns null when every frame was rebuilt and the top one stopped at the fork trap the kernel
 *   is executing (`k.currentTrap`); otherwise why not (a frame returned or threw during its
 *   replay, or the top frame yielded another trap). The caller kills the child with that report.
 *   Frames after the first failure are still pushed (not replayed), so the child can be torn
 *   down like any thread.
 * @remarks Never throws for what a program does: its exceptions become the report. The replay
 *   cursor is set for one frame at a time and always cleared before this returns.
 */
export function replayFrames(k: Kernel, from: Thread, to: Thread, child: Process): string | null {
  let error: string | null = null;
  for (const f of from.frames) {
    const rebind = f.signal === 0 && from.isMain && f === from.frames[0] && !f.checkpointed;
    const args = rebind ? rebindStart(f.args, child) : f.args;
    const code = (f.fn as (...a: unknown[]) => UserCode<unknown>)(...args);
    const h = f.history;
    const n = h.length;
    if (error === null && n > 0) {
      try {
        // Value 0 starts the generator; the stubs consume the rest silently, raw yields come back
        // here for theirs. Nothing left and suspended: the frame is where the parent's is.
        let last: IteratorResult<Trap, unknown>;
        if (f.checkpointed) {
          // The cursor is not yet set, so the first trap of fn(...args) is yielded, not answered:
          // it must be the checkpoint the frame restarts from (program/checkpoint.ts, promise 1).
          last = code.next(h.at(0));
          error = restartedAtCheckpoint(f, last);
          replay.begin(h, 1);
        } else {
          replay.begin(h, 1);
          last = code.next(h.at(0));
        }
        if (error === null) {
          while (last.done !== true && replay.pending()) last = code.next(replay.take());
          if (last.done === true) {
            error = `frame ${f.entry.toString(16)} returned during replay at step ${replay.position - 1}`;
          } else if (f === from.top()) error = arrivedAtFork(k, last.value);
        }
      } catch (e) {
        error = `frame threw during replay: ${e instanceof Error ? e.message : String(e)}`;
      } finally {
        replay.finish();
      }
    }
    to.frames.push({ ...f, code, args, history: f.history.clone() });
    to.regs.rip = f.entry;
  }
  return error;
}

/**
 * A `checkpoint` trap of the running thread's top frame: from now on the frame is `fn(...args)`
 * with a history that starts here (see `../program/checkpoint.ts`). The old history is dropped, so
 * the next fork replays only what follows. A checkpoint that cannot be kept (`fn` not a function,
 * an argument not a primitive) kills the process as a broken program (SIGILL).
 */
export function takeCheckpoint(k: Kernel, t: Thread, trap: CheckpointTrap): void {
  const why = checkpointError(trap);
  if (why !== null) {
    k.crash(t, why, Sig.SIGILL);
    return;
  }
  const top = t.frames.length - 1;
  const f = t.frames[top]!;
  const history = new History(f.history.limit);
  history.push(undefined); // value 0: the first next(), which starts fn(...args) afresh
  // A copy of the arguments: the frame must not see later changes to the array the trap carried.
  t.frames[top] = { ...f, fn: trap.fn, args: trap.args.slice(), history, checkpointed: true };
}

/** A checkpointed frame's restart must first yield its own checkpoint: null, or why not. */
function restartedAtCheckpoint(f: Frame, first: IteratorResult<Trap, unknown>): string | null {
  const got = first.value as Trap | undefined;
  if (first.done !== true && got?.kind === "checkpoint" && sameCheckpoint(got, f.fn, f.args)) return null;
  const name = f.fn.name || "fn";
  const what =
    first.done === true
      ? "returned"
      : `yielded ${JSON.stringify(got, (_, v) => (typeof v === "bigint" ? `${v}n` : typeof v === "function" ? v.name || "fn" : v))}`;
  return `${name}(${f.args.map(String).join(", ")}) did not restart at its checkpoint (it ${what} first): the checkpoint promised a continuation that does not begin there`;
}

/** The top frame must stop at the very fork trap the parent is executing: null, or why not. */
function arrivedAtFork(k: Kernel, value: unknown): string | null {
  const trap = k.currentTrap;
  if (trap === null || trap.kind !== "syscall") return null;
  const got = value as { kind?: unknown; nr?: unknown } | null;
  if (got !== null && typeof got === "object" && got.kind === "syscall" && got.nr === trap.nr) return null;
  return `the replayed program did not arrive at the fork (it yielded ${JSON.stringify(got)}): it depends on state outside its locals and memory`;
}

function rebindStart(args: readonly unknown[], child: Process): unknown[] {
  const s: ProcessStart = { ...(args[0] as ProcessStart), addressOf: addressesIn(child.text) };
  return args.length === 1 ? [s] : [s, ...args.slice(1)];
}
