/**
 * The laws of message-mode channels, runnable against any channel built on `@osbricks/objects`
 * handle tables: two writer processes share one end (one handle each), a reader at the other end
 * reads in between, and a plain array is the model.
 *
 * - no message is lost, duplicated, reordered within a writer, or altered: each message has its
 *   own length (0..24 bytes) and content, derived from writer and sequence, read back byte for byte;
 * - a handle sent with a message leaves the writer's table on success, stays on refusal, and
 *   reaches the reader exactly once (checked by koid);
 * - the bound is exact: a write is refused `would-block` exactly when the model's queue is full;
 * - close semantics: once both writers closed their handles (the writing end is destroyed), the
 *   reader still drains every queued message, in order, and only then reads `peer-closed`; once the
 *   reader closed its end, every write is refused `peer-closed` and its handle stays with the
 *   writer, and the messages left in the queue are dropped with their handles closed (the object
 *   space's invariants, checked after every step, see no leak).
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
import type {
  ChannelEnd,
  ChannelOptions,
  ChannelReadResult,
  ChannelWriteResult,
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

/** The bytes of writer `who`'s message number `seq`: 2..24 bytes, [who, seq, then a pattern]. */
function messageBytes(who: number, seq: number): Uint8Array {
  const n = 2 + ((seq * 5 + who * 11) % 23);
  const out = new Uint8Array(n);
  out[0] = who;
  out[1] = seq & 0xff;
  for (let i = 2; i < n; i++) out[i] = (seq * 31 + who * 7 + i * 13) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One step of the channel law: a read, a write by writer 0 or 1, or a close. */
type ChannelOp =
  | { readonly op: "read" }
  | { readonly op: "write"; readonly who: number; readonly withHandle: boolean }
  | { readonly op: "close"; readonly who: "reader" | 0 | 1 };

const opArb: fc.Arbitrary<ChannelOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: "read" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant("write" as const), who: fc.nat(1), withHandle: fc.boolean() }),
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
      name: "channel: two writers, one reader — FIFO per writer, exact bytes, exact bound, handles moved exactly once, drain then peer-closed",
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
            const model: Array<{ who: number; seq: number; koid: number | null }> = [];
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
                if (want.koid === null) {
                  if (r.handles.length !== 0)
                    fail(`message without handles arrived with ${r.handles.length}`);
                } else {
                  const l = reader.lookup(r.handles[0] ?? 0, null, 0);
                  if (l.kind !== "ok" || l.object.koid !== want.koid)
                    fail(`handle of writer ${want.who} #${want.seq} lost or wrong`);
                  if (delivered.has(want.koid)) fail(`object ${want.koid} delivered twice`);
                  delivered.add(want.koid);
                }
              } else {
                if (!writerOpen[op.who]) continue;
                const [table, h] = writers[op.who]!;
                const e = op.withHandle
                  ? created(table.create(new KernelObject(space, eventType), Right.TRANSFER))
                  : null;
                const koid =
                  e === null
                    ? null
                    : (table.lookup(e, null, 0) as { readonly object: KernelObject }).object.koid;
                const r = impl.write(
                  table,
                  types,
                  h,
                  messageBytes(op.who, seqs[op.who]!),
                  e === null ? [] : [e],
                );
                const inWriter = e !== null && table.lookup(e, null, 0).kind === "ok";
                if (!readerOpen) {
                  if (r.kind !== "peer-closed") fail(`write after the reader closed gave ${r.kind}`);
                  if (e !== null && !inWriter) fail("a write refused peer-closed took the handle");
                } else if (model.length < BOUND) {
                  if (r.kind !== "ok")
                    fail(`write refused (${r.kind}) with ${model.length} < ${BOUND} queued`);
                  if (r.bytes !== messageBytes(op.who, seqs[op.who]!).length)
                    fail(
                      `write reported ${r.bytes} bytes of a ${messageBytes(op.who, seqs[op.who]!).length}-byte message`,
                    );
                  if (inWriter) fail("a sent handle is still in the writer's table");
                  model.push({ who: op.who, seq: seqs[op.who]!++, koid });
                } else {
                  if (r.kind !== "would-block") fail(`write to a full channel gave ${r.kind}`);
                  if (e !== null && !inWriter) fail("a refused write took the handle");
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
  ];
}
