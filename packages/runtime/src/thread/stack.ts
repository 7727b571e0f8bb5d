/**
 * Thread stacks: one anonymous mapping per thread, a guard below, the control block on top —
 * NPTL's layout (glibc `nptl/allocatestack.c`) — and two caches of stacks for reuse.
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
 * **Two caches, as a memory allocator keeps a per-size fast bin in front of its lists:**
 *
 * | cache         | holds                                   | taken with            | bound |
 * | ------------- | --------------------------------------- | --------------------- | ----- |
 * | the spare     | one joined stack of the default sizes    | one `XCHG`, no lock   | 1     |
 * | the list      | any other reclaimed stack               | the area's lock       | 32    |
 *
 * The spare holds only stacks whose thread is certainly gone (the joiner saw the kernel clear
 * the `tid` word), so `create` can reuse it at once: a create + join loop takes and leaves it
 * with one atomic instruction each, and never maps, protects or unmaps (glibc's stack cache
 * spares the same system calls; its lookup takes a lock and walks a list). It stores the block
 * as a signed count of pages from the runtime area, a 32-bit "compressed pointer" (as the JVM's
 * compressed oops are offsets from a heap base), because the atomic instructions here are 32
 * bits wide. Worked example: area 0x7fff_f7ff_0000, TCB 0x7fff_f7fd_e000 → (TCB − area) / 4096 =
 * −18, stored as 0xFFFFFFEE. A block more than 2^31 pages (8 TiB) away goes to the list instead.
 *
 * The list takes what the spare cannot: other sizes, a stack displaced from the spare, and the
 * stack of a detached thread, which puts itself there while still running its last instructions;
 * so an entry is reused only once the kernel has cleared its `tid` word (CLONE_CHILD_CLEARTID),
 * as glibc's `get_cached_stack` checks. Beyond `STACK_CACHE_MAX` entries a stack whose thread is
 * gone goes back to the kernel (`munmap`).
 *
 * Invariants (`checkThreadLibrary`): every cached block (spare or list) is RECLAIMED; the spare's
 * thread is gone and its sizes are the defaults; no block is in both; the count word equals the
 * list's length.
 *
 * Related: `../api.ts` (TcbLayout, AreaLayout, JoinState), `pthread.ts` (create, join, exit).
 */
import {
  MapFlags,
  mem,
  memTrap,
  PROT_NONE,
  Prot,
  posixStubs as sys,
  type Trap,
  type UserCode,
} from "@osbricks/kernel";
import {
  AreaLayout as A,
  AREA_MAGIC,
  DEFAULT_GUARD_BYTES,
  DEFAULT_STACK_BYTES,
  JoinState,
  PAGE_SIZE,
  STACK_CACHE_MAX,
  TcbLayout as T,
  TCB_BYTES,
} from "../api.js";
import { RuntimeInvariantError } from "../errors.js";
import { lllLock, lllUnlock } from "../sync/lll.js";

/** Little-endian u32 into `b` at `at` (a header being built for one byte-range store). */
function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** A safe integer as a little-endian two's-complement 64-bit word, e.g. −5 → FB FF FF FF FF FF FF FF. */
function putI64(b: Uint8Array, at: number, v: number): void {
  putU32(b, at, v >>> 0);
  putU32(b, at + 4, Math.floor(v / 4294967296) | 0);
}

/** The join word a new thread starts with. */
function initialJoinWord(detached: boolean, defaultStack: boolean): number {
  return (detached ? JoinState.DETACHED : 0) | (defaultStack ? JoinState.DEFAULT_STACK : 0);
}

/**
 * The TCB a spare-slot value names: `area + pages · 4096` for the signed page count, 0 for an
 * empty slot. Worked example: slot 0xFFFFFFEE is −18 pages, so area 0x7fff_f7ff_0000 gives TCB
 * 0x7fff_f7fd_e000.
 */
export function spareBlock(area: number, slot: number): number {
  return slot === 0 ? 0 : area + (slot | 0) * PAGE_SIZE;
}

/**
 * The spare-slot value for `tcb` (its signed page offset from the area), or 0 when the block
 * cannot be the spare: it is the area itself, or more than 2^31 pages away.
 */
export function spareSlotFor(area: number, tcb: number): number {
  const pages = (tcb - area) / PAGE_SIZE;
  // The int32 itself, not the quotient: the same value, but a small integer for V8 rather than a
  // heap number, so the XCHG trap's operand field keeps its representation (and its map).
  const slot = pages | 0;
  return slot === pages ? slot : 0;
}

/**
 * The trap that takes the spare: `XCHG` of the slot with 0, resumed with the old slot (give it
 * to {@link spareBlock}). It depends on the area alone, and trap records are immutable, so a
 * process builds it once and every `create` yields the same record.
 */
export function takeSpareTrap(area: number): Trap {
  return memTrap.xchg32(area + A.SPARE, 0);
}

/** The trap that leaves `slot` (from {@link spareSlotFor}) in the spare, resumed with the old slot. */
export function leaveSpareTrap(area: number, slot: number): Trap {
  return memTrap.xchg32(area + A.SPARE, slot);
}

/**
 * The one store a reused block needs before its thread starts: its join word and the argument,
 * bytes [4, 16) of the TCB. `retval` is written by the exit path before anyone may read it,
 * `next` when the block joins the list, and the exit path leaves `specific_used` and `specific`
 * zeroed (`keys.ts`).
 *
 * @param arg the start routine's argument, a safe integer (the caller checks).
 */
export function headerTrap(tcb: number, detached: boolean, defaultStack: boolean, arg: number): Trap {
  const header = new Uint8Array(12); // [JOIN u32][ARG i64] at TCB + 4
  putU32(header, 0, initialJoinWord(detached, defaultStack));
  putI64(header, 4, arg);
  return memTrap.write(tcb + T.JOIN, header);
}

/**
 * A control block with a stack below it, its header written, when the spare had none (or the
 * sizes are not the defaults): a listed stack of the same sizes, else a fresh mapping with its
 * guard. `Pthread.create` takes the spare itself first ({@link takeSpareTrap}): that is every
 * create's path in a create + join loop, so its two traps are yielded there, not through a
 * generator level here.
 *
 * @param arg the start routine's argument, a safe integer (the caller checks).
 * @returns the TCB address, or −errno (ENOMEM, EINVAL) from mmap/mprotect.
 */
export function* allocateStack(
  area: number,
  stackBytes: number,
  guardBytes: number,
  arg: number,
  detached: boolean,
): UserCode<number> {
  const defaultStack = stackBytes === DEFAULT_STACK_BYTES && guardBytes === DEFAULT_GUARD_BYTES;
  // An unlocked peek first: an empty list costs one load, not a lock round trip.
  if (((yield memTrap.loadI64(area + A.CACHE_HEAD)) as number) !== 0) {
    const tcb = yield* takeCached(area, stackBytes, guardBytes);
    if (tcb !== 0) {
      yield headerTrap(tcb, detached, defaultStack, arg);
      return tcb;
    }
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
  const header = new Uint8Array(T.STACK_BYTES + 4 - T.JOIN); // JOIN .. STACK_BYTES, the rest zero
  putU32(header, 0, initialJoinWord(detached, defaultStack));
  putI64(header, T.ARG - T.JOIN, arg);
  putI64(header, T.MAP_BASE - T.JOIN, base);
  putU32(header, T.MAP_BYTES - T.JOIN, bytes);
  putU32(header, T.GUARD_BYTES - T.JOIN, guardBytes);
  putU32(header, T.STACK_BYTES - T.JOIN, stackBytes);
  yield* mem.write(tcb + T.JOIN, header);
  return tcb;
}

/** Unlink and return the first listed stack of this size whose thread is gone, or 0. */
function* takeCached(area: number, stackBytes: number, guardBytes: number): UserCode<number> {
  yield* lllLock(area + A.LOCK);
  let link = area + A.CACHE_HEAD;
  let cur = yield* mem.loadI64(link);
  while (cur !== 0) {
    const next = yield* mem.loadI64(cur + T.NEXT);
    if (
      (yield* mem.load32(cur + T.STACK_BYTES)) === stackBytes &&
      (yield* mem.load32(cur + T.GUARD_BYTES)) === guardBytes &&
      (yield* mem.load32(cur + T.TID)) === 0
    ) {
      yield* mem.store64(link, next);
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
 * Give a finished thread's stack back to the list, or to the kernel when the list is full and
 * the thread is certainly gone (its `tid` word is 0). A thread still running (a detached thread
 * releasing itself) always goes on the list, since its stack cannot be unmapped under it.
 */
export function* releaseStack(area: number, tcb: number): UserCode<void> {
  yield* mem.store32(tcb + T.JOIN, JoinState.RECLAIMED);
  yield* listStack(area, tcb);
}

/**
 * Push a RECLAIMED block on the list (or unmap it: see {@link releaseStack}). `Pthread.join`
 * parks a joined default-size stack in the spare instead ({@link leaveSpareTrap}) and lists what
 * that displaces.
 */
export function* listStack(area: number, tcb: number): UserCode<void> {
  yield* lllLock(area + A.LOCK);
  const count = yield* mem.load32(area + A.CACHE_COUNT);
  // Only a full list asks whether the thread is gone (then its stack can go back to the kernel).
  if (count >= STACK_CACHE_MAX && (yield* mem.load32(tcb + T.TID)) === 0) {
    yield* lllUnlock(area + A.LOCK);
    const base = yield* mem.loadI64(tcb + T.MAP_BASE);
    const bytes = yield* mem.load32(tcb + T.MAP_BYTES);
    yield* sys.munmap(base, bytes);
    return;
  }
  yield* mem.store64(tcb + T.NEXT, yield* mem.loadI64(area + A.CACHE_HEAD));
  yield* mem.store64(area + A.CACHE_HEAD, tcb);
  yield* mem.store32(area + A.CACHE_COUNT, count + 1);
  yield* lllUnlock(area + A.LOCK);
}

/** Reads `len` bytes of a process's memory at `va`, or null when unmapped (e.g. `copyIn` bound to a process). */
export type MemoryReader = (va: number, len: number) => Uint8Array | null;

/**
 * Check the library's process-wide state from outside the process (a test or a paranoid host,
 * between kernel steps): the runtime area is initialised; the stack cache list is a finite list
 * of reclaimed control blocks whose length is the count word; the spare, if any, is a reclaimed
 * default-size block whose thread is gone and which is not also on the list. Taken while a thread
 * holds the area's lock, the snapshot may be mid-update; call it when the lock word is 0 (it
 * checks that first and returns false without judging otherwise).
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
  const hex = (va: number): string => `0x${va.toString(16)}`;
  if (u32(area + A.MAGIC) !== AREA_MAGIC)
    throw new RuntimeInvariantError(`thread library: runtime area ${hex(area)} has no magic`);
  if (u32(area + A.LOCK) !== 0) return false;
  const count = u32(area + A.CACHE_COUNT);
  const seen = new Set<number>();
  for (let tcb = u64(area + A.CACHE_HEAD); tcb !== 0; tcb = u64(tcb + T.NEXT)) {
    if (seen.has(tcb)) throw new RuntimeInvariantError(`stack cache: TCB ${hex(tcb)} is listed twice`);
    seen.add(tcb);
    if (seen.size > count)
      throw new RuntimeInvariantError(`stack cache: more than count=${count} entries on the list`);
    if (u32(tcb + T.JOIN) !== JoinState.RECLAIMED)
      throw new RuntimeInvariantError(`stack cache: TCB ${hex(tcb)} is listed but not reclaimed`);
  }
  if (seen.size !== count)
    throw new RuntimeInvariantError(`stack cache: count=${count} but ${seen.size} entries on the list`);
  const pages = u32(area + A.SPARE) | 0;
  if (pages !== 0) {
    const tcb = area + pages * PAGE_SIZE;
    if (seen.has(tcb))
      throw new RuntimeInvariantError(`stack cache: TCB ${hex(tcb)} is both the spare and on the list`);
    if (u32(tcb + T.JOIN) !== JoinState.RECLAIMED)
      throw new RuntimeInvariantError(`stack cache: the spare TCB ${hex(tcb)} is not reclaimed`);
    if (u32(tcb + T.TID) !== 0)
      throw new RuntimeInvariantError(`stack cache: the spare TCB ${hex(tcb)} still has a thread`);
    if (u32(tcb + T.STACK_BYTES) !== DEFAULT_STACK_BYTES || u32(tcb + T.GUARD_BYTES) !== DEFAULT_GUARD_BYTES)
      throw new RuntimeInvariantError(
        `stack cache: the spare TCB ${hex(tcb)} does not have the default sizes`,
      );
  }
  return true;
}
