/**
 * Planted bugs: a student's interrupt controller — eight lines, a priority and a trigger mode per
 * line, booleans for the input level, the latched edge, the mask and in-service — written straight
 * from the contract of `src/interrupts/api.ts`. Without a bug it passes every law; each planted
 * bug below must be rejected. The first four passed the suite before the law named in their test
 * was strengthened (the model law ran sequences of about ten commands, too short for two nested
 * interrupts and an EOI; no law masked and unmasked a line that already held a request).
 */
import { describe, expect, it } from "vitest";
import type { InterruptController, TriggerMode } from "../src/interrupts/api.js";
import { interruptControllerLaws } from "../src/laws/interrupt-controller.js";

type Bug =
  | "none"
  | "eoi retires the oldest in-service interrupt"
  | "masking forgets a latched edge"
  | "unmasking forgets a latched edge"
  | "lower is ignored on a level line"
  | "an equal priority nests";

const LINES = 8;
const PRIORITY = [3, 5, 5, 4, 7, 2, 9, 9];
const LEVEL = [false, true, false, false, true, false, false, true];

class StudentController implements InterruptController {
  readonly lineCount = LINES;
  readonly #high = new Array<boolean>(LINES).fill(false);
  readonly #latched = new Array<boolean>(LINES).fill(false);
  readonly #masked = new Array<boolean>(LINES).fill(false);
  readonly #inService = new Array<boolean>(LINES).fill(false);
  readonly #serviceOrder: number[] = [];

  constructor(
    readonly bug: Bug,
    readonly maskedEdge: "held" | "dropped",
  ) {}

  #line(line: number): number {
    if (!Number.isInteger(line) || line < 0 || line >= LINES) throw new RangeError(`line ${line}`);
    return line;
  }
  raise(line: number): void {
    const l = this.#line(line);
    if (this.#high[l]) return;
    this.#high[l] = true;
    if (!LEVEL[l] && !(this.#masked[l] && this.maskedEdge === "dropped")) this.#latched[l] = true;
  }
  lower(line: number): void {
    const l = this.#line(line);
    if (!(LEVEL[l] && this.bug === "lower is ignored on a level line")) this.#high[l] = false;
  }
  setMasked(line: number, masked: boolean): void {
    const l = this.#line(line);
    if (masked && this.bug === "masking forgets a latched edge") this.#latched[l] = false;
    if (!masked && this.#masked[l] && this.bug === "unmasking forgets a latched edge")
      this.#latched[l] = false;
    this.#masked[l] = masked;
  }
  isMasked(line: number): boolean {
    return this.#masked[this.#line(line)]!;
  }
  vectorOf(line: number): number {
    return 0x30 + this.#line(line);
  }
  priorityOf(line: number): number {
    return PRIORITY[this.#line(line)]!;
  }
  triggerOf(line: number): TriggerMode {
    return LEVEL[this.#line(line)] ? "level" : "edge";
  }
  isPending(line: number): boolean {
    const l = this.#line(line);
    return LEVEL[l] ? this.#high[l]! && !this.#inService[l] : this.#latched[l]!;
  }
  isInService(line: number): boolean {
    return this.#inService[this.#line(line)]!;
  }
  #deliverable(): number | null {
    let ceiling = Number.NEGATIVE_INFINITY;
    for (let l = 0; l < LINES; l++) if (this.#inService[l]) ceiling = Math.max(ceiling, PRIORITY[l]!);
    let best: number | null = null;
    for (let l = 0; l < LINES; l++) {
      if (!this.isPending(l) || this.#masked[l]) continue;
      const p = PRIORITY[l]!;
      if (this.bug === "an equal priority nests" ? p < ceiling : p <= ceiling) continue;
      if (best === null || p > PRIORITY[best]!) best = l;
    }
    return best;
  }
  peek(): number | null {
    const l = this.#deliverable();
    return l === null ? null : this.vectorOf(l);
  }
  acknowledge(): number | null {
    const l = this.#deliverable();
    if (l === null) return null;
    this.#latched[l] = false;
    this.#inService[l] = true;
    this.#serviceOrder.push(l);
    return this.vectorOf(l);
  }
  eoi(): void {
    if (this.#serviceOrder.length === 0) throw new Error("eoi(): nothing in service");
    let l = this.#serviceOrder[0]!;
    if (this.bug !== "eoi retires the oldest in-service interrupt")
      for (const s of this.#serviceOrder) if (PRIORITY[s]! > PRIORITY[l]!) l = s;
    this.#inService[l] = false;
    this.#serviceOrder.splice(this.#serviceOrder.indexOf(l), 1);
  }
  checkInvariants(): void {}
}

/** What the law whose name starts with `start` reports (fast-check's `cause`), or "the law held". */
function complaint(bug: Bug, maskedEdge: "held" | "dropped", start: string): string {
  const laws = interruptControllerLaws(() => new StudentController(bug, maskedEdge), {
    numRuns: 60,
    modelRuns: 40,
    seed: 5,
  });
  const law = laws.find((l) => l.name.startsWith(start));
  if (law === undefined) throw new Error(`no law named ${start}…`);
  try {
    law.check();
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return String(cause instanceof Error ? cause.message : e);
  }
  return "the law held";
}

describe("interruptControllerLaws reject planted controller bugs", () => {
  it("the student's controller without a bug passes every law", () => {
    for (const edge of ["held", "dropped"] as const)
      for (const law of interruptControllerLaws(() => new StudentController("none", edge), { seed: 5 }))
        law.check();
  });

  it("an EOI that retires the oldest in-service interrupt, not the highest-priority one", () => {
    expect(complaint("eoi retires the oldest in-service interrupt", "held", "agrees")).toMatch(
      /after eoi\(\): line \d is .*"inService":false.*model says .*"inService":true/,
    );
  });

  it("a level line that stays asserted after the device lowers it (an interrupt storm)", () => {
    expect(complaint("lower is ignored on a level line", "held", "agrees")).toMatch(
      /after lower\(#\d+\): line \d is \{"pending":true/,
    );
  });

  it("a mask that forgets the edge already latched", () => {
    expect(complaint("masking forgets a latched edge", "held", "masking holds")).toMatch(
      /after setMasked\(#\d+, true\): line \d is \{"pending":false/,
    );
    expect(complaint("masking forgets a latched edge", "held", "agrees")).not.toBe("the law held");
  });

  it("an unmask that forgets the edge latched before the mask (maskedEdge: dropped)", () => {
    expect(complaint("unmasking forgets a latched edge", "dropped", "masking holds")).toMatch(
      /after setMasked\(#\d+, false\): line \d is \{"pending":false/,
    );
  });

  it("an in-service interrupt that lets one of equal priority nest", () => {
    expect(complaint("an equal priority nests", "held", "agrees")).toMatch(/but nothing is deliverable/);
  });
});
