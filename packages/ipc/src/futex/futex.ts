/**
 * Futexes: wait while a 32-bit word in simulated memory holds a value; wake n waiters. The one
 * primitive a user-space mutex, condition variable or join needs from the kernel (Linux futex(2),
 * Twizzler's ThreadSync, jsix's futex_wait / futex_wake); the fast path never enters the kernel.
 *
 * ```
 *   user space (pthread mutex)                     kernel (this file)
 *   ─────────────────────────                      ──────────────────
 *   CAS word 0→1 succeeds: locked, no trap
 *   contended: word = 2, futexWait(pa, 2) ──────▶  read32(pa) == 2 ? queue on key pa : ValueMismatch
 *   unlock: word = 0, futexWake(pa, 1) ─────────▶  wake the first waiter on key pa
 * ```
 *
 * **No lost wake-up.** The compare and the enqueue happen in one step inside the kernel (one trap;
 * nothing else runs in between in the simulation, which is what the hash-bucket lock gives Linux):
 * if the unlocker changed the word before the waiter's trap, the compare fails and the waiter
 * returns at once; if after, the waiter is already queued when the wake comes.
 * `test/futex.test.ts` checks this by running every interleaving of small programs.
 *
 * **Keys are physical addresses.** The kernel translates the user's virtual address through the
 * thread's address space before calling in, so two processes that map the same frame at different
 * virtual addresses share one futex, and a private word at the same virtual address in two
 * processes does not (Linux keys shared futexes by inode+offset for the same reason).
 *
 * Invariants ({@link Futex.checkInvariants}): every key with a queue has at least one waiter;
 * each waiter's recorded key is the key of the queue it is on.
 *
 * Related: `../core/threads.ts` (wait lists), `@osbricks/hw-x86` `PhysicalMemory.read32`.
 */
import type { PhysicalMemory } from "@osbricks/hw-x86";
import { FOREVER, IpcStatus, type ThreadId } from "../api.js";
import { type Blocker, type IpcThreads, ThreadIpcState } from "../core/threads.js";
import { WaitList } from "../core/wait-list.js";
import { InvariantError, IpcArgumentError } from "../errors.js";

/** The part of physical memory a futex reads: `PhysicalMemory` satisfies it. */
export type FutexMemory = Pick<PhysicalMemory, "read32">;

/** Result of {@link Futex.cmpRequeue}. */
export interface FutexRequeueResult {
  /** Ok, or ValueMismatch when the word at `from` no longer held the expected value. */
  readonly status: typeof IpcStatus.Ok | typeof IpcStatus.ValueMismatch;
  /** Waiters woken with Ok (0 on ValueMismatch). */
  readonly woken: number;
  /** Waiters moved to the other word, still blocked (0 on ValueMismatch). */
  readonly moved: number;
}

/** Whether `x` is a 32-bit word written signed or unsigned: an integer in −2^31..2^32−1. */
function isWord(x: number): boolean {
  return Number.isInteger(x) && x >= -0x8000_0000 && x <= 0xffff_ffff;
}

function badWord(call: string, expected: number): never {
  throw new IpcArgumentError(
    `${call}, expected=${expected}): expected a 32-bit word (an integer in −2^31..2^32−1)`,
  );
}

/** Options of {@link Futex}. */
export interface FutexOptions {
  /** Name in traces and errors. Default `"futex"`. */
  readonly name?: string;
}

/**
 * The futex table of one machine: one FIFO wait list per physical address in use.
 *
 * @example
 * const mem = new PhysicalMemory({ size: 1 << 20 });
 * const threads = new IpcThreads({ maxThreads: 2, waker: { wake() {} } });
 * const futex = new Futex(threads, mem);
 * mem.write32(0x1000, 2);
 * futex.wait(0, 0x1000, 2);   // Blocked: the word still holds 2
 * futex.wake(0x1000, 1);      // 1: thread 0 woken with Ok
 */
export class Futex implements Blocker {
  readonly name: string;
  /** `<name>.wait`, made once: the runnable check takes the call's name on every wait. */
  private readonly waitCall: string;
  private readonly queues = new Map<number, WaitList>();
  /**
   * The list of the last key whose queue emptied, kept for the next key that needs one: a lock's
   * or a join's wait is usually the only one on its word, so most waits would otherwise make a
   * list and drop it at the wake. An emptied list is a fresh one (head and tail -1, length 0).
   */
  private spare: WaitList | null = null;
  private readonly keyOf: Float64Array;

  constructor(
    private readonly threads: IpcThreads,
    private readonly memory: FutexMemory,
    options: FutexOptions = {},
  ) {
    this.name = options.name ?? "futex";
    this.waitCall = `${this.name}.wait`;
    this.keyOf = new Float64Array(threads.maxThreads).fill(-1);
  }

  /**
   * If the word at physical address `pa` equals `expected`, block `t` until a wake on `pa` (or the
   * timeout); otherwise return at once.
   * @param expected a 32-bit word, signed or unsigned (−2^31..2^32−1), compared as unsigned:
   *   −1 and 0xFFFFFFFF are the same word. Linux's `val` is a `u32`.
   * @returns Blocked, ValueMismatch (the word changed: retry in user space), or WouldBlock
   *   (timeout {@link NO_WAIT} and the word matched).
   * @throws IpcArgumentError when `pa` is not a 4-byte aligned non-negative integer, `expected`
   *   is not a 32-bit word (0.5 or 2^32 would match the word 0 after `>>> 0`), or the timeout is
   *   not ≥ 0; nothing changes then.
   */
  wait(t: ThreadId, pa: number, expected: number, timeout: number = FOREVER): IpcStatus {
    this.threads.checkRunnable(t, this.waitCall);
    this.checkAddress("wait", pa);
    if (!(timeout >= 0))
      throw new IpcArgumentError(`${this.name}.wait(thread=${t}, timeout=${timeout}): expected ≥ 0`);
    if (!isWord(expected)) badWord(`${this.name}.wait(thread=${t}, pa=0x${pa.toString(16)}`, expected);
    if (this.memory.read32(pa) >>> 0 !== expected >>> 0) return IpcStatus.ValueMismatch;
    if (timeout === 0) return IpcStatus.WouldBlock;
    let q = this.queues.get(pa);
    if (q === undefined) {
      q = this.newQueue();
      this.queues.set(pa, q);
    }
    q.push(t);
    this.keyOf[t] = pa;
    this.threads.block(t, this, ThreadIpcState.Waiting, timeout);
    this.threads.tracer?.emit({ type: "ipc.futex", op: "wait", key: pa, count: q.length });
    return IpcStatus.Blocked;
  }

  /**
   * Wake up to `count` threads waiting on `pa`, oldest first, with Ok.
   * @returns the number woken.
   */
  wake(pa: number, count: number): number {
    this.checkAddress("wake", pa);
    if (!Number.isInteger(count) || count < 0) {
      throw new IpcArgumentError(
        `${this.name}.wake(pa=0x${pa.toString(16)}, count=${count}): expected an integer ≥ 0`,
      );
    }
    const q = this.queues.get(pa);
    let n = 0;
    while (q !== undefined && n < count && q.length > 0) {
      const t = q.shift();
      this.keyOf[t] = -1;
      const emptied = q.length === 0;
      // An emptied list becomes the spare before the wake-up, which may reach a waiter that
      // waits again on another word and is given that list: stop reading it here.
      if (emptied) this.dropQueue(pa, q);
      this.threads.finish(t, IpcStatus.Ok);
      n++;
      if (emptied) break;
    }
    this.threads.tracer?.emit({ type: "ipc.futex", op: "wake", key: pa, count: n });
    return n;
  }

  /**
   * Wake up to `wakeCount` waiters of `from` and move up to `moveCount` more onto `to` without
   * waking them (Linux FUTEX_REQUEUE): a condition-variable broadcast moves waiters to the mutex's
   * word instead of waking a thundering herd that would fight for it.
   * @returns the numbers woken and moved.
   * @throws IpcArgumentError naming `requeue` when an address is not 4-byte aligned or a count is
   *   not an integer ≥ 0; nobody is woken or moved then.
   */
  requeue(from: number, to: number, wakeCount: number, moveCount: number): { woken: number; moved: number } {
    // Every argument is checked here, before the wake-ups, so an error names requeue and a
    // refused call wakes and moves nobody.
    this.checkRequeue("requeue", from, to, wakeCount, moveCount);
    return this.requeueChecked(from, to, wakeCount, moveCount);
  }

  /** {@link Futex.requeue} once its arguments have passed `checkRequeue`. */
  private requeueChecked(
    from: number,
    to: number,
    wakeCount: number,
    moveCount: number,
  ): { woken: number; moved: number } {
    const woken = this.wake(from, wakeCount);
    const q = this.queues.get(from);
    let moved = 0;
    if (q !== undefined && from !== to) {
      let dst = this.queues.get(to);
      while (moved < moveCount && q.length > 0) {
        const t = q.shift();
        if (dst === undefined) {
          dst = this.newQueue();
          this.queues.set(to, dst);
        }
        dst.push(t);
        this.keyOf[t] = to;
        moved++;
      }
      if (q.length === 0) this.dropQueue(from, q);
    }
    return { woken, moved };
  }

  /**
   * {@link Futex.requeue} guarded by the word at `from`, as Linux FUTEX_CMP_REQUEUE: if the word
   * does not hold `expected` (compared as unsigned 32-bit words, as {@link Futex.wait} compares),
   * nobody is woken or moved and the result is ValueMismatch (Linux: EAGAIN). The compare and the
   * requeue are one step, as the compare and the enqueue of a wait are.
   *
   * Why it exists: a condition variable's broadcast reads the sequence word, then requeues its
   * waiters onto the mutex. With plain FUTEX_REQUEUE a waiter that arrives between the read and
   * the requeue is moved although the broadcast was not meant for it; futex(2) calls
   * FUTEX_REQUEUE "broken" for that reason, and glibc uses only FUTEX_CMP_REQUEUE.
   *
   * @returns status Ok with the numbers woken and moved, or ValueMismatch with both 0.
   * @throws IpcArgumentError naming `cmpRequeue` for a misaligned address, a count that is not an
   *   integer ≥ 0, or an `expected` that is not a 32-bit word; nobody is woken or moved then.
   * @example
   * const mem = new PhysicalMemory({ size: 1 << 20 });
   * const futex = new Futex(new IpcThreads({ maxThreads: 4, waker: { wake() {} } }), mem);
   * mem.write32(0x1000, 7);                       // the condition variable's sequence number
   * for (const t of [0, 1, 2]) futex.wait(t, 0x1000, 7);
   * futex.cmpRequeue(0x1000, 0x2000, 1, 10, 6);   // { status: ValueMismatch, woken: 0, moved: 0 }
   * futex.cmpRequeue(0x1000, 0x2000, 1, 10, 7);   // { status: Ok, woken: 1, moved: 2 }: 1 and 2 wait on 0x2000
   */
  cmpRequeue(
    from: number,
    to: number,
    wakeCount: number,
    moveCount: number,
    expected: number,
  ): FutexRequeueResult {
    this.checkRequeue("cmpRequeue", from, to, wakeCount, moveCount);
    if (!isWord(expected)) badWord(`${this.name}.cmpRequeue(from=0x${from.toString(16)}`, expected);
    if (this.memory.read32(from) >>> 0 !== expected >>> 0) {
      return { status: IpcStatus.ValueMismatch, woken: 0, moved: 0 };
    }
    const { woken, moved } = this.requeueChecked(from, to, wakeCount, moveCount);
    return { status: IpcStatus.Ok, woken, moved };
  }

  /** Number of threads waiting on `pa`. */
  waiters(pa: number): number {
    return this.queues.get(pa)?.length ?? 0;
  }

  /** Blocker: take `t` off its key's queue (timeout or cancel). */
  detach(t: ThreadId): void {
    const key = this.keyOf[t]!;
    const q = this.queues.get(key);
    if (q === undefined) return;
    q.remove(t);
    this.keyOf[t] = -1;
    if (q.length === 0) this.dropQueue(key, q);
  }

  private newQueue(): WaitList {
    const q = this.spare;
    if (q === null) return new WaitList(this.threads, "fifo");
    this.spare = null;
    return q;
  }

  private dropQueue(key: number, q: WaitList): void {
    this.queues.delete(key);
    this.spare = q;
  }

  /** Throws {@link InvariantError} naming the first broken invariant. */
  checkInvariants(): void {
    for (const [key, q] of this.queues) {
      if (q.length === 0)
        throw new InvariantError(`${this.name}: empty queue kept for key 0x${key.toString(16)}`);
      q.check(this, ThreadIpcState.Waiting, `queue 0x${key.toString(16)}`);
      for (const t of q.toArray()) {
        if (this.keyOf[t] !== key)
          throw new InvariantError(
            `${this.name}: thread ${t} on queue 0x${key.toString(16)} records key ${this.keyOf[t]}`,
          );
      }
    }
  }

  private checkRequeue(call: string, from: number, to: number, wakeCount: number, moveCount: number): void {
    this.checkAddress(call, from);
    this.checkAddress(call, to);
    if (!Number.isInteger(wakeCount) || wakeCount < 0) {
      throw new IpcArgumentError(
        `${this.name}.${call}(from=0x${from.toString(16)}, wakeCount=${wakeCount}): expected an integer ≥ 0`,
      );
    }
    if (!Number.isInteger(moveCount) || moveCount < 0) {
      throw new IpcArgumentError(`${this.name}.${call}(moveCount=${moveCount}): expected an integer ≥ 0`);
    }
  }

  private checkAddress(call: string, pa: number): void {
    if (!Number.isInteger(pa) || pa < 0 || pa % 4 !== 0) {
      throw new IpcArgumentError(
        `${this.name}.${call}(pa=${pa}): expected a 4-byte aligned physical address`,
      );
    }
  }
}
