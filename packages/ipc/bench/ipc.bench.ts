// vitest benchmarks of the ipc hot paths (`pnpm bench --project ipc`). Timed figures belong here,
// never in tests. The baseline replay is bench/baseline-ipc.ts.
import { PhysicalMemory } from "@osbricks/hw-x86";
import { ObjectSpace, Right, SlotHandleTable } from "@osbricks/objects";
import { bench, describe } from "vitest";
import {
  channelRead,
  channelWrite,
  createChannel,
  defineIpcTypes,
  Endpoint,
  Futex,
  IpcThreads,
  MR_COUNT,
  makeTag,
  Notification,
} from "../src/index.js";

const threads = new IpcThreads({ maxThreads: 4, waker: { wake() {} } });
const ep = new Endpoint(threads);
const TAG = makeTag({ label: 1, words: 16 });

describe("endpoint", () => {
  bench("call + replyReceive round trip (16 words each way)", () => {
    ep.receive(1);
    threads.mr[0] = TAG;
    ep.call(0);
    threads.mr[MR_COUNT] = TAG;
    ep.reply(1, threads.replyCap[1]!);
  });
});

const note = new Notification(threads);
describe("notification", () => {
  bench("wait (blocks) + signal (wakes)", () => {
    note.wait(2);
    note.signal(1);
  });
});

const futex = new Futex(threads, new PhysicalMemory({ size: 1 << 16 }));
describe("futex", () => {
  bench("wait (blocks) + wake 1", () => {
    futex.wait(3, 0x100, 0);
    futex.wake(0x100, 1);
  });
});

const space = new ObjectSpace();
const types = defineIpcTypes(space);
const [a, b] = createChannel(space, types);
const ta = new SlotHandleTable(space);
const tb = new SlotHandleTable(space);
const rights = Right.READ | Right.WRITE;
const ha = ta.create(a, rights);
const hb = tb.create(b, rights);
const msg = new Uint8Array(64);
describe("channel", () => {
  bench("write + read of a 64-byte message through handles", () => {
    if (ha.kind === "ok" && hb.kind === "ok") {
      channelWrite(ta, types, ha.handle, msg);
      channelRead(tb, types, hb.handle, 64);
    }
  });
});
