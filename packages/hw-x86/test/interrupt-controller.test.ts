import { describe, expect, it } from "vitest";
import { ConfigurationError, InvalidArgumentError } from "../src/errors.js";
import { irqLine } from "../src/interrupts/api.js";
import { Apic } from "../src/interrupts/apic.js";
import { InterruptStateError } from "../src/interrupts/errors.js";
import { Pic8259 } from "../src/interrupts/pic8259.js";

function pulse(c: { raise(l: number): void; lower(l: number): void }, line: number): void {
  c.raise(line);
  c.lower(line);
}

describe("Pic8259 (8259A datasheet, fully nested mode)", () => {
  it("line n delivers vector base + n", () => {
    const pic = new Pic8259({ vectorBase: 0x28 });
    pulse(pic, 5);
    expect(pic.acknowledge()).toBe(0x2d);
  });

  it("fixed priority: line 0 before line 4 whatever the order of arrival", () => {
    const pic = new Pic8259();
    pulse(pic, 4);
    pulse(pic, 0);
    expect(pic.acknowledge()).toBe(0x20);
    pic.eoi();
    expect(pic.acknowledge()).toBe(0x24);
  });

  it("nesting: a higher-priority line interrupts one in service, a lower one waits for the EOI", () => {
    const pic = new Pic8259();
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    pulse(pic, 5);
    expect(pic.peek()).toBeNull();
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    pic.eoi(); // retires line 1, the highest in service
    expect(pic.isInService(3)).toBe(true);
    expect(pic.peek()).toBeNull();
    pic.eoi(); // retires line 3
    expect(pic.acknowledge()).toBe(0x25);
  });

  it("masking: a masked line is held in the IRR and delivered once unmasked", () => {
    const pic = new Pic8259();
    pic.setMasked(4, true);
    pulse(pic, 4);
    expect(pic.isPending(4)).toBe(true);
    expect(pic.peek()).toBeNull();
    pic.setMasked(4, false);
    expect(pic.acknowledge()).toBe(0x24);
    expect(pic.imr).toBe(0);
  });

  it("edge: holding a line high raises one request, not one per check", () => {
    const pic = new Pic8259();
    pic.raise(2);
    pic.raise(2);
    expect(pic.acknowledge()).toBe(0x22);
    pic.eoi();
    expect(pic.peek()).toBeNull();
  });

  it("level: a line still high after EOI requests again; lowered, it does not", () => {
    const pic = new Pic8259({ levelLines: [6] });
    pic.raise(6);
    expect(pic.acknowledge()).toBe(0x26);
    expect(pic.isPending(6)).toBe(false);
    pic.eoi();
    expect(pic.isPending(6)).toBe(true);
    expect(pic.acknowledge()).toBe(0x26);
    pic.lower(6);
    pic.eoi();
    expect(pic.peek()).toBeNull();
    pic.checkInvariants();
  });

  it("refuses an EOI with nothing in service, unchanged", () => {
    const pic = new Pic8259();
    pic.raise(1);
    expect(() => pic.eoi()).toThrow(InterruptStateError);
    expect(pic.isPending(1)).toBe(true);
  });

  it("refuses bad configuration and lines", () => {
    expect(() => new Pic8259({ vectorBase: 0x08 })).toThrow(/exceptions/);
    expect(() => new Pic8259({ vectorBase: 0x21 })).toThrow(InvalidArgumentError);
    expect(() => new Pic8259({ levelLines: [8] })).toThrow(InvalidArgumentError);
    const pic = new Pic8259();
    expect(() => pic.raise(8)).toThrow(/IR0–IR7/);
    expect(pic.irr).toBe(0);
  });
});

describe("Apic (SDM Vol. 3A 10.8, I/O APIC redirection)", () => {
  function routed(): Apic {
    const apic = new Apic({ lines: 8 });
    apic.route(0, { vector: 0x30, masked: false }); // class 3
    apic.route(1, { vector: 0x41, masked: false }); // class 4
    apic.route(2, { vector: 0x45, masked: false }); // class 4
    apic.route(3, { vector: 0x51, masked: false, trigger: "level" }); // class 5
    return apic;
  }

  it("lines start masked and unrouted, as I/O APIC redirection entries do at reset", () => {
    const apic = new Apic();
    expect(apic.lineCount).toBe(24);
    expect(apic.isMasked(0)).toBe(true);
    expect(apic.vectorOf(0)).toBe(0);
    pulse(apic, 0);
    expect(apic.isPending(0)).toBe(false); // the edge was dropped
    expect(() => apic.setMasked(0, false)).toThrow(/route the line/);
    apic.route(0, { vector: 0x30, masked: false });
    apic.route(16, { vector: 0x40 }); // any free vector: unrouted lines hold none
    apic.checkInvariants();
  });

  it("SDM 10.8.3.1: the highest vector is delivered first", () => {
    const apic = routed();
    pulse(apic, 0);
    pulse(apic, 2);
    pulse(apic, 1);
    expect(apic.acknowledge()).toBe(0x45);
  });

  it("SDM 10.8.3.1: an in-service class blocks requests of the same class, not of a higher one", () => {
    const apic = routed();
    pulse(apic, 1);
    expect(apic.acknowledge()).toBe(0x41);
    expect(apic.processorPriority).toBe(0x40);
    pulse(apic, 2); // 0x45, class 4 = PPR class: waits
    expect(apic.peek()).toBeNull();
    apic.raise(3); // 0x51, class 5 > 4: interrupts
    expect(apic.acknowledge()).toBe(0x51);
    apic.eoi(); // retires 0x51 (the highest in service)
    expect(apic.inServiceVectors()).toEqual([0x41]);
    // level line 3 is still high: requested again after its EOI
    expect(apic.acknowledge()).toBe(0x51);
    apic.lower(3);
    apic.eoi();
    apic.eoi();
    expect(apic.acknowledge()).toBe(0x45);
  });

  it("SDM 10.8.3.1: TPR holds back every class at or below its own", () => {
    const apic = routed();
    apic.taskPriority = 0x40;
    pulse(apic, 2);
    expect(apic.peek()).toBeNull();
    apic.taskPriority = 0x3f;
    expect(apic.peek()).toBe(0x45);
    expect(() => {
      apic.taskPriority = 256;
    }).toThrow(InvalidArgumentError);
    expect(apic.taskPriority).toBe(0x3f);
  });

  it("PPR worked example: TPR=0x25 with 0x41 in service gives 0x40; TPR=0x52 gives 0x52", () => {
    const apic = routed();
    pulse(apic, 1);
    apic.acknowledge();
    apic.taskPriority = 0x25;
    expect(apic.processorPriority).toBe(0x40);
    apic.taskPriority = 0x52;
    expect(apic.processorPriority).toBe(0x52);
  });

  it("82093AA 3.2.4: an edge on a masked line is lost; a level line is delivered once unmasked", () => {
    const apic = routed();
    apic.setMasked(0, true);
    pulse(apic, 0);
    apic.setMasked(0, false);
    expect(apic.peek()).toBeNull();
    apic.setMasked(3, true);
    apic.raise(3);
    expect(apic.isPending(3)).toBe(true);
    expect(apic.peek()).toBeNull();
    apic.setMasked(3, false);
    expect(apic.acknowledge()).toBe(0x51);
  });

  it("an IPI (fixed delivery) sets the IRR bit of its vector", () => {
    const apic = routed();
    apic.deliverFixed(0xfd);
    expect(apic.pendingVectors()).toEqual([0xfd]);
    expect(apic.acknowledge()).toBe(0xfd);
    expect(() => apic.deliverFixed(14)).toThrow(InvalidArgumentError);
  });

  it("refuses vectors 0–31, shared vectors and rerouting a busy line, unchanged", () => {
    const apic = routed();
    expect(() => apic.route(4, { vector: 0x1f })).toThrow(InvalidArgumentError);
    expect(() => apic.route(4, { vector: 0x41 })).toThrow(ConfigurationError);
    pulse(apic, 1);
    expect(() => apic.route(1, { vector: 0x60 })).toThrow(/when idle/);
    expect(apic.vectorOf(1)).toBe(0x41);
    expect(apic.vectorOf(4)).toBe(0);
    apic.checkInvariants();
  });

  it("refuses an EOI with nothing in service", () => {
    expect(() => new Apic().eoi()).toThrow(InterruptStateError);
  });

  it("irqLine gives a device its own line only", () => {
    const apic = routed();
    const line = irqLine(apic, 2);
    line.raise();
    line.lower();
    expect(apic.isPending(2)).toBe(true);
    expect(() => irqLine(apic, 99)).toThrow(InvalidArgumentError);
  });
});
