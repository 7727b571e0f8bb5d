/**
 * `j6_futex_wait` and `j6_futex_wake`: jsix's user-space mutex and condition variable sleep
 * here. A futex is a 4-byte word of user memory; the kernel keys its wait queue by the word's
 * *physical* address (`Kernel.futex`, `@osbricks/ipc` Futex), so two processes that map the same
 * VMA meet on the same word wherever each mapped it — which the channel library relies on.
 *
 * ```
 *   futex_wait(addr, expected, timeout)   compare *addr with expected and sleep, as one step
 *                                         (a wake between the user's check and the sleep is never
 *                                         lost); *addr ≠ expected → j6_status_would_block at once
 *   futex_wake(addr, count)               wake up to count sleepers (0: all); returns how many
 * ```
 *
 * **Simplification: timeout 0 polls.** Ours: -1 waits forever, 0 polls (a word that still
 * matches returns j6_status_would_block, nothing queued), n > 0 waits at most n cycles (`common.ts`).
 * jsix's futex_wait (src/kernel/syscalls/futex.cpp) has no poll: it sets a wake timeout only
 * `if (timeout)`, so 0 there means *no* timeout, wait until woken.
 *
 * Related: `@osbricks/ipc` futex.ts, `../lib/channel/` (a user).
 */
import { FOREVER, IpcStatus } from "@osbricks/ipc";
import { type Trap, translateOrFault, type WaitRecord } from "@osbricks/kernel";
import { J6Status } from "../abi.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

/** A futex sleep: taken off the futex queue when cancelled; the ipc status becomes a j6 result. */
class J6FutexWait implements WaitRecord {
  readonly on = "futex";
  readonly interruptible = true;
  readonly restart: Trap | null = null;
  constructor(
    private readonly s: JsixState,
    private readonly slot: number,
  ) {}
  cancel(): void {
    this.s.k.ipc.threadExit(this.slot);
  }
  complete(st: IpcStatus): number {
    if (st === IpcStatus.Ok) return 0;
    return st === IpcStatus.TimedOut ? -J6Status.err_timed_out : -J6Status.closed;
  }
}

/** The futex handlers. */
export function futexCalls(s: JsixState): Pick<Handlers, "j6_futex_wait" | "j6_futex_wake"> {
  const k = s.k;
  return {
    j6_futex_wait(t, addr, expected, timeout) {
      if (addr % 4 !== 0 || timeout < -1) return -J6Status.err_invalid_arg;
      const pa = translateOrFault(k, t.process.vm, addr, "read", t);
      if (pa < 0) return -J6Status.err_invalid_arg;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -J6Status.err_insufficient;
      if (timeout > 0 && k.now > k.ipc.now) k.ipc.advanceTo(k.now);
      const st = k.futex.wait(slot, pa, expected >>> 0, timeout < 0 ? FOREVER : timeout);
      // a changed word, and a poll (timeout 0) of a word that still matches, both would block
      if (st === IpcStatus.ValueMismatch || st === IpcStatus.WouldBlock) return -J6Status.would_block;
      if (st !== IpcStatus.Blocked)
        return st === IpcStatus.TimedOut ? -J6Status.err_timed_out : -J6Status.err_unexpected;
      s.counters.futexWaits++;
      return k.block(t, new J6FutexWait(s, slot));
    },
    j6_futex_wake(t, addr, count) {
      if (addr % 4 !== 0) return -J6Status.err_invalid_arg;
      const pa = translateOrFault(k, t.process.vm, addr, "read", t);
      if (pa < 0) return -J6Status.err_invalid_arg;
      const n = k.futex.wake(pa, count === 0 ? 0x7fff_ffff : count);
      s.counters.futexWakes += n;
      return n;
    },
  };
}
