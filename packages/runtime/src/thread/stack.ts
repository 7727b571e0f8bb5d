/**
 * Thread stacks: one anonymous mapping per thread, a guard below, the control block on top —
 * NPTL's layout (glibc `nptl/allocatestack.c`) — and a cache of stacks for reuse.
 *
 * ```
 *   high  ┌────────────────────┐ ◀── map base + map bytes
 *         │ TCB (one page)     │     pthread_t points here; the thread's first rsp is its base
 *         ├────────────────────┤ ◀── initial stack pointer
 *         │ stack  RW-         │     grows down; frames probe it (Pthread.frame)
 *         │         ↓          │
 *         ├────────────────────┤ ◀── map base + guard bytes
 *         │ guard  --- (PROT_NONE)   a store here is #PF with a protection-violation error code:
 *   low   └────────────────────┘     the kernel's fault path finds no right and raises SIGSEGV
 * ```
 *
 * The guard is a real mapping with PROT_NONE (`mprotect`), not a hole, so no other mapping can be
 * placed there (Linux's `stack_guard_gap` has the same purpose for the main stack).
 *
 * **The stack cache.** A joined thread's stack goes on a list in the runtime area instead of back
 * to the kernel; `allocateStack` takes a cached stack of the same size first. A detached thread
 * puts itself on the list while it is still running its last instructions, so an entry is reused
 * only once the kernel has cleared its `tid` word (CLONE_CHILD_CLEARTID): then the thread is gone
 * for good. glibc's `get_cached_stack` checks the same word.
 *
 * Invariant: every entry on the list has magic `TCB_DEAD`; the count word equals the list length.
 *
 * Related: `../api.ts` (TcbLayout, AreaLayout), `pthread.ts` (create, join, detach, exit).
 */
import { MapFlags, mem, PROT_NONE, Prot, posixStubs as sys, type UserCode } from "@osbricks/kernel";
import {
  AreaLayout as A,
  AREA_MAGIC,
  JoinState,
  STACK_CACHE_MAX,
  TcbLayout as T,
  TCB_BYTES,
  TCB_DEAD,
  TCB_LIVE,
} from "../api.js";
import { RuntimeInvariantError } from "../errors.js";
import { lllLock, lllUnlock } from "../sync/lll.js";

/** Load a 64-bit pointer as a number (user addresses are below 2^47). */
export function* loadPtr(va: number): UserCode<number> {
  return Number(yield* mem.load64(va));
}

/** Store a 64-bit pointer or value (two's complement for negative numbers). */
export function* storePtr(va: number, value: number): UserCode<void> {
  yield* mem.store64(va, BigInt.asUintN(64, BigInt(value)));
}

/** Load a signed 64-bit value as a number. */
export function* loadI64(va: number): UserCode<number> {
  return Number(BigInt.asIntN(64, yield* mem.load64(va)));
}

/**
 * Fill a (fresh or reused) control block for a new thread: joinable or detached, live. `retval`
 * is written by the exit path before anyone may read it, `next` when the block joins the cache,
 * and the exit path leaves `specific` zeroed (`keys.ts`), so three stores suffice.
 */
function* initTcb(tcb: number, arg: number, detached: boolean): UserCode<void> {
  yield* mem.store32(tcb + T.JOIN, detached ? JoinState.DETACHED : JoinState.JOINABLE);
  yield* storePtr(tcb + T.ARG, arg);
  yield* mem.store32(tcb + T.MAGIC, TCB_LIVE);
}

/**
 * A control block with a stack below it: from the cache when one of the same size is free, else
 * a fresh mapping with its guard.
 * @returns the TCB address, or −errno (ENOMEM, EINVAL) from mmap/mprotect.
 */
export function* allocateStack(
  area: number,
  stackBytes: number,
  guardBytes: number,
  arg: number,
  detached: boolean,
): UserCode<number> {
  let cur = 0;
  // An unlocked peek first: an empty cache costs one load, not a lock round trip.
  if ((yield* loadPtr(area + A.CACHE_HEAD)) !== 0) cur = yield* takeCached(area, stackBytes, guardBytes);
  if (cur !== 0) {
    yield* initTcb(cur, arg, detached);
    return cur;
  }
  const bytes = guardBytes + stackBytes + TCB_BYTES;
  const base = yield* sys.mmap(
    0,
    bytes,
    Prot.PROT_READ | Prot.PROT_WRITE,
    MapFlags.MAP_PRIVATE | MapFlags.MAP_ANONYMOUS,
    -1,
    0,
  );
  if (base < 0) return base;
  if (guardBytes > 0) {
    const r = yield* sys.mprotect(base, guardBytes, PROT_NONE);
    if (r < 0) {
      yield* sys.munmap(base, bytes);
      return r;
    }
  }
  const tcb = base + guardBytes + stackBytes;
  yield* storePtr(tcb + T.MAP_BASE, base);
  yield* mem.store32(tcb + T.MAP_BYTES, bytes);
  yield* mem.store32(tcb + T.GUARD_BYTES, guardBytes);
  yield* mem.store32(tcb + T.STACK_BYTES, stackBytes);
  yield* initTcb(tcb, arg, detached);
  return tcb;
}

/** Unlink and return the first cached stack of this size whose thread is gone, or 0. */
function* takeCached(area: number, stackBytes: number, guardBytes: number): UserCode<number> {
  yield* lllLock(area + A.LOCK);
  let link = area + A.CACHE_HEAD;
  let cur = yield* loadPtr(link);
  while (cur !== 0) {
    const next = yield* loadPtr(cur + T.NEXT);
    if (
      (yield* mem.load32(cur + T.STACK_BYTES)) === stackBytes &&
      (yield* mem.load32(cur + T.GUARD_BYTES)) === guardBytes &&
      (yield* mem.load32(cur + T.TID)) === 0
    ) {
      yield* storePtr(link, next);
      yield* mem.store32(area + A.CACHE_COUNT, (yield* mem.load32(area + A.CACHE_COUNT)) - 1);
      break;
    }
    link = cur + T.NEXT;
    cur = next;
  }
  yield* lllUnlock(area + A.LOCK);
  return cur;
}

/**
 * Give a finished thread's stack back: onto the cache, or to the kernel when the cache is full and
 * the thread is certainly gone (its `tid` word is 0). A thread still running (a detached thread
 * releasing itself) always goes on the cache, since its stack cannot be unmapped under it.
 */
export function* releaseStack(area: number, tcb: number): UserCode<void> {
  yield* mem.store32(tcb + T.MAGIC, TCB_DEAD);
  yield* lllLock(area + A.LOCK);
  const count = yield* mem.load32(area + A.CACHE_COUNT);
  // Only a full cache asks whether the thread is gone (then its stack can go back to the kernel).
  if (count >= STACK_CACHE_MAX && (yield* mem.load32(tcb + T.TID)) === 0) {
    yield* lllUnlock(area + A.LOCK);
    const base = yield* loadPtr(tcb + T.MAP_BASE);
    const bytes = yield* mem.load32(tcb + T.MAP_BYTES);
    yield* sys.munmap(base, bytes);
    return;
  }
  yield* storePtr(tcb + T.NEXT, yield* loadPtr(area + A.CACHE_HEAD));
  yield* storePtr(area + A.CACHE_HEAD, tcb);
  yield* mem.store32(area + A.CACHE_COUNT, count + 1);
  yield* lllUnlock(area + A.LOCK);
}

/** Reads `len` bytes of a process's memory at `va`, or null when unmapped (e.g. `copyIn` bound to a process). */
export type MemoryReader = (va: number, len: number) => Uint8Array | null;

/**
 * Check the library's process-wide state from outside the process (a test or a paranoid host,
 * between kernel steps): the runtime area is initialised, and the stack cache is a finite list of
 * dead control blocks whose length is the count word. Taken while a thread holds the area's lock,
 * the snapshot may be mid-update; call it when the lock word is 0 (it checks that first and
 * returns false without judging otherwise).
 *
 * @returns true when checked, false when the area's lock was held (nothing judged).
 * @throws RuntimeInvariantError naming the first broken invariant.
 * @example
 * ```ts
 * const space = kernel.processes.get(pid)!.addressSpace!;
 * checkThreadLibrary((va, n) => copyIn(kernel, space, va, n), area);
 * ```
 */
export function checkThreadLibrary(read: MemoryReader, area: number): boolean {
  const u32 = (va: number): number => {
    const b = read(va, 4);
    if (b === null) throw new RuntimeInvariantError(`thread library: word 0x${va.toString(16)} is unmapped`);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  };
  const u64 = (va: number): number => u32(va) + u32(va + 4) * 2 ** 32;
  if (u32(area + A.MAGIC) !== AREA_MAGIC)
    throw new RuntimeInvariantError(`thread library: runtime area 0x${area.toString(16)} has no magic`);
  if (u32(area + A.LOCK) !== 0) return false;
  const count = u32(area + A.CACHE_COUNT);
  const seen = new Set<number>();
  for (let tcb = u64(area + A.CACHE_HEAD); tcb !== 0; tcb = u64(tcb + T.NEXT)) {
    if (seen.has(tcb))
      throw new RuntimeInvariantError(`stack cache: TCB 0x${tcb.toString(16)} is listed twice`);
    seen.add(tcb);
    if (seen.size > count)
      throw new RuntimeInvariantError(`stack cache: more than count=${count} entries on the list`);
    if (u32(tcb + T.MAGIC) !== TCB_DEAD)
      throw new RuntimeInvariantError(`stack cache: TCB 0x${tcb.toString(16)} is cached but not dead`);
  }
  if (seen.size !== count)
    throw new RuntimeInvariantError(`stack cache: count=${count} but ${seen.size} entries on the list`);
  return true;
}
