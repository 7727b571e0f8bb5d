/**
 * The laws of message-mode channels, runnable against any channel built on `@osbricks/objects`
 * handle tables: two writer processes share one end (one handle each), a reader at the other end
 * reads in between, and a plain array is the model.
 *
 * - no message is lost, duplicated or reordered within a writer (each carries writer and sequence);
 * - a handle sent with a message leaves the writer's table on success, stays on refusal, and
 *   reaches the reader exactly once (checked by koid);
 * - the bound is exact: a write is refused `would-block` exactly when the model's queue is full.
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

/** The channel laws. */
export function channelLaws(impl: ChannelUnderTest, options: LawOptions = {}): Law[] {
  const maxLength = options.maxSteps ?? 50;
  return [
    {
      name: "channel: two writers, one reader — FIFO per writer, exact bound, handles moved exactly once",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.record({ who: fc.nat(2), withHandle: fc.boolean() }), { minLength: 1, maxLength }),
            (ops) => {
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
              const delivered = new Set<number>();
              for (const op of ops) {
                if (op.who === 2) {
                  const r = impl.read(reader, types, hb, 8);
                  const want = model.shift();
                  if (want === undefined) {
                    if (r.kind !== "would-block") fail(`read of an empty channel gave ${r.kind}`);
                    continue;
                  }
                  if (r.kind !== "ok") fail(`read gave ${r.kind}, model has writer ${want.who} #${want.seq}`);
                  if (r.bytes[0] !== want.who || r.bytes[1] !== want.seq) {
                    fail(
                      `read writer ${r.bytes[0]} #${r.bytes[1]}, model expects writer ${want.who} #${want.seq}`,
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
                    Uint8Array.of(op.who, seqs[op.who]!),
                    e === null ? [] : [e],
                  );
                  const inWriter = e !== null && table.lookup(e, null, 0).kind === "ok";
                  if (model.length < BOUND) {
                    if (r.kind !== "ok")
                      fail(`write refused (${r.kind}) with ${model.length} < ${BOUND} queued`);
                    if (inWriter) fail("a sent handle is still in the writer's table");
                    model.push({ who: op.who, seq: seqs[op.who]!++, koid });
                  } else {
                    if (r.kind !== "would-block") fail(`write to a full channel gave ${r.kind}`);
                    if (e !== null && !inWriter) fail("a refused write took the handle");
                  }
                }
                space.checkInvariants();
                a.checkInvariants();
                b.checkInvariants();
              }
            },
          ),
          fcParams(options),
        ),
    },
  ];
}
