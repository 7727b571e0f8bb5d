/**
 * User memory: the memory traps of programs, and the kernel's copies into and out of user space.
 *
 * A memory trap is what a `mov` is on hardware. The access is translated with the thread's address
 * space at CPL 3 (Intel SDM 4.6: a user-mode access needs U/S=1 at every level, R/W=1 to write,
 * and XD=0 to fetch); a translation failure is a page fault (#PF, vector 14), which the kernel
 * hands to the address space:
 *
 * ```
 *   translate ── pa ──▶ physical memory ──▶ resume the program with the value
 *       │ -1 (#PF)
 *       ▼
 *   space.handleFault(va, access)
 *       ├─ resolved  (demand-zero page, copy-on-write copy)  → execute the same trap again
 *       ├─ oom       (no frame for the copy)                 → SIGKILL, as Linux's OOM killer would
 *       └─ bad       (unmapped, protection)                  → SIGSEGV, then the same trap again
 *                                                             if a handler returns
 * ```
 *
 * An access that straddles two pages is done byte by byte, so each byte faults on its own page.
 * A non-canonical or negative address, or a size other than 1/2/4/8, raises SIGSEGV or SIGILL as a
 * general-protection fault or an invalid opcode would.
 *
 * The kernel's own copies (`copyIn`, `copyOut`, `copyInString`) resolve faults the same way but
 * report a bad address as `null`/`false`, which the system call turns into EFAULT (Linux's
 * `copy_from_user` and its exception table).
 *
 * Related: `@osbricks/vm` `AddressSpace.handleFault`, `../kernel/kernel.ts` (the caller).
 */
import { type AccessKind, frameWordOffset, Access as HwAccess, type PhysicalMemory } from "@osbricks/hw-x86";
import { type AccessType as Access, type AddressSpace, PROT_WRITE } from "@osbricks/vm";
import type { Cpu } from "../kernel/cpu.js";
import type { Kernel } from "../kernel/kernel.js";
import { forceSignal } from "../posix/generate.js";
import { Sig } from "../posix/signals.js";
import type { Thread } from "../process/thread.js";
import type {
  AtomicTrap,
  LoadTrap,
  ReadBytesTrap,
  StoreTrap,
  Trap,
  WriteBytesTrap,
} from "../program/trap.js";
import { USER_TOP as USER_TOP_BINDING } from "../syscalls/decl.js";
import { forwardFault } from "./pager.js";

/** A local copy: it is compared on every memory trap (see kernel.ts on imported bindings). */
const USER_TOP = USER_TOP_BINDING;
const PAGE = 4096;
/** Largest byte range one read-bytes/write-bytes trap may move (1 MiB). */
export const MAX_COPY = 1 << 20;

/**
 * The hardware's access kind of a vm access type. A comparison rather than a lookup in an object
 * keyed by the string: V8 compiles `obj[access]` with two or three different keys at one site as
 * a megamorphic keyed load (a stub-cache probe on every memory trap).
 */
function hwAccess(access: Access): AccessKind {
  return access === "read" ? HW_READ : access === "write" ? HW_WRITE : HW_EXECUTE;
}
// Local copies of the imported constants (see kernel.ts on imported bindings).
const HW_READ = HwAccess.Read;
const HW_WRITE = HwAccess.Write;
const HW_EXECUTE = HwAccess.Execute;

/**
 * The MMU step of an access. With a thread, the CPU it runs on translates (TLB first); without
 * one (the kernel copying for a system call), the kernel's walker does the same walk at CPL 3, so
 * the user's rights are checked as `copy_from_user` relies on. Returns the address or -1 (#PF).
 */
function mmuTranslate(k: Kernel, space: AddressSpace, va: number, access: Access, t: Thread | null): number {
  const hi = Math.floor(va / 4294967296);
  const lo = va >>> 0;
  const ctx = k.contextOf(space);
  if (t === null) return k.walker.walkHalves(ctx, hi, lo, hwAccess(access));
  const c = k.cpus[t.cpu]!;
  if (c.loaded !== space) c.load(space);
  return c.mmu.translateHalves(ctx, hi, lo, hwAccess(access));
}

/** No area at the address (SEGV_MAPERR): the case a user-space pager may resolve. */
export const FAULT_MAPERR = -1;
/** No frame to resolve the fault: the process is killed (the OOM path). */
export const FAULT_OOM = -2;
/** The area forbids the access, or is a guard (SEGV_ACCERR). */
export const FAULT_ACCERR = -3;
/**
 * A general-protection fault (a non-canonical or negative address): SIGSEGV like an access error,
 * but never forwarded to a pager, since no page of any space lies there (Intel SDM 6.15, #GP).
 */
export const FAULT_GP = -4;

/**
 * Translate `va`, resolving faults through the address space.
 * @returns the physical address, or {@link FAULT_MAPERR}, {@link FAULT_OOM}, {@link FAULT_ACCERR}.
 */
export function translateOrFault(
  k: Kernel,
  space: AddressSpace,
  va: number,
  access: Access,
  t: Thread | null,
): number {
  let pa = mmuTranslate(k, space, va, access, t);
  if (pa >= 0) return pa;
  const out = space.handleFault(va, access);
  const outcome = out.kind;
  if (k.tracer && t) {
    k.tracer.emit({
      type: "kernel.fault",
      cycle: k.now,
      cpu: t.cpu,
      pid: t.process.pid,
      tid: t.tid,
      va,
      access,
      outcome,
    });
  }
  if (t) k.cpus[t.cpu]!.time += k.costs.fault;
  if (out.kind === "oom") return FAULT_OOM;
  if (out.kind === "segv") return out.code === "maperr" ? FAULT_MAPERR : FAULT_ACCERR;
  pa = mmuTranslate(k, space, va, access, t);
  return pa;
}

/**
 * A user access failed: forward to the process's pager if it has one, else SIGSEGV (SIGKILL on OOM).
 * A fault where no area is mapped is forwarded to any pager; a protection fault (an area that
 * forbids the access) only when the process asked for it (`Process.pagerProtectionFaults`, the L4
 * rule), so a POSIX process with a pager keeps its SIGSEGV on a write to a read-only page.
 */
function badAccess(k: Kernel, t: Thread, trap: Trap, code: number, va: number, access: Access): void {
  const protection = code === FAULT_ACCERR;
  const forward = code === FAULT_MAPERR || (protection && t.process.pagerProtectionFaults);
  if (forward && forwardFault(k, t, va, access, trap, protection)) return;
  t.retry = trap;
  forceSignal(k, t, code === FAULT_OOM ? Sig.SIGKILL : Sig.SIGSEGV);
}

/** Execute a load, store, read-bytes or write-bytes trap for `t` on `c`. */
export function executeMemoryTrap(
  k: Kernel,
  c: Cpu,
  t: Thread,
  trap: LoadTrap | StoreTrap | ReadBytesTrap | WriteBytesTrap | AtomicTrap,
): void {
  const space = t.process.addressSpace!;
  c.time += k.costs.memory;
  // The kind is read once: traps of many shapes reach this point, so each `trap.kind` is a
  // megamorphic load in V8, and TypeScript narrows `trap` through the local as well.
  const kind = trap.kind;
  switch (kind) {
    case "load":
    case "store": {
      const { va, size } = trap;
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
        k.crash(t, `${kind} of size ${String(size)}: not 1, 2, 4 or 8 bytes`, Sig.SIGILL);
        return;
      }
      if (!Number.isInteger(va) || va < 0 || va + size > USER_TOP) {
        badAccess(k, t, trap, FAULT_GP, 0, "read"); // non-canonical: #GP, never a pager's business
        return;
      }
      if (kind === "store" && typeof trap.value !== "number" && typeof trap.value !== "bigint") {
        k.crash(t, `store of ${String(trap.value)}: not a number or bigint`, Sig.SIGILL);
        return;
      }
      const access: Access = kind === "load" ? "read" : "write";
      if ((va & (PAGE - 1)) + size > PAGE) {
        // Straddles two pages: byte by byte, so each page faults on its own.
        const bytes = kind === "store" ? scalarBytes(trap.value, size) : null;
        const out = new Uint8Array(size);
        for (let i = 0; i < size; i++) {
          const pa = translateOrFault(k, space, va + i, access, t);
          if (pa < 0) {
            badAccess(k, t, trap, pa, va + i, access);
            return;
          }
          if (bytes) k.memory.write8(pa, bytes[i]!);
          else out[i] = k.memory.read8(pa);
        }
        if (!bytes) {
          const v = bytesToScalar(out);
          t.resume =
            typeof v === "bigint" && kind === "load" && trap.asNumber === true
              ? Number(BigInt.asIntN(64, v))
              : v;
        }
        return;
      }
      const pa = translateOrFault(k, space, va, access, t);
      if (pa < 0) {
        badAccess(k, t, trap, pa, va, access);
        return;
      }
      const m = k.memory;
      if (kind === "load") {
        t.resume =
          size === 4
            ? m.read32(pa) >>> 0
            : size === 1
              ? m.read8(pa)
              : size === 2
                ? m.read16(pa)
                : trap.asNumber === true
                  ? readI64Number(m, pa)
                  : m.read64(pa);
      } else {
        const v = trap.value;
        if (size === 8) write64Value(m, pa, v);
        else {
          const n = typeof v === "bigint" ? Number(BigInt.asUintN(32, v)) : v;
          if (size === 4) m.write32(pa, n | 0);
          else if (size === 1) m.write8(pa, n & 0xff);
          else m.write16(pa, n & 0xffff);
        }
      }
      return;
    }
    case "atomic": {
      const { va, a, b } = trap;
      if (
        typeof a !== "number" ||
        typeof b !== "number" ||
        (trap.op !== "cmpxchg" && trap.op !== "xchg" && trap.op !== "xadd")
      ) {
        k.crash(
          t,
          `atomic ${String(trap.op)}(${String(a)}, ${String(b)}): not an atomic instruction`,
          Sig.SIGILL,
        );
        return;
      }
      if (!Number.isInteger(va) || va < 0 || va + 4 > USER_TOP) {
        badAccess(k, t, trap, FAULT_GP, 0, "write"); // non-canonical: #GP
        return;
      }
      if (va % 4 !== 0) {
        // A split lock: refused, as Linux does with split_lock_detect=fatal.
        t.retry = trap;
        forceSignal(k, t, Sig.SIGBUS);
        return;
      }
      // A locked RMW always writes (SDM Vol. 2A "CMPXCHG"), so it needs write access: it breaks
      // copy-on-write and faults on read-only pages even when the compare fails.
      const pa = translateOrFault(k, space, va, "write", t);
      if (pa < 0) {
        badAccess(k, t, trap, pa, va, "write");
        return;
      }
      const old = k.memory.read32(pa) >>> 0;
      const next =
        trap.op === "xchg" ? a >>> 0 : trap.op === "xadd" ? (old + a) >>> 0 : old === a >>> 0 ? b >>> 0 : old;
      k.memory.write32(pa, next | 0);
      t.resume = old;
      return;
    }
    case "read-bytes":
    case "write-bytes": {
      const len = kind === "read-bytes" ? trap.length : trap.bytes?.length;
      const { va } = trap;
      if (kind === "write-bytes" && !(trap.bytes instanceof Uint8Array)) {
        k.crash(t, "write-bytes of something that is not a Uint8Array", Sig.SIGILL);
        return;
      }
      if (!Number.isInteger(len) || (len as number) < 0 || (len as number) > MAX_COPY) {
        k.crash(t, `${kind} of length ${String(len)}: not 0..${MAX_COPY}`, Sig.SIGILL);
        return;
      }
      if (!Number.isInteger(va) || va < 0 || va + (len as number) > USER_TOP) {
        badAccess(k, t, trap, FAULT_GP, 0, "read"); // non-canonical: #GP, never a pager's business
        return;
      }
      const r = copyPages(k, space, va, len as number, kind === "read-bytes" ? null : trap.bytes, t);
      if (typeof r === "number") {
        badAccess(k, t, trap, r, lastFaultVa, kind === "read-bytes" ? "read" : "write");
        return;
      }
      // Pro rata: `copyPage` cycles per 4 KiB moved, so a 12-byte header costs 1, a page 256.
      c.time += Math.ceil(((len as number) * k.costs.copyPage) / PAGE);
      if (kind === "read-bytes") t.resume = r;
      return;
    }
  }
}

/** The address at which the last failed copy stopped (for forwarding the fault). */
let lastFaultVa = 0;

/**
 * Copy between user memory and a buffer page by page: one translation per page, then the bytes
 * of that page straight from (or into) RAM, with no buffer in between. Returns `out` (a fresh
 * array when reading and no `into` was given) or `src`, or FAULT_* where a page failed.
 */
function copyPages(
  k: Kernel,
  space: AddressSpace,
  va: number,
  len: number,
  src: Uint8Array | null,
  t: Thread | null,
  into: Uint8Array | null = null,
): Uint8Array | number {
  const out = src ?? into ?? new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = va + done;
    const n = Math.min(len - done, PAGE - (a & (PAGE - 1)));
    const pa = translateOrFault(k, space, a, src ? "write" : "read", t);
    if (pa < 0) {
      lastFaultVa = a;
      return pa;
    }
    if (src) writePhys(k.memory, pa, src, done, n);
    else readPhys(k.memory, pa, out, done, n);
    done += n;
  }
  return out;
}

// ---- byte copies within one physical page ------------------------------------------------------
//
// RAM is stored in segments of little-endian 32-bit words (hw-x86 `PhysicalMemory.segment`); a
// byte view over a segment's buffer is made once per segment and kept, so a copy of n bytes
// within a page is one bounds-checked loop (small n) or one `set` (large n) instead of n calls
// of `read8`/`write8` and a temporary array. MMIO regions are page-aligned (hw-x86 `addMmio`),
// so a page is either all RAM or all device: device pages take the byte-by-byte path, where each
// access reaches the device as the CPU's would.

/** Below this many bytes a plain loop beats `subarray` + `set` (which allocate a view). */
const SMALL_COPY = 64;
let viewOf: Int32Array | null = null;
let viewBytes: Uint8Array = new Uint8Array(0);

function bytesOf(segment: Int32Array): Uint8Array {
  if (segment !== viewOf) {
    viewOf = segment;
    viewBytes = new Uint8Array(segment.buffer, segment.byteOffset, segment.byteLength);
  }
  return viewBytes;
}

/** Byte offset of physical address `pa` in its segment: frame index in the segment × 4096 + offset. */
function segmentOffset(pa: number): number {
  return frameWordOffset(Math.floor(pa / PAGE)) * 4 + (pa & (PAGE - 1));
}

/** Copy `n` bytes at `pa` (within one page) into `out[at..]`. */
function readPhys(m: PhysicalMemory, pa: number, out: Uint8Array, at: number, n: number): void {
  if (m.mmioAt(pa) !== undefined) {
    for (let i = 0; i < n; i++) out[at + i] = m.read8(pa + i);
    return;
  }
  const seg = m.peekSegment(Math.floor(pa / PAGE));
  if (seg === undefined) {
    out.fill(0, at, at + n); // never stored into: reads as zeros, and stays unbacked
    return;
  }
  const b = bytesOf(seg);
  const o = segmentOffset(pa);
  if (n < SMALL_COPY) for (let i = 0; i < n; i++) out[at + i] = b[o + i]!;
  else out.set(b.subarray(o, o + n), at);
}

/** Copy `src[from..from+n)` to `pa` (within one page). */
function writePhys(m: PhysicalMemory, pa: number, src: Uint8Array, from: number, n: number): void {
  if (m.mmioAt(pa) !== undefined) {
    for (let i = 0; i < n; i++) m.write8(pa + i, src[from + i]!);
    return;
  }
  const b = bytesOf(m.segment(Math.floor(pa / PAGE))); // backs the frame, as a store does
  const o = segmentOffset(pa);
  if (n < SMALL_COPY) for (let i = 0; i < n; i++) b[o + i] = src[from + i]!;
  else b.set(src.subarray(from, from + n), o);
}

/**
 * The signed 64-bit word at `pa` as a number: hi · 2^32 + lo, with `hi` signed. Both products
 * are exact and the one addition rounds once, so the result equals `Number(BigInt.asIntN(64, v))`.
 * Worked example: bytes FB FF FF FF FF FF FF FF give lo = 0xFFFFFFFB, hi = −1, and
 * −1 · 4294967296 + 4294967291 = −5.
 *
 * A word below 2^32 (hi = 0: every count, tid or small argument a thread library keeps in a
 * 64-bit slot) is `lo` itself, with no arithmetic: V8 then keeps a small value a small integer,
 * where `0 · 2^32 + lo` would be a heap number (2^32 is not a small integer, so the product is a
 * double), and a heap number stored into a field that held small integers changes the map of the
 * object holding it (see the POSIX `exit` handler).
 */
function readI64Number(m: PhysicalMemory, pa: number): number {
  const lo = m.read32(pa) >>> 0;
  const hi = m.read32(pa + 4) | 0;
  return hi === 0 ? lo : hi * 4294967296 + lo;
}

/**
 * Store a 64-bit value given as a number or a bigint. A safe integer is split into 32-bit halves
 * without a bigint: `lo = v mod 2^32` (ToUint32 is exact modulo 2^32 for any integer) and
 * `hi = ⌊v / 2^32⌋`, e.g. v = −5 → lo = 0xFFFFFFFB, hi = −1 → FB FF FF FF FF FF FF FF.
 */
function write64Value(m: PhysicalMemory, pa: number, v: number | bigint): void {
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    m.write32(pa, v >>> 0);
    m.write32(pa + 4, Math.floor(v / 4294967296) | 0);
    return;
  }
  m.write64(pa, toU64(v));
}

/** Any number or bigint as the unsigned 64-bit pattern a store writes (truncated; NaN/±∞ → 0). */
function toU64(v: number | bigint): bigint {
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  return Number.isFinite(v) ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : 0n;
}

function scalarBytes(v: number | bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = toU64(v);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function bytesToScalar(b: Uint8Array): number | bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return b.length === 8 ? x : Number(x);
}

// ---- kernel copies (copy_from_user / copy_to_user) ----------------------------------------------

/** Copy `len` bytes out of `space` at `va` for the kernel. `null` means EFAULT. */
export function copyIn(k: Kernel, space: AddressSpace, va: number, len: number): Uint8Array | null {
  if (!Number.isInteger(va) || va < 0 || va + len > USER_TOP) return null;
  const r = copyPages(k, space, va, len, null, null);
  return typeof r === "number" ? null : r;
}

/** Copy `bytes` into `space` at `va` for the kernel. `false` means EFAULT. */
export function copyOut(k: Kernel, space: AddressSpace, va: number, bytes: Uint8Array): boolean {
  if (!Number.isInteger(va) || va < 0 || va + bytes.length > USER_TOP) return false;
  return typeof copyPages(k, space, va, bytes.length, bytes, null) !== "number";
}

/**
 * How many bytes from `va` on, at most `len`, lie in mappings the program may write: what a
 * {@link copyOut} there can fill (barring out of memory). A `read` asks before it takes bytes from
 * a file and takes no more than this, so a bad buffer gets EFAULT, or a short count, without
 * consuming bytes it cannot deliver (Linux's `pipe_read` advances the pipe only by what
 * `copy_to_user` copied).
 * @example
 * ```ts
 * // a writable page at 0x10000, nothing after it
 * writablePrefix(space, 0x10ff0, 100); // 16
 * writablePrefix(space, 0x20000, 100); // 0: EFAULT
 * ```
 */
export function writablePrefix(space: AddressSpace, va: number, len: number): number {
  if (!Number.isInteger(va) || va < 0 || va + len > USER_TOP) return 0;
  const end = va + len;
  let a = va;
  while (a < end) {
    const area = space.findArea(a);
    if (area === undefined || (area.prot & PROT_WRITE) === 0) break;
    a = area.end;
  }
  return Math.min(a, end) - va;
}

/**
 * Read a little-endian 32-bit word for the kernel; `null` means EFAULT. An aligned word lies in
 * one page: one translation and one load, no copy.
 */
export function readU32(k: Kernel, space: AddressSpace, va: number): number | null {
  if ((va & 3) === 0 && Number.isInteger(va) && va >= 0 && va + 4 <= USER_TOP) {
    const pa = translateOrFault(k, space, va, "read", null);
    return pa < 0 ? null : k.memory.read32(pa) >>> 0;
  }
  const b = copyIn(k, space, va, 4);
  return b === null ? null : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/**
 * Write a little-endian 32-bit word for the kernel; `false` means EFAULT. An aligned word: one
 * translation and one store (what `put_user` does), no temporary bytes.
 */
export function writeU32(k: Kernel, space: AddressSpace, va: number, value: number): boolean {
  if ((va & 3) === 0) return putAlignedU32(k, space, va, value) >= 0;
  const v = value >>> 0;
  return copyOut(k, space, va, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
}

/**
 * Store a 4-byte aligned word for the kernel and give its physical address, or a negative
 * FAULT_* code (nothing written): CLONE_CHILD_CLEARTID stores 0 and wakes the futex at that
 * physical address with one translation.
 */
export function putAlignedU32(k: Kernel, space: AddressSpace, va: number, value: number): number {
  if (!Number.isInteger(va) || va < 0 || va + 4 > USER_TOP || (va & 3) !== 0) return FAULT_ACCERR;
  const pa = translateOrFault(k, space, va, "write", null);
  if (pa >= 0) k.memory.write32(pa, value | 0);
  return pa;
}

/**
 * Copy a NUL-terminated string of at most `max` bytes (without the NUL). Returns the string,
 * `null` for a bad address (EFAULT), or `"too-long"` (ENAMETOOLONG / E2BIG).
 */
export function copyInString(
  k: Kernel,
  space: AddressSpace,
  va: number,
  max: number,
): string | null | { tooLong: true } {
  const bytes: number[] = [];
  for (let i = 0; i <= max; i++) {
    const pa =
      Number.isInteger(va + i) && va + i >= 0 && va + i < USER_TOP
        ? translateOrFault(k, space, va + i, "read", null)
        : -1;
    if (pa < 0) return null;
    const b = k.memory.read8(pa);
    if (b === 0) return new TextDecoder().decode(Uint8Array.from(bytes));
    bytes.push(b);
  }
  return { tooLong: true };
}

/**
 * Copy a NULL-terminated vector of string pointers (argv, envp) with at most `maxEntries`
 * entries and `maxBytes` in total. `null` means EFAULT; `"too-big"` means E2BIG.
 */
export function copyInStringVector(
  k: Kernel,
  space: AddressSpace,
  va: number,
  maxEntries: number,
  maxBytes: number,
): string[] | null | "too-big" {
  const out: string[] = [];
  let total = 0;
  for (let i = 0; ; i++) {
    if (i > maxEntries) return "too-big";
    const lo = readU32(k, space, va + 8 * i);
    const hi = readU32(k, space, va + 8 * i + 4);
    if (lo === null || hi === null) return null;
    const p = hi * 2 ** 32 + lo;
    if (p === 0) return out;
    const s = copyInString(k, space, p, maxBytes - total);
    if (s === null) return null;
    if (typeof s !== "string") return "too-big";
    total += s.length + 1;
    out.push(s);
  }
}
