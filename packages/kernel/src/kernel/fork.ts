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
 *   parent frame:  fn(args) ─next(h0)→ trap0 ─next(h1)→ trap1 … ─next(hn)→ fork trap  ─next(pid)→ …
 *   child frame:   fn(args) ─next(h0)→ (ignored) … ─next(hn)→ fork trap (checked)     ─next(0)→ …
 * ```
 *
 * The cost is proportional to the history (a loop of n forks costs O(n²) in all; `clone(fn, arg)`
 * avoids it). A program that keeps state in outside JavaScript variables sees the replay and may
 * diverge: the child then does not arrive at the fork trap, and it is killed with a crash report.
 *
 * Related: `lifecycle.ts` (`fork`), `../process/history.ts`.
 */
import type { Process } from "../process/process.js";
import type { Thread } from "../process/thread.js";
import type { ProcessStart, UserFunction } from "../program/image.js";
import type { UserCode } from "../program/trap.js";
import type { Kernel } from "./kernel.js";

/**
 * Rebuild `from`'s frames in `to` by replaying their histories. Returns an error text, or null.
 */
export function replayFrames(k: Kernel, from: Thread, to: Thread, child: Process): string | null {
  let error: string | null = null;
  for (const f of from.frames) {
    const args = f.signal === 0 && from.isMain && f === from.frames[0] ? rebindStart(f.args, child) : f.args;
    const code = (f.fn as (...a: unknown[]) => UserCode<unknown>)(...args);
    const h = f.history;
    const n = h.length;
    if (error === null) {
      try {
        let last: IteratorResult<unknown, unknown> | null = null;
        for (let i = 0; i < n; i++) {
          last = code.next(h.at(i));
          if (last.done === true) {
            error = `frame ${f.entry.toString(16)} returned during replay at step ${i}`;
            break;
          }
        }
        // The top frame must arrive at the very fork trap the parent is executing.
        const trap = k.currentTrap;
        if (error === null && f === from.top() && last !== null && trap !== null && trap.kind === "syscall") {
          const got = last.value as { kind?: unknown; nr?: unknown } | null;
          if (got === null || typeof got !== "object" || got.kind !== "syscall" || got.nr !== trap.nr) {
            error = `the replayed program did not arrive at the fork (it yielded ${JSON.stringify(got)}): it depends on state outside its locals and memory`;
          }
        }
      } catch (e) {
        error = `frame threw during replay: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    to.frames.push({ ...f, code, args, history: f.history.clone() });
    to.regs.rip = f.entry;
  }
  return error;
}

function rebindStart(args: readonly unknown[], child: Process): unknown[] {
  const s = args[0] as ProcessStart;
  return [{ ...s, addressOf: (fn: UserFunction) => child.text.addressOf(fn) }, ...args.slice(1)];
}
