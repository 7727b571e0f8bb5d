import { describe, expect, it } from "vitest";
import type { TriggerMode } from "../src/interrupts/api.js";
import { Apic } from "../src/interrupts/apic.js";
import { Pic8259 } from "../src/interrupts/pic8259.js";
import { interruptControllerLaws, runInterruptControllerLaws } from "../src/laws/interrupt-controller.js";

/** Lines in four priority classes, two sharing class 5, mixed triggers, half masked at start. */
function apic(): Apic {
  const a = new Apic({ lines: 8 });
  const routes: [number, TriggerMode][] = [
    [0x31, "edge"],
    [0x52, "level"],
    [0x53, "edge"],
    [0x40, "edge"],
    [0x75, "level"],
    [0x21, "edge"],
    [0x90, "edge"],
    [0x91, "level"],
  ];
  routes.forEach(([vector, trigger], line) => {
    a.route(line, { vector, trigger, masked: line % 2 === 1 });
  });
  return a;
}

describe("interrupt-controller laws", () => {
  for (const law of interruptControllerLaws(apic, { numRuns: 60, modelRuns: 40 })) {
    it(`Apic: ${law.name}`, () => law.check());
  }
  for (const law of interruptControllerLaws(() => new Pic8259({ levelLines: [3, 5] }), {
    numRuns: 60,
    modelRuns: 40,
  })) {
    it(`Pic8259: ${law.name}`, () => law.check());
  }

  it("catch a broken controller: one that ignores priorities", () => {
    // Reports line 7 as the highest priority but still delivers line 0 first, as an 8259 does.
    class Inverted extends Pic8259 {
      override priorityOf(line: number): number {
        return line;
      }
    }
    expect(() => runInterruptControllerLaws(() => new Inverted(), { numRuns: 100, modelRuns: 100 })).toThrow(
      /violated/,
    );
  });

  it("catch a broken controller: one that forgets a level line after EOI", () => {
    class Forgetful extends Pic8259 {
      constructor() {
        super({ levelLines: [0, 1, 2, 3, 4, 5, 6, 7] });
      }
      override eoi(): void {
        super.eoi();
        for (let l = 0; l < 8; l++) if (this.isPending(l) && !this.isInService(l)) this.lower(l);
      }
    }
    expect(() => runInterruptControllerLaws(() => new Forgetful(), { numRuns: 100, modelRuns: 100 })).toThrow(
      /violated/,
    );
  });
});
