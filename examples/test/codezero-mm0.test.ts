// mm0's process-management rules, one scenario each: who may collect a forked child's exit status.
// POSIX's wait (and Codezero's mm0, which serves it) answers a child's status to its parent only;
// a zombie is reaped once, by that parent.
import { compute, mem, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { utcbOf } from "../src/codezero/abi.js";
import { call, findEndpoint, label, word } from "../src/codezero/lib.js";
import { forkedProgram, mm0Exit, mm0Fork, mm0Wait } from "../src/codezero/programs/fork.js";
import { BAD_REQUEST, Mm0Label, PAGED_BASE } from "../src/codezero/servers/protocol.js";
import { bench, withMm0 } from "./codezero-harness.js";

const U = utcbOf(0);

describe("mm0's WAIT: a child's status goes to its parent only", () => {
  it("another task asking for an exited child's status is refused, and the parent still gets it", () => {
    const log: string[] = [];
    function* parent(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      const kid = yield* mm0Fork(U, ep, "quitter", 0);
      log.push(`forked ${kid}`);
      for (let i = 0; i < 200; i++) yield* compute(100_000); // the kid exits and the thief asks meanwhile
      log.push(`parent's wait ${yield* mm0Wait(U, ep, kid)}`);
      return 0;
    }
    function* thief(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      for (let i = 0; i < 20; i++) yield* compute(100_000);
      const r = yield* call(U, ep, Mm0Label.WAIT, [5]); // the kid's id: root 1, mm0 2, parent 3, thief 4
      log.push(`thief ${r} label ${(yield* label(U)) === BAD_REQUEST ? "BAD_REQUEST" : "ok"}`);
      return 0;
    }
    function* quitter(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* mm0Exit(U, ep, 7);
      return 1;
    }
    const b = bench({ parent, thief, quitter });
    expect(withMm0(b, 4, ["parent", "thief"])).toEqual([2, 3, 4]);
    b.k.run({ maxSteps: 200_000 });
    expect(log).toEqual(["forked 5", "thief 0 label BAD_REQUEST", "parent's wait 7"]);
  });
});

describe("a forked child that returns from its main", () => {
  it("exits through mm0 (forkedProgram, crt0's exit(main())): its parent's WAIT gets the status, the pool comes back", () => {
    const log: string[] = [];
    function* parent2(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* mem.store32(PAGED_BASE, 1);
      const kid = yield* mm0Fork(U, ep, "returner", 0);
      log.push(`wait ${yield* mm0Wait(U, ep, kid)}`);
      yield* call(U, ep, Mm0Label.STATS, []);
      log.push(`free ${yield* word(U, 5)} objects ${yield* word(U, 6)}`);
      return 0;
    }
    function* returner(): UserCode<number> {
      yield* mem.store32(PAGED_BASE, 2); // a copy: one more pool page, which must come back
      return 9;
    }
    const b = bench({ parent2, returner: forkedProgram(returner) });
    withMm0(b, 4, ["parent2"]);
    b.k.run({ maxSteps: 200_000 }); // ends in mm0's receive: a server waits forever
    expect(log).toEqual(["wait 9", "free 3 objects 1"]);
    expect([...b.k.processes.values()].filter((p) => p.phase === "zombie")).toEqual([]);
  });
});

describe("mm0's DEATH notices", () => {
  it("come only from a task mm0 does not page: a client reporting a live sibling's death is refused, its pages stay", () => {
    const log: string[] = [];
    function* victim(): UserCode<number> {
      yield* mem.store32(PAGED_BASE, 42); // one pool page
      for (let i = 0; i < 20; i++) yield* compute(100_000);
      log.push(`victim reads ${yield* mem.load32(PAGED_BASE)}`);
      return 0;
    }
    function* liar(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* compute(200_000);
      const r = yield* call(U, ep, Mm0Label.DEATH, [3]); // the victim: root 1, mm0 2, victim 3
      log.push(`liar ${r} ${(yield* label(U)) === BAD_REQUEST ? "BAD_REQUEST" : "accepted"}`);
      yield* call(U, ep, Mm0Label.STATS, []);
      log.push(`free ${yield* word(U, 5)}`);
      return 0;
    }
    const b = bench({ victim, liar });
    expect(withMm0(b, 4, ["victim", "liar"])).toEqual([2, 3, 4]);
    b.k.run({ maxSteps: 200_000 });
    expect(log).toEqual(["liar 0 BAD_REQUEST", "free 3", "victim reads 42"]);
  });
});
