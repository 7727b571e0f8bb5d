/**
 * libj6's channel: bulk data between two processes with no kernel object in the data path. Each
 * direction is a VMA both processes map; the area holds a mutex, a condition and a bip buffer's
 * header, then the data. The kernel is entered only to create and map the VMAs and, on the slow
 * path, to sleep and wake on a futex.
 *
 * ```
 *   creator                         area (one VMA per direction)                      peer
 *   tx ─── send ──▶ | MUTEX | COND | WAITING | stats… | bip header | data ………… | ─── receive ──▶ rx
 *   rx ◀── receive ─  (the other VMA, the same layout)                          ◀── send ──────  tx
 * ```
 *
 * **Area layout** (offsets from the VMA's start, little-endian 32-bit words):
 *
 * | offset | field         | meaning                                                          |
 * | ------ | ------------- | ---------------------------------------------------------------- |
 * | 0      | MUTEX         | the area's mutex word (`mutex.ts`: 0, 1, 2)                       |
 * | 4      | COND          | the condition's sequence word (`condition.ts`)                    |
 * | 8      | WAITING       | threads inside a condition wait on this area (wake only if > 0)  |
 * | 12     | WRITER_WAITS  | times a sender found no room and waited                          |
 * | 16     | READER_WAITS  | times a receiver found nothing and waited                        |
 * | 20     | FUTEX_SLEEPS  | futex_wait calls by either side (mutex, condition; one that returns at once counts) |
 * | 24     | MESSAGES      | messages sent through the area                                    |
 * | 28     | FUTEX_WAKES   | condition wakes issued (system calls)                             |
 * | 32     | bip header    | 32 bytes (`bip-buffer.ts`), DATA = 32                              |
 * | 64     | data          | size − 64 bytes                                                   |
 *
 * Worked numbers: a 4096-byte area holds 4032 data bytes; a 100-byte message is a frame of
 * 4 + 100 = 104 bytes; a 10-byte one 4 + 12 = 16 (padded so every length word stays 4-aligned).
 * The largest message is 4032 − 4 = 4028 bytes.
 *
 * **Sizes** are powers of two from one page (4096) to `MAX_VMA_BYTES`, as libj6's
 * `check_channel_size` demands (a power of two, at least a frame).
 *
 * **Frames.** A message is a length word and its bytes, in one reservation, so the reader always
 * finds a whole message at the start of the readable block (a bip buffer never splits a
 * reservation). **Locking.** A send holds the area's mutex from its reserve to its commit, so
 * any number of threads of either process may send (libj6 copies outside the lock, so two writers
 * would collide); a wait releases it. WAITING is changed only under the mutex, so a waker that
 * reads 0 knows nobody can be between its check and its sleep: it skips the system call.
 *
 * Related: `bip-buffer.ts`, `mutex.ts`, `condition.ts`, `futex.ts`; jsix
 * `src/libraries/j6/channel.cpp` and `include/j6/channel.hh`.
 */
import type { UserCode } from "@osbricks/kernel";
import { J6_HANDLE_INVALID, J6Status, MAX_VMA_BYTES, VmaFlags } from "../../abi.js";
import { j6 } from "../../lib.js";
import {
  BIP_FULL,
  BIP_HEADER_BYTES,
  bipCommit,
  bipConsume,
  bipGetBlock,
  bipHeader,
  bipInit,
  bipReserve,
} from "./bip-buffer.js";
import { conditionWait, conditionWake } from "./condition.js";
import { ChannelArgumentError, ChannelInvariantError } from "./errors.js";
import { jsixSync, type SyncPort } from "./futex.js";
import { mutexLock, mutexUnlock } from "./mutex.js";

/** Byte offsets of the area's words (see the banner). */
export const AreaField = {
  MUTEX: 0,
  COND: 4,
  WAITING: 8,
  WRITER_WAITS: 12,
  READER_WAITS: 16,
  FUTEX_SLEEPS: 20,
  MESSAGES: 24,
  FUTEX_WAKES: 28,
  BIP: 32,
} as const;

/** Where the data starts in an area (the bip header's DATA is measured from `AreaField.BIP`). */
export const AREA_DATA = AreaField.BIP + BIP_HEADER_BYTES;

/** The smallest channel area: one page. */
export const CHANNEL_MIN_BYTES = 4096;

/** Bytes of a message's length word. */
export const FRAME_HEADER_BYTES = 4;

/** The bytes a message of `length` bytes takes in the buffer: the length word, the bytes, padding to 4. */
export function frameBytes(length: number): number {
  return FRAME_HEADER_BYTES + ((length + 3) & ~3);
}

/**
 * Whether `size` is a valid area size: a power of two from {@link CHANNEL_MIN_BYTES} to
 * `MAX_VMA_BYTES`. Worked: 4096 and 65536 pass; 6144 (not a power of two) and 2048 do not.
 */
export function validChannelSize(size: number): boolean {
  return (
    Number.isInteger(size) && size >= CHANNEL_MIN_BYTES && size <= MAX_VMA_BYTES && (size & (size - 1)) === 0
  );
}

/** The two areas a process uses: it sends into `tx` and receives from `rx` (their addresses in its space). */
export interface ChannelEnds {
  /** Address of the area this process sends into. */
  readonly tx: number;
  /** Address of the area this process receives from. */
  readonly rx: number;
}

/**
 * Initialise a channel area of `size` bytes at `area`: mutex free, condition 0, counters 0, an
 * empty bip buffer of `size − 64` data bytes.
 * @throws ChannelArgumentError if `size` is not a valid channel size ({@link validChannelSize}).
 */
export function* channelInitArea(s: SyncPort, area: number, size: number): UserCode<void> {
  if (!validChannelSize(size))
    throw new ChannelArgumentError(
      `channelInitArea(size=${size}): a channel area is a power of two from ${CHANNEL_MIN_BYTES} to ${MAX_VMA_BYTES} bytes`,
    );
  yield* s.mem.write(area, new Uint8Array(AreaField.BIP)); // sync words and counters 0
  yield* bipInit(s.mem, area + AreaField.BIP, size - AREA_DATA);
}

/** Wait on the area's condition, keeping the WAITING count and the sleep counter (mutex held). */
function* waitOn(s: SyncPort, area: number, counter: number): UserCode<void> {
  yield* s.mem.xadd32(area + counter, 1);
  yield* s.mem.xadd32(area + AreaField.WAITING, 1);
  const sleeps = yield* conditionWait(s, area + AreaField.COND, area + AreaField.MUTEX);
  yield* s.mem.xadd32(area + AreaField.WAITING, -1);
  yield* s.mem.xadd32(area + AreaField.FUTEX_SLEEPS, sleeps);
}

/** Take the area's mutex, counting any sleep it took. */
function* lockArea(s: SyncPort, area: number): UserCode<void> {
  const sleeps = yield* mutexLock(s, area + AreaField.MUTEX);
  if (sleeps > 0) yield* s.mem.xadd32(area + AreaField.FUTEX_SLEEPS, sleeps);
}

/** Wake the other side if anyone waits on the area (mutex held). */
function* wakeArea(s: SyncPort, area: number): UserCode<void> {
  if ((yield* s.mem.load32(area + AreaField.WAITING)) === 0) return;
  yield* s.mem.xadd32(area + AreaField.FUTEX_WAKES, 1);
  yield* conditionWake(s, area + AreaField.COND);
}

/**
 * Send one message into the area at `ends.tx`: reserve a frame, write the length and the bytes,
 * commit, wake a waiting receiver. With `block`, waits while the frame does not fit.
 * @returns 0, `-J6Status.would_block` (not blocking and no room now), or
 *   `-J6Status.err_insufficient` (the message can never fit: longer than capacity − 4, libj6's
 *   answer to a reservation larger than the buffer).
 * @example
 * ```ts
 * const r = yield* channelSend(jsixSync, ends, new Uint8Array([1, 2, 3]), true); // 0
 * ```
 */
export function* channelSend(
  s: SyncPort,
  ends: ChannelEnds,
  bytes: Uint8Array,
  block: boolean,
): UserCode<number> {
  const area = ends.tx;
  const bip = area + AreaField.BIP;
  const frame = frameBytes(bytes.length);
  yield* lockArea(s, area);
  const h = yield* bipHeader(s.mem, bip);
  if (frame > h.capacity) {
    yield* mutexUnlock(s, area + AreaField.MUTEX);
    return -J6Status.err_insufficient;
  }
  let va = yield* bipReserve(s.mem, bip, frame);
  while (va === BIP_FULL) {
    if (!block) {
      yield* mutexUnlock(s, area + AreaField.MUTEX);
      return -J6Status.would_block;
    }
    yield* waitOn(s, area, AreaField.WRITER_WAITS);
    va = yield* bipReserve(s.mem, bip, frame);
  }
  yield* s.mem.store32(va, bytes.length);
  if (bytes.length > 0) yield* s.mem.write(va + FRAME_HEADER_BYTES, bytes);
  yield* bipCommit(s.mem, bip, frame);
  yield* s.mem.xadd32(area + AreaField.MESSAGES, 1);
  yield* wakeArea(s, area);
  yield* mutexUnlock(s, area + AreaField.MUTEX);
  return 0;
}

/**
 * Receive the next message from the area at `ends.rx`: its bytes, and the frame is freed (a
 * waiting sender is woken). With `block`, waits while the area is empty.
 * @returns the message, or `-J6Status.would_block` when not blocking and nothing is there.
 * @throws ChannelInvariantError if the length word at the block's start claims more bytes than
 *   the block holds (the area was not written by {@link channelSend}).
 * @example
 * ```ts
 * const m = yield* channelReceive(jsixSync, ends, true);
 * if (typeof m !== "number") m.length; // the sender's bytes, whole
 * ```
 */
export function* channelReceive(
  s: SyncPort,
  ends: ChannelEnds,
  block: boolean,
): UserCode<Uint8Array | number> {
  const area = ends.rx;
  const bip = area + AreaField.BIP;
  yield* lockArea(s, area);
  let b = yield* bipGetBlock(s.mem, bip);
  while (b === null) {
    if (!block) {
      yield* mutexUnlock(s, area + AreaField.MUTEX);
      return -J6Status.would_block;
    }
    yield* waitOn(s, area, AreaField.READER_WAITS);
    b = yield* bipGetBlock(s.mem, bip);
  }
  const length = yield* s.mem.load32(b.va);
  const frame = frameBytes(length);
  if (frame > b.length)
    throw new ChannelInvariantError(
      `channelReceive: a frame of ${frame} bytes at 0x${b.va.toString(16)} runs past the readable block of ${b.length} (the area was written by something else?)`,
    );
  const bytes = length > 0 ? yield* s.mem.read(b.va + FRAME_HEADER_BYTES, length) : new Uint8Array(0);
  yield* bipConsume(s.mem, bip, frame);
  yield* wakeArea(s, area);
  yield* mutexUnlock(s, area + AreaField.MUTEX);
  return bytes;
}

/** The area's counters, as the demo prints them. */
export interface AreaStats {
  /** Messages sent through the area. */
  readonly messages: number;
  /** Times a sender found no room and waited. */
  readonly writerWaits: number;
  /** Times a receiver found nothing and waited. */
  readonly readerWaits: number;
  /** futex_wait calls made on the area's words (one that returned at once, the word having changed, counts). */
  readonly futexSleeps: number;
  /** Condition wakes issued. */
  readonly futexWakes: number;
}

/** Read the counters of the area at `area`. */
export function* channelAreaStats(s: SyncPort, area: number): UserCode<AreaStats> {
  return {
    messages: yield* s.mem.load32(area + AreaField.MESSAGES),
    writerWaits: yield* s.mem.load32(area + AreaField.WRITER_WAITS),
    readerWaits: yield* s.mem.load32(area + AreaField.READER_WAITS),
    futexSleeps: yield* s.mem.load32(area + AreaField.FUTEX_SLEEPS),
    futexWakes: yield* s.mem.load32(area + AreaField.FUTEX_WAKES),
  };
}

/** The two VMA handles of a channel, as its creator holds them (libj6's `channel_def`). */
export interface ChannelDef {
  /** The VMA the holder sends into. */
  readonly tx: number;
  /** The VMA the holder receives from. */
  readonly rx: number;
}

/** The peer's view of a channel: what one side sends into, the other receives from. */
export function peerDef(def: ChannelDef): ChannelDef {
  return { tx: def.rx, rx: def.tx };
}

/** A created channel: the VMA handles and where they are mapped in the creator. */
export interface CreatedChannel {
  /** Handles of the two VMAs (give them to the peer). */
  readonly def: ChannelDef;
  /** The areas' addresses in the creator. */
  readonly ends: ChannelEnds;
}

/**
 * libj6's `channel::create`: two VMAs of `size` bytes made with `j6_vma_create_map` at `txAddr`
 * and `rxAddr` in the caller (our ABI lets the caller choose the address), both areas
 * initialised. On failure the first VMA is closed again.
 * @returns the channel, or a negative j6 status (`-J6Status.err_invalid_arg` for a bad size).
 * @example
 * ```ts
 * const ch = yield* channelCreate(4096, 0x3000_0000, 0x3000_1000);
 * ```
 */
export function* channelCreate(
  size: number,
  txAddr: number,
  rxAddr: number,
): UserCode<CreatedChannel | number> {
  if (!validChannelSize(size)) return -J6Status.err_invalid_arg;
  const tx = yield* j6.j6_vma_create_map(size, txAddr, VmaFlags.WRITE);
  if (tx < 0) return tx;
  const rx = yield* j6.j6_vma_create_map(size, rxAddr, VmaFlags.WRITE);
  if (rx < 0) {
    yield* j6.j6_handle_close(tx);
    return rx;
  }
  yield* channelInitArea(jsixSync, txAddr, size);
  yield* channelInitArea(jsixSync, rxAddr, size);
  return { def: { tx, rx }, ends: { tx: txAddr, rx: rxAddr } };
}

/**
 * libj6's `channel::open`: map the two VMAs of `def` (handles this process holds) into
 * `process` (a handle to the caller's own process, or to a child being set up) at `txAddr` and
 * `rxAddr`. On failure the first mapping is undone.
 * @returns the ends, or a negative j6 status.
 */
export function* channelOpen(
  def: ChannelDef,
  process: number,
  txAddr: number,
  rxAddr: number,
): UserCode<ChannelEnds | number> {
  if (def.tx === J6_HANDLE_INVALID || def.rx === J6_HANDLE_INVALID) return -J6Status.err_invalid_arg;
  const a = yield* j6.j6_vma_map(def.tx, process, txAddr);
  if (a < 0) return a;
  const b = yield* j6.j6_vma_map(def.rx, process, rxAddr);
  if (b < 0) {
    yield* j6.j6_vma_unmap(def.tx, process);
    return b;
  }
  return { tx: txAddr, rx: rxAddr };
}
