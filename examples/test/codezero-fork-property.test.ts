// fork through the real mm0, end to end: random plans of parent and child writes run on the
// kernel (faults forwarded, l4_map/l4_unmap, copies by mm0's own loads and stores), checked
// against an eager-copy model: each child sees its parent's pages as they were at the fork, each
// side keeps its own writes, and at the end mm0 holds the parent's object alone, its chain of one.
import { mem, type ProcessStart, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utcbOf } from "../src/codezero/abi.js";
import { call, findEndpoint, word } from "../src/codezero/lib.js";
import { mm0Exit, mm0Fork, mm0Wait } from "../src/codezero/programs/fork.js";
import { Mm0Label, PAGED_BASE } from "../src/codezero/servers/protocol.js";
import { bench, withMm0 } from "./codezero-harness.js";

const U = utcbOf(0);
const PAGES = 5;
const POOL = 16;
const at = (page: number): number => PAGED_BASE + page * 4096 + ((page * 52) % 4000);
/** A second word of each page that only the parent writes (v ^ 0x55): a copy must carry it over. */
const atB = (page: number): number => at(page) + 64;
const B = (v: number): number => v ^ 0x55;

type Writes = readonly (readonly [number, number])[];
interface Plan {
  readonly init: Writes;
  readonly rounds: readonly { readonly kid: Writes; readonly parent: Writes }[];
}

const writes = fc.array(fc.tuple(fc.nat(PAGES - 1), fc.integer({ min: 1, max: 1 << 30 })), { maxLength: 4 });
const plans: fc.Arbitrary<Plan> = fc.record({
  init: writes,
  rounds: fc.array(fc.record({ kid: writes, parent: writes }), { minLength: 1, maxLength: 3 }),
});

/** The parent's pages before each round (the model: eager copies); word A of page p at index p, word B at PAGES + p. */
function snapshots(plan: Plan): number[][] {
  const m = new Array<number>(2 * PAGES).fill(0);
  const put = (p: number, v: number) => {
    m[p] = v;
    m[PAGES + p] = B(v);
  };
  for (const [p, v] of plan.init) put(p, v);
  const out: number[][] = [];
  for (const r of plan.rounds) {
    out.push([...m]);
    for (const [p, v] of r.parent) put(p, v);
  }
  out.push([...m]);
  return out;
}

/** Read both words of every page; the indexes (A: p, B: PAGES + p) where they differ from `want`. */
function* differences(want: readonly number[]): UserCode<number[]> {
  const bad: number[] = [];
  for (let p = 0; p < PAGES; p++) {
    if (((yield* mem.load32(at(p))) | 0) !== want[p]) bad.push(p);
    if (((yield* mem.load32(atB(p))) | 0) !== want[PAGES + p]) bad.push(PAGES + p);
  }
  return bad;
}

function* parentWrite(p: number, v: number): UserCode<void> {
  yield* mem.store32(at(p), v);
  yield* mem.store32(atB(p), B(v));
}

function runPlan(plan: Plan): string[] {
  const snap = snapshots(plan);
  const log: string[] = [];
  function* parent(): UserCode<number> {
    const ep = yield* findEndpoint(0);
    for (const [p, v] of plan.init) yield* parentWrite(p, v);
    for (let r = 0; r < plan.rounds.length; r++) {
      const kid = yield* mm0Fork(U, ep, "pkid", r);
      const status = yield* mm0Wait(U, ep, kid);
      if (status !== 0) log.push(`round ${r}: child status ${status}`);
      const bad = yield* differences(snap[r]!);
      if (bad.length > 0) log.push(`round ${r}: parent words ${bad} differ`);
      for (const [p, v] of plan.rounds[r]!.parent) yield* parentWrite(p, v);
    }
    const bad = yield* differences(snap.at(-1)!);
    if (bad.length > 0) log.push(`end: parent words ${bad} differ`);
    yield* call(U, ep, Mm0Label.STATS, []);
    log.push(`objects ${yield* word(U, 6)} chain ${yield* word(U, 8)} free ${yield* word(U, 5)}`);
    return 0;
  }
  function* pkid(start: ProcessStart): UserCode<number> {
    const r = Number(start.argv[1]);
    const ep = yield* findEndpoint(0);
    const mine = [...snap[r]!];
    let bad = (yield* differences(mine)).length;
    for (const [p, v] of plan.rounds[r]!.kid) {
      yield* mem.store32(at(p), v); // word A only: word B must come with the copy
      mine[p] = v;
    }
    bad += (yield* differences(mine)).length;
    yield* mm0Exit(U, ep, bad === 0 ? 0 : 1);
    return 1;
  }
  const b = bench({ parent, pkid }, POOL);
  withMm0(b, POOL, ["parent"]);
  b.k.run({ maxSteps: 400_000 });
  return log;
}

describe("fork through mm0 on the kernel, against an eager-copy model", () => {
  it("every child reads its parent's pages as at the fork; each side keeps its writes; one object left", () => {
    fc.assert(
      fc.property(plans, (plan) => {
        // The parent read every page at least once, so all PAGES pages are its own at the end.
        expect(runPlan(plan)).toEqual([`objects 1 chain 1 free ${POOL - PAGES}`]);
      }),
      { numRuns: 50 },
    );
  });

  it("a child's writes never reach the parent (a fixed plan)", () => {
    expect(
      runPlan({
        init: [
          [0, 5],
          [1, 6],
        ],
        rounds: [
          { kid: [[0, 50]], parent: [[1, 60]] },
          { kid: [[1, 70]], parent: [] },
        ],
      }),
    ).toEqual([`objects 1 chain 1 free ${POOL - PAGES}`]);
  });
});
