/**
 * The laws of message-mode channels, runnable against any channel built on `@osbricks/objects`
 * handle tables: two writer processes share one end (one handle each), a reader at the other end
 * reads in between, and a plain array is the model.
 *
 * - no message is lost, duplicated, reordered within a writer, or altered: each message has its
 *   own length (0..24 bytes, empty ones included) and content, derived from writer and sequence,
 *   read back byte for byte;
 * - the 0..3 handles sent with a message leave the writer's table on success and reach the reader
 *   exactly once, in the order sent, each with exactly the rights it was sent with (checked by
 *   koid and rights); a handle without the TRANSFER right refuses the whole write (`bad-transfer`),
 *   and a refused write of any kind leaves every listed handle where it was, with its rights;
 * - the bound is exact: a write is refused `would-block` exactly when the model's queue is full;
 * - close semantics: once both writers closed their handles (the writing end is destroyed), the
 *   reader still drains every queued message, in order, and only then reads `peer-closed`; once the
 *   reader closed its end, every write is refused `peer-closed` and its handle stays with the
 *   writer, and the messages left in the queue are dropped with their handles closed (the object
 *   space's invariants, checked after every step, see no leak);
 * - and, directed ({@link channelLimitsLaw}): a message holds at most 65536 bytes and 64 handles
 *   whatever the queue holds (Zircon's ZX_CHANNEL_MAX_MSG_BYTES and _HANDLES).
 *
 * Related: `../channel/channel.ts`.
 */
import {
  type HandleTable,
  KernelObject,
  ObjectSpace,
  type ObjectType,
  Right,
  SlotHandleTable,
} from "@osbricks/objects";
import fc from "fast-check";
import {
  type ChannelEnd,
  type ChannelOptions,
  type ChannelReadResult,
  type ChannelWriteResult,
  MAX_CHANNEL_HANDLES,
  MAX_CHANNEL_MESSAGE_BYTES,
} from "../channel/channel.js";
import { defineIpcTypes, type IpcObjectTypes } from "../kobjects/ipc-types.js";
import { fcParams, type Law, type LawOptions } from "./law.js";

/** What the channel laws need: a way to make a pair and the two system calls. */
export interface ChannelUnderTest {
  /** Make a message-mode channel whose queues hold `maxMessages` messages. */
  create(space: ObjectSpace, types: IpcObjectTypes, options: ChannelOptions): [ChannelEnd, ChannelEnd];
  write(
    table: HandleTable,
    types: IpcObjectTypes,
    handle: number,
    bytes: Uint8Array,
    handles: readonly number[],
  ): ChannelWriteResult;
  read(table: HandleTable, types: IpcObjectTypes, handle: number, maxBytes: number): ChannelReadResult;
}

const RIGHTS = Right.READ | Right.WRITE | Right.WAIT | Right.TRANSFER | Right.DUPLICATE;
const BOUND = 4;

function fail(msg: string): never {
  throw new Error(msg);
}

function created(r: { readonly kind: string }): number {
  if (r.kind !== "ok") fail(`handle creation failed: ${r.kind}`);
  return (r as unknown as { readonly handle: number }).handle;
}

/**
 * The bytes of writer `who`'s message number `seq`: 0..24 bytes (writer 0's first is empty),
 * [who, seq, then a pattern], cut to length.
 */
function messageBytes(who: number, seq: number): Uint8Array {
  const n = (seq * 5 + who * 11) % 25;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    out[i] = i === 0 ? who : i === 1 ? seq & 0xff : (seq * 31 + who * 7 + i * 13) & 0xff;
  return out;
}

/** Rights of the handles a message carries, in turn: each includes TRANSFER, as sending needs. */
const SENT_RIGHTS = [
  Right.TRANSFER,
  Right.TRANSFER | Right.WAIT,
  Right.TRANSFER | Right.READ | Right.DUPLICATE,
] as const;

/** Rights of the one handle a bad write lists: everything but TRANSFER. */
const UNSENDABLE = Right.READ | Right.WAIT | Right.DUPLICATE;

/** A handle listed in a write: its value in the writer's table, its object's koid, its rights. */
interface Sent {
  readonly handle: number;
  readonly koid: number;
  readonly rights: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One step of the channel law: a read, a write by writer 0 or 1, or a close. */
type ChannelOp =
  | { readonly op: "read" }
  | { readonly op: "write"; readonly who: number; readonly handles: number; readonly bad: boolean }
  | { readonly op: "close"; readonly who: "reader" | 0 | 1 };

const opArb: fc.Arbitrary<ChannelOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: "read" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("write" as const),
      who: fc.nat(1),
      handles: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
      // One write in six lists a handle without TRANSFER (when it lists any).
      bad: fc.oneof(
        { weight: 5, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("close" as const),
      who: fc.constantFrom<"reader" | 0 | 1>("reader", 0, 1),
    }),
  },
);

/** The channel laws. */
export function channelLaws(impl: ChannelUnderTest, options: LawOptions = {}): Law[] {
  const maxLength = options.maxSteps ?? 50;
  return [
    {
      name: "channel: two writers, one reader — FIFO per writer, exact bytes, exact bound, handles moved exactly once in order with their rights, all or none, drain then peer-closed",
      check: () =>
        fc.assert(
          // size "max": fast-check's default size draws about 10 steps, too few to close both
          // writers with messages still queued; "max" draws lengths up to maxSteps.
          fc.property(fc.array(opArb, { minLength: 1, maxLength, size: "max" }), (ops) => {
            const space = new ObjectSpace();
            const types = defineIpcTypes(space);
            const eventType: ObjectType = space.defineType({ name: "event" });
            const [a, b] = impl.create(space, types, { maxMessages: BOUND });
            const tables = [new SlotHandleTable(space), new SlotHandleTable(space)];
            const reader = new SlotHandleTable(space);
            const writers = tables.map((t) => [t, created(t.create(a, RIGHTS))] as const);
            const hb = created(reader.create(b, RIGHTS));
            const model: Array<{ who: number; seq: number; sent: readonly Sent[] }> = [];
            const seqs = [0, 0];
            const writerOpen = [true, true];
            let readerOpen = true;
            const delivered = new Set<number>();
            for (const op of ops) {
              if (op.op === "close") {
                if (op.who === "reader") {
                  if (!readerOpen) continue;
                  readerOpen = false;
                  reader.close(hb);
                  model.length = 0; // queued messages are dropped, their handles closed
                } else {
                  if (!writerOpen[op.who]) continue;
                  writerOpen[op.who] = false;
                  tables[op.who]!.close(writers[op.who]![1]);
                }
              } else if (op.op === "read") {
                if (!readerOpen) continue;
                const r = impl.read(reader, types, hb, 64);
                const want = model.shift();
                if (want === undefined) {
                  const expect = writerOpen[0] || writerOpen[1] ? "would-block" : "peer-closed";
                  if (r.kind !== expect) fail(`read of an empty channel gave ${r.kind}, expected ${expect}`);
                  continue;
                }
                if (r.kind !== "ok") fail(`read gave ${r.kind}, model has writer ${want.who} #${want.seq}`);
                if (!sameBytes(r.bytes, messageBytes(want.who, want.seq))) {
                  fail(
                    `read [${r.bytes.join(",")}], model expects writer ${want.who} #${want.seq}: [${messageBytes(want.who, want.seq).join(",")}]`,
                  );
                }
                const what = `writer ${want.who} #${want.seq}`;
                if (r.handles.length !== want.sent.length)
                  fail(
                    `${what} was sent with ${want.sent.length} handles and arrived with ${r.handles.length}`,
                  );
                want.sent.forEach((sent, j) => {
                  const l = reader.lookup(r.handles[j]!, null, 0);
                  if (l.kind !== "ok" || l.object.koid !== sent.koid)
                    fail(
                      `handle ${j} of ${what} lost, wrong or out of order (handles arrive in the order sent)`,
                    );
                  if (l.rights !== sent.rights)
                    fail(
                      `handle ${j} of ${what} arrived with rights 0x${l.rights.toString(16)}, sent with 0x${sent.rights.toString(16)}: a moved handle keeps exactly its rights`,
                    );
                  if (delivered.has(sent.koid)) fail(`object ${sent.koid} delivered twice`);
                  delivered.add(sent.koid);
                });
              } else {
                if (!writerOpen[op.who]) continue;
                const [table, h] = writers[op.who]!;
                const seq = seqs[op.who]!;
                const badAt = op.bad && op.handles > 0 ? seq % op.handles : -1;
                const sent: Sent[] = [];
                for (let j = 0; j < op.handles; j++) {
                  const rights = j === badAt ? UNSENDABLE : SENT_RIGHTS[(seq + j) % SENT_RIGHTS.length]!;
                  const e = created(table.create(new KernelObject(space, eventType), rights));
                  const koid = (table.lookup(e, null, 0) as { readonly object: KernelObject }).object.koid;
                  sent.push({ handle: e, koid, rights });
                }
                const bytes = messageBytes(op.who, seq);
                const r = impl.write(
                  table,
                  types,
                  h,
                  bytes,
                  sent.map((x) => x.handle),
                );
                /** Index of the first listed handle no longer in the writer's table as it was, or -1. */
                const firstGone = () =>
                  sent.findIndex((x) => {
                    const l = table.lookup(x.handle, null, 0);
                    return l.kind !== "ok" || l.object.koid !== x.koid || l.rights !== x.rights;
                  });
                const refused = (why: string) => {
                  const j = firstGone();
                  if (j >= 0)
                    fail(
                      `a write refused ${why} took handle ${j} of ${sent.length}: a refused write moves none (check every handle before moving any)`,
                    );
                };
                if (!readerOpen) {
                  if (r.kind !== "peer-closed") fail(`write after the reader closed gave ${r.kind}`);
                  refused("peer-closed");
                } else if (badAt >= 0) {
                  if (r.kind !== "bad-transfer" && !(r.kind === "would-block" && model.length === BOUND))
                    fail(
                      `write listing handle ${badAt} without the TRANSFER right gave ${r.kind}: a handle its holder may not transfer refuses the whole write (bad-transfer)`,
                    );
                  refused(r.kind);
                } else if (model.length < BOUND) {
                  if (r.kind !== "ok")
                    fail(`write refused (${r.kind}) with ${model.length} < ${BOUND} queued`);
                  if (r.bytes !== bytes.length)
                    fail(`write reported ${r.bytes} bytes of a ${bytes.length}-byte message`);
                  sent.forEach((x, j) => {
                    if (table.lookup(x.handle, null, 0).kind === "ok")
                      fail(`handle ${j} of ${sent.length} sent is still in the writer's table`);
                  });
                  model.push({ who: op.who, seq, sent });
                  seqs[op.who] = seq + 1;
                } else {
                  if (r.kind !== "would-block") fail(`write to a full channel gave ${r.kind}`);
                  refused("would-block");
                }
              }
              space.checkInvariants();
              if (a.state !== "destroyed") a.checkInvariants();
              if (b.state !== "destroyed") b.checkInvariants();
            }
          }),
          fcParams(options),
        ),
    },
    channelLimitsLaw(impl),
  ];
}

/**
 * A directed law: the limits of one message are Zircon's, whatever the queue holds — at most
 * {@link MAX_CHANNEL_MESSAGE_BYTES} bytes (ZX_CHANNEL_MAX_MSG_BYTES) and
 * {@link MAX_CHANNEL_HANDLES} handles (ZX_CHANNEL_MAX_MSG_HANDLES). On a channel whose queue
 * holds 1 MiB, a message at each limit is taken whole and read back whole; one byte or one handle
 * more is refused (`too-large`, `too-many-handles`) and moves nothing.
 */
export function channelLimitsLaw(impl: ChannelUnderTest): Law {
  return {
    name: `channel: one message holds at most ${MAX_CHANNEL_MESSAGE_BYTES} bytes and ${MAX_CHANNEL_HANDLES} handles whatever the queue holds; a message at the limits passes whole, one over is refused and moves nothing`,
    check: () => {
      const space = new ObjectSpace();
      const types = defineIpcTypes(space);
      const eventType: ObjectType = space.defineType({ name: "event" });
      const [a, b] = impl.create(space, types, { maxMessages: BOUND, maxBytes: 1 << 20 });
      const writer = new SlotHandleTable(space, { capacity: 128 });
      const reader = new SlotHandleTable(space, { capacity: 128 });
      const ha = created(writer.create(a, RIGHTS));
      const hb = created(reader.create(b, RIGHTS));
      const events = Array.from({ length: MAX_CHANNEL_HANDLES + 1 }, () =>
        created(writer.create(new KernelObject(space, eventType), Right.TRANSFER)),
      );
      const before = writer.size;
      const big = new Uint8Array(MAX_CHANNEL_MESSAGE_BYTES + 1).map((_, i) => i & 0xff);
      const over = impl.write(writer, types, ha, big, []);
      if (over.kind !== "too-large")
        fail(`a ${big.length}-byte message on a 1 MiB queue gave ${over.kind}, expected too-large`);
      const tooMany = impl.write(writer, types, ha, big.subarray(0, 1), events);
      if (tooMany.kind !== "too-many-handles")
        fail(`a message with ${events.length} handles gave ${tooMany.kind}, expected too-many-handles`);
      if (writer.size !== before || events.some((h) => writer.lookup(h, null, 0).kind !== "ok"))
        fail("a refused message moved handles out of the writer's table");
      if (impl.read(reader, types, hb, 1 << 20).kind !== "would-block")
        fail("a refused message reached the reader");
      const atLimit = impl.write(
        writer,
        types,
        ha,
        big.subarray(0, MAX_CHANNEL_MESSAGE_BYTES),
        events.slice(1),
      );
      if (atLimit.kind !== "ok")
        fail(
          `a message of ${MAX_CHANNEL_MESSAGE_BYTES} bytes and ${MAX_CHANNEL_HANDLES} handles gave ${atLimit.kind}`,
        );
      const got = impl.read(reader, types, hb, 1 << 20);
      if (got.kind !== "ok") fail(`reading the message at the limits gave ${got.kind}`);
      if (
        !sameBytes(got.bytes, big.subarray(0, MAX_CHANNEL_MESSAGE_BYTES)) ||
        got.handles.length !== MAX_CHANNEL_HANDLES
      )
        fail(
          `the message at the limits came back as ${got.bytes.length} bytes and ${got.handles.length} handles`,
        );
      space.checkInvariants();
    },
  };
}
