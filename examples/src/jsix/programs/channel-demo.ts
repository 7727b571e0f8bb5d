/**
 * channel-demo: libj6's user-space channel (`../lib/channel/`) between two processes, streaming
 * messages of varying sizes that wrap around the buffer many times, every byte checked.
 *
 * ```
 *   srv.init ── build ──▶ channel-demo (role PRODUCER, arg 0)
 *                           channelCreate: two 4 KiB VMAs, mapped here at DATA_ADDR / REPORT_ADDR
 *                           j6_process_create ──▶ the consumer (empty process)
 *                           channelOpen(peerDef) maps the same VMAs into it, swapped
 *                           j6_thread_create(consumer, entry, CONSUMER)
 *
 *      producer ── 64 messages, 0..999 bytes ── data VMA ──▶ consumer: checks every byte
 *      producer ◀── report: count, bytes, checksum ── report VMA ── consumer
 * ```
 *
 * **Two phases**, so both ways of blocking show: in the first half the producer computes between
 * messages and the consumer drains faster than data arrives (the reader waits on an empty
 * buffer); in the second the consumer computes per message and the 4032-byte buffer fills (the
 * writer waits for room). The counters live in the data VMA's header (`channel.ts`), so the
 * producer reads both sides' waits from its own mapping once the report has arrived — the report
 * is the consumer's last act on the data area, so they are final.
 *
 * Lines (through `j6_log`; srv.logger prints them):
 *   channel-demo consumer: received 64 messages, N bytes, every byte right; checksum 0x…
 *   channel-demo producer: sent 64 messages, N bytes, checksum 0x…; the consumer's report matches
 *   channel-demo: data VMA: writer blocked on full W times, reader blocked on empty R times, F futex waits, K futex wakes
 *
 * Related: `../lib/channel/channel.ts`, `init.ts` (builds it), `protocol.ts` (its entry).
 */
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { compute } from "@osbricks/kernel";
import { j6StatusName } from "../abi.js";
import {
  type ChannelEnds,
  channelAreaStats,
  channelCreate,
  channelOpen,
  channelReceive,
  channelSend,
  jsixSync,
  peerDef,
} from "../lib/channel/index.js";
import { hex, j6, log, scratch } from "../lib.js";

/** The demo's roles (`j6_thread_create`'s arg). */
export const ChannelDemoRole = { PRODUCER: 0, CONSUMER: 1 } as const;

/** Messages the producer sends. */
export const CHANNEL_DEMO_MESSAGES = 64;
/** Bytes of each channel area (one page: 4032 data bytes after the 64-byte header). */
export const CHANNEL_DEMO_BYTES = 4096;
/** Cycles the slow side computes per message in its phase. */
export const CHANNEL_DEMO_WORK = 6_000;

/** Where the producer maps the data VMA (its tx) and the report VMA (its rx). */
export const PRODUCER_ENDS: ChannelEnds = { tx: 0x3100_0000, rx: 0x3100_1000 };
/** Where the consumer sees them: the report VMA is its tx, the data VMA its rx. */
export const CONSUMER_ENDS: ChannelEnds = { tx: 0x3200_1000, rx: 0x3200_0000 };

/** Length of message `j`: 0..999 bytes, varying so frames land everywhere in the buffer. */
export function demoLength(j: number): number {
  return (j * 389 + 17) % 1000;
}

/** Byte `i` of message `j` (varies with both, so a misplaced or stale byte shows). */
export function demoByte(j: number, i: number): number {
  return (j * 131 + i * 7 + 1) & 0xff;
}

/** FNV-1a over a byte, 32 bits: `checksum = fnv(checksum, byte)` from {@link FNV_BASIS}. */
export function fnv(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x0100_0193) >>> 0;
}
/** FNV-1a's offset basis. */
export const FNV_BASIS = 0x811c_9dc5;

/**
 * The channel-demo program, given its own boot-image entry (the number `j6_thread_create` needs
 * to start the consumer running this same program).
 * @example
 * ```ts
 * registry.register({ name: "channel-demo", main: channelDemoProgram(entryOf("channel-demo")) });
 * ```
 */
export function channelDemoProgram(entry: number): (start: ProcessStart) => UserCode<number> {
  return function* channelDemoMain(start: ProcessStart): UserCode<number> {
    const role = Number(start.argv[1] ?? ChannelDemoRole.PRODUCER);
    return role === ChannelDemoRole.CONSUMER ? yield* consumer() : yield* producer(entry);
  };
}

function* producer(entry: number): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const ch = yield* channelCreate(CHANNEL_DEMO_BYTES, PRODUCER_ENDS.tx, PRODUCER_ENDS.rx);
  if (typeof ch === "number") {
    yield* log(buf, `channel-demo: channel_create failed: ${j6StatusName(ch)}`);
    return 1;
  }
  const p = yield* j6.j6_process_create();
  const opened = yield* channelOpen(peerDef(ch.def), p, CONSUMER_ENDS.tx, CONSUMER_ENDS.rx);
  const th =
    typeof opened === "number" ? opened : yield* j6.j6_thread_create(p, entry, ChannelDemoRole.CONSUMER);
  if (th < 0) {
    yield* log(buf, `channel-demo: could not start the consumer: ${j6StatusName(th)}`);
    return 1;
  }
  yield* j6.j6_handle_close(th);

  let bytes = 0;
  let sum = FNV_BASIS;
  for (let j = 0; j < CHANNEL_DEMO_MESSAGES; j++) {
    const n = demoLength(j);
    const msg = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      msg[i] = demoByte(j, i);
      sum = fnv(sum, msg[i] as number);
    }
    if (j < CHANNEL_DEMO_MESSAGES / 2) yield* compute(CHANNEL_DEMO_WORK); // phase 1: a slow writer
    const r = yield* channelSend(jsixSync, ch.ends, msg, true);
    if (r !== 0) {
      yield* log(buf, `channel-demo producer: send ${j} failed: ${j6StatusName(r)}`);
      return 1;
    }
    bytes += n;
  }
  const report = yield* channelReceive(jsixSync, ch.ends, true);
  const words =
    typeof report === "number" ? null : new DataView(report.buffer, report.byteOffset, report.length);
  const ok =
    words !== null &&
    words.byteLength === 12 &&
    words.getUint32(0, true) === CHANNEL_DEMO_MESSAGES &&
    words.getUint32(4, true) === bytes &&
    words.getUint32(8, true) === sum;
  yield* log(
    buf,
    `channel-demo producer: sent ${CHANNEL_DEMO_MESSAGES} messages, ${bytes} bytes, checksum ${hex(sum)}; ${ok ? "the consumer's report matches" : "the consumer's report DIFFERS"}`,
  );
  const s = yield* channelAreaStats(jsixSync, ch.ends.tx);
  yield* log(
    buf,
    `channel-demo: data VMA: ${s.messages} messages, writer blocked on full ${s.writerWaits} times, reader blocked on empty ${s.readerWaits} times, ${s.futexSleeps} futex waits, ${s.futexWakes} futex wakes`,
  );
  yield* j6.j6_handle_close(p);
  return ok ? 0 : 1;
}

function* consumer(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  let bytes = 0;
  let wrong = 0;
  let sum = FNV_BASIS;
  let received = 0;
  for (let j = 0; j < CHANNEL_DEMO_MESSAGES; j++) {
    const m = yield* channelReceive(jsixSync, CONSUMER_ENDS, true);
    if (typeof m === "number") break;
    received++;
    if (m.length !== demoLength(j)) wrong++;
    for (let i = 0; i < m.length; i++) {
      const b = m[i] as number;
      if (b !== demoByte(j, i)) wrong++;
      sum = fnv(sum, b);
    }
    bytes += m.length;
    if (j >= CHANNEL_DEMO_MESSAGES / 2) yield* compute(CHANNEL_DEMO_WORK); // phase 2: a slow reader
  }
  yield* log(
    buf,
    `channel-demo consumer: received ${received} messages, ${bytes} bytes, ${wrong === 0 ? "every byte right" : `${wrong} wrong`}; checksum ${hex(sum)}`,
  );
  const report = new Uint8Array(12);
  const v = new DataView(report.buffer);
  v.setUint32(0, received, true);
  v.setUint32(4, bytes, true);
  v.setUint32(8, sum, true);
  const r = yield* channelSend(jsixSync, CONSUMER_ENDS, report, true);
  return r === 0 && wrong === 0 && received === CHANNEL_DEMO_MESSAGES ? 0 : 1;
}
