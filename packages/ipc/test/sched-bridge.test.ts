import { cpuId, RoundRobinPolicy, type ThreadId as SchedThreadId, Scheduler } from "@osbricks/sched";
import { describe, expect, it } from "vitest";
import { Endpoint, IpcStatus, IpcThreads, MR_COUNT, makeTag, SchedBridge } from "../src/index.js";

function rig() {
  const sched = new Scheduler({ cpus: 1, policy: () => new RoundRobinPolicy({ quantum: 10 }) });
  const sids: SchedThreadId[] = [sched.spawn(), sched.spawn()];
  for (const s of sids) sched.start(s);
  const bridge = new SchedBridge(sched, (t) => sids[t]!);
  const threads = new IpcThreads({ maxThreads: 2, waker: bridge });
  bridge.attach(threads);
  const ep = new Endpoint(threads);
  const cpu = cpuId(0);
  return { sched, sids, bridge, threads, ep, cpu };
}

describe("SchedBridge (ipc waits as sched blocked states)", () => {
  it("a call/receive/reply exchange blocks and readies the right sched threads", () => {
    const { sched, sids, bridge, threads, ep, cpu } = rig();
    const ipcOf = (s: SchedThreadId | null) => sids.indexOf(s!);
    // The server (ipc 1) runs first and waits.
    while (ipcOf(sched.schedule(cpu)) !== 1) sched.yield(sched.current(cpu)!);
    expect(ep.receive(1)).toBe(IpcStatus.Blocked);
    bridge.blocked(1);
    expect(sched.stateOf(sids[1]!)).toBe("blocked");
    // The client runs, calls: the server becomes ready, the client blocks.
    expect(ipcOf(sched.schedule(cpu))).toBe(0);
    threads.mr[0] = makeTag({ label: 1, words: 1 });
    threads.mr[1] = 20;
    expect(ep.call(0)).toBe(IpcStatus.Blocked);
    bridge.blocked(0);
    expect(sched.stateOf(sids[1]!)).toBe("ready");
    expect(bridge.statusOf(1)).toBe(IpcStatus.Ok);
    // The server runs, replies: the client is ready with Ok and the answer.
    expect(ipcOf(sched.schedule(cpu))).toBe(1);
    threads.mr[MR_COUNT + 1]! += 1;
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.Ok);
    expect(sched.stateOf(sids[0]!)).toBe("ready");
    expect(bridge.statusOf(0)).toBe(IpcStatus.Ok);
    expect(threads.mr[1]).toBe(21);
    sched.checkInvariants();
    threads.checkInvariants();
  });

  it("a thread that sched removes while blocked in ipc leaves the endpoint's queue", () => {
    const { sched, sids, bridge, threads, ep, cpu } = rig();
    const first = sched.schedule(cpu)!;
    const t = sids.indexOf(first);
    expect(ep.receive(t)).toBe(IpcStatus.Blocked);
    bridge.blocked(t);
    sched.exit(first);
    expect(ep.queuedReceivers()).toEqual([]);
    expect(bridge.statusOf(t)).toBe(IpcStatus.Cancelled);
    threads.checkInvariants();
    ep.checkInvariants();
  });
});
