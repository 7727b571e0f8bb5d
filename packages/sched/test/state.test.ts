import { describe, expect, it } from "vitest";
import {
  canTransition,
  checkTransition,
  IllegalTransitionError,
  THREAD_STATES,
  THREAD_TRANSITIONS,
  type ThreadLifecycle,
  threadId,
  transition,
} from "../src/index.js";

const fresh = (state: ThreadLifecycle["state"]): ThreadLifecycle => ({
  tid: threadId(1),
  state,
  blockReason: state === "blocked" ? { kind: "io", on: "disk" } : null,
});

describe("thread life cycle", () => {
  it("allows exactly the moves of the diagram", () => {
    const legal = new Set(
      Object.entries(THREAD_TRANSITIONS).flatMap(([f, tos]) => tos.map((t) => `${f}>${t}`)),
    );
    expect([...legal].sort()).toEqual(
      [
        "new>ready",
        "new>exited",
        "ready>running",
        "ready>suspended",
        "ready>exited",
        "running>ready",
        "running>blocked",
        "running>suspended",
        "running>exited",
        "blocked>ready",
        "blocked>exited",
        "suspended>ready",
        "suspended>exited",
      ].sort(),
    );
  });

  it("canTransition answers from the table for every pair, and refuses names that are no state", () => {
    for (const from of THREAD_STATES) {
      for (const to of THREAD_STATES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(THREAD_TRANSITIONS[from].includes(to));
      }
    }
    const bogus = "zombie" as ThreadLifecycle["state"];
    expect(canTransition(bogus, "ready")).toBe(false);
    expect(canTransition("running", bogus)).toBe(false);
    expect(() => checkTransition(threadId(3), bogus, "ready")).toThrow(/zombie → ready\): not allowed/);
  });

  it("checkTransition validates a move as transition would, and changes nothing", () => {
    expect(() =>
      checkTransition(threadId(2), "running", "blocked", { kind: "io", on: "disk" }),
    ).not.toThrow();
    expect(() => checkTransition(threadId(2), "blocked", "running")).toThrow(
      "transition(tid=2, blocked → running): not allowed; from blocked a thread may go to ready, exited",
    );
    expect(() => checkTransition(threadId(2), "running", "blocked")).toThrow(/needs a reason/);
    expect(() => checkTransition(threadId(2), "running", "ready", { kind: "io", on: "x" })).toThrow(
      /only a move to blocked/,
    );
  });

  for (const from of THREAD_STATES) {
    for (const to of THREAD_STATES) {
      const ok = canTransition(from, to);
      it(`${from} → ${to} is ${ok ? "allowed" : "refused with a typed error, thread unchanged"}`, () => {
        const t = fresh(from);
        const before = JSON.stringify(t);
        const reason = to === "blocked" ? { kind: "io" as const, on: "disk" } : undefined;
        if (ok) {
          expect(transition(t, to, reason)).toBe(from);
          expect(t.state).toBe(to);
          expect(t.blockReason === null).toBe(to !== "blocked");
        } else {
          expect(() => transition(t, to, reason)).toThrow(IllegalTransitionError);
          expect(JSON.stringify(t)).toBe(before);
        }
      });
    }
  }

  it("names the thread, both states and the legal targets in the message", () => {
    expect(() => transition(fresh("blocked"), "running")).toThrow(
      "transition(tid=1, blocked → running): not allowed; from blocked a thread may go to ready, exited",
    );
    expect(() => transition(fresh("exited"), "ready")).toThrow(/exited is final/);
  });

  it("waking an exited thread and running a blocked one are illegal", () => {
    expect(() => transition(fresh("exited"), "ready")).toThrow(IllegalTransitionError);
    expect(() => transition(fresh("blocked"), "running")).toThrow(IllegalTransitionError);
  });

  it("a move to blocked needs a reason, and only that move takes one", () => {
    const t = fresh("running");
    expect(() => transition(t, "blocked")).toThrow(/needs a reason/);
    expect(t.state).toBe("running");
    expect(() => transition(t, "ready", { kind: "io", on: "x" })).toThrow(/only a move to blocked/);
    expect(t.state).toBe("running");
  });
});
