import { cancelWait, KernelObject, ObjectSpace, objectWait } from "@osbricks/objects";
import { waitLaws } from "@osbricks/objects/laws";
import { describe, expect, it } from "vitest";
import { cpuId, ObjectWaitHost, RoundRobinPolicy, Scheduler, UnknownThreadError } from "../src/index.js";

function world() {
  const sched = new Scheduler({ policy: () => new RoundRobinPolicy({ quantum: 5 }) });
  const host = new ObjectWaitHost(sched);
  return { sched, host };
}

describe("ObjectWaitHost: objects' WaitHost on the scheduler", () => {
  // The object layer's own laws, run against this host. They invent waiter ids 1, 2, 3, ...:
  // the harness spawns that many threads first so every id is a real thread.
  for (const law of waitLaws(
    () => {
      const { sched, host } = world();
      for (let i = 0; i < 400; i++) sched.spawn();
      return { host, advanceTo: (t: number) => host.advanceTo(t) };
    },
    { numRuns: 50 },
  )) {
    it(law.name, () => law.check());
  }

  it("a signal wakes a thread blocked in object_wait, and it resumes with the result", () => {
    const { sched, host } = world();
    const space = new ObjectSpace();
    const type = space.defineType({ name: "event", signals: ["fired"] });
    const obj = new KernelObject(space, type);
    obj.retain();
    const t = sched.spawn();
    sched.start(t);
    expect(sched.schedule(cpuId(0))).toBe(t);
    const r = objectWait(host, t, obj, 0x100, null);
    expect(r.kind).toBe("blocked");
    if (r.kind !== "blocked") return;
    expect(host.block(t, "event", () => cancelWait(r.ticket))).toBe(true);
    expect(sched.stateOf(t)).toBe("blocked");
    expect(sched.info(t).blockReason).toEqual({ kind: "object", on: "event" });
    obj.assertSignals(0x100);
    expect(sched.stateOf(t)).toBe("ready");
    expect(host.takeResult(t).kind).toBe("satisfied");
  });

  it("a deadline times the wait out through advanceTo, interleaved with sleep timers by deadline", () => {
    const { sched, host } = world();
    const space = new ObjectSpace();
    const obj = new KernelObject(space, space.defineType({ name: "e", signals: ["a"] }));
    obj.retain();
    const a = sched.spawn();
    const b = sched.spawn();
    sched.start(a);
    sched.start(b);
    sched.schedule(cpuId(0));
    const r = objectWait(host, a, obj, 0x100, 30);
    if (r.kind !== "blocked") throw new Error(r.kind);
    host.block(a, "e");
    sched.schedule(cpuId(0));
    sched.sleepUntil(b, 20);
    const order: string[] = [];
    host.advanceTo(25);
    order.push(`${sched.stateOf(b)}@${host.now()}`);
    expect(sched.stateOf(a)).toBe("blocked");
    host.advanceTo(40);
    expect(sched.stateOf(a)).toBe("ready");
    expect(host.takeResult(a).kind).toBe("timed-out");
    expect(order).toEqual(["ready@25"]);
  });

  it("killing a thread blocked in object_wait cancels the wait (no wake later)", () => {
    const { sched, host } = world();
    const space = new ObjectSpace();
    const obj = new KernelObject(space, space.defineType({ name: "e", signals: ["a"] }));
    obj.retain();
    const t = sched.spawn();
    sched.start(t);
    sched.schedule(cpuId(0));
    const r = objectWait(host, t, obj, 0x100, null);
    if (r.kind !== "blocked") throw new Error(r.kind);
    host.block(t, "e", () => cancelWait(r.ticket));
    sched.exit(t);
    expect(obj.observerCount).toBe(0);
    obj.assertSignals(0x100);
    expect(host.hasResult(t)).toBe(false);
    sched.checkInvariants();
  });

  it("a wake for a thread the scheduler never made is refused", () => {
    const { host } = world();
    expect(() => host.wake(99, { kind: "cancelled", observed: [] })).toThrow(UnknownThreadError);
  });
});
