import { describe, expect, it } from "vitest";
import { IoPortSpace } from "../src/devices/ports.js";
import { ConfigurationError, InvalidArgumentError } from "../src/errors.js";
import { irqLine } from "../src/interrupts/api.js";
import { Apic } from "../src/interrupts/apic.js";
import { InterruptStateError } from "../src/interrupts/errors.js";
import { Pic8259 } from "../src/interrupts/pic8259.js";
import { Vector } from "../src/interrupts/vectors.js";

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

  it("the BIOS's vector base 8 collides with the exceptions: the timer arrives as #DF", () => {
    const pic = new Pic8259({ vectorBase: 0x08 });
    pulse(pic, 0);
    expect(pic.acknowledge()).toBe(Vector.DF);
  });

  it("is programmed through ports 0x20/0x21 as xv6 and Linux do (ICW1–4, OCW1–3)", () => {
    const ports = new IoPortSpace();
    const pic = new Pic8259({ vectorBase: 0x08 });
    ports.register(0x20, 2, pic, "PIC1");
    pulse(pic, 3); // a request from before initialization is forgotten (edge-sense reset)
    for (const [port, v] of [
      [0x20, 0x11], // ICW1: edge, cascade, ICW4 needed
      [0x21, 0x20], // ICW2: vectors 0x20..0x27
      [0x21, 0x04], // ICW3: slave on IR2 (ignored)
      [0x21, 0x01], // ICW4: 8086 mode
      [0x21, 0xfb], // OCW1: mask all but IR2
    ] as const) {
      ports.outb(port, v);
    }
    expect(pic.vectorBase).toBe(0x20);
    expect(ports.inb(0x21)).toBe(0xfb);
    expect(pic.isPending(3)).toBe(false);
    ports.outb(0x21, 0x00); // unmask everything
    pulse(pic, 1);
    pulse(pic, 5);
    expect(ports.inb(0x20)).toBe(0b0010_0010); // IRR (default read)
    expect(pic.acknowledge()).toBe(0x21);
    expect(pic.acknowledge()).toBeNull(); // line 5 waits behind line 1
    ports.outb(0x20, 0x0b); // OCW3: read ISR
    expect(ports.inb(0x20)).toBe(0b0000_0010);
    ports.outb(0x20, 0x20); // OCW2: non-specific EOI
    expect(pic.acknowledge()).toBe(0x25);
    ports.outb(0x20, 0x65); // OCW2: specific EOI of line 5
    expect(pic.isr).toBe(0);
    expect(() => ports.outb(0x20, 0x20)).toThrow(InterruptStateError);
    expect(() => ports.outb(0x20, 0xa0)).toThrow(/rotation/);
    expect(() => ports.outb(0x20, 0x0c)).toThrow(/poll/);
    pic.checkInvariants();
  });

  it("ICW1.LTIM makes every line level-triggered; ICW4.AEOI ends interrupts on acknowledge", () => {
    const pic = new Pic8259();
    pic.raise(6);
    for (const [o, v] of [
      [0, 0x1b], // ICW1: LTIM, single, ICW4
      [1, 0x30], // ICW2
      [1, 0x03], // ICW4: 8086, auto-EOI
    ] as const) {
      pic.writePort(o, 1, v);
    }
    expect(pic.triggerOf(0)).toBe("level");
    expect(pic.isPending(6)).toBe(true); // a level line that is high keeps requesting
    expect(pic.acknowledge()).toBe(0x36);
    expect(pic.isr).toBe(0); // auto-EOI
    expect(pic.isPending(6)).toBe(true); // still high: requests again
    expect(() => pic.writePort(0, 1, 0x10)).toThrow(/MCS-80/);
    expect(() => pic.writePort(2, 1, 0)).toThrow(/two 1-byte ports/);
  });

  it("refuses bad configuration and lines", () => {
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
