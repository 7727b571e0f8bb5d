import { describe, expect, it } from "vitest";
import { Cpu } from "../src/cpu/cpu.js";
import { IpiBus } from "../src/cpu/ipi.js";
import { LapicReg, LVT_MASKED, LVT_TIMER_PERIODIC } from "../src/cpu/lapic.js";
import { InvalidArgumentError } from "../src/errors.js";
import { Clock } from "../src/interrupts/clock.js";

function smp(n = 2) {
  const clock = new Clock();
  const bus = new IpiBus();
  const cpus = Array.from({ length: n }, (_, id) => bus.attach(new Cpu({ id, clock })));
  return { clock, bus, cpus };
}

// xv6's kernel/lapic.c constants.
const ENABLE = 0x100;
const X1 = 0b1011;
const T_IRQ0 = 32;
const IRQ_TIMER = 0;
const IRQ_ERROR = 19;
const IRQ_SPURIOUS = 31;
const BCAST = 0x80000;
const INIT = 0x500;
const LEVEL = 0x8000;
const DELIVS = 0x1000;

describe("local APIC registers (SDM Vol. 3A 10.4.1, Table 10-1)", () => {
  it("runs xv6's lapicinit() and then takes timer interrupts", () => {
    const { clock, cpus } = smp(1);
    const cpu = cpus[0]!;
    const lapic = cpu.lapic;
    lapic.write(LapicReg.SVR, ENABLE | (T_IRQ0 + IRQ_SPURIOUS));
    lapic.write(LapicReg.TIMER_DIVIDE, X1);
    lapic.write(LapicReg.LVT_TIMER, LVT_TIMER_PERIODIC | (T_IRQ0 + IRQ_TIMER));
    lapic.write(LapicReg.TIMER_INITIAL, 10_000_000);
    lapic.write(LapicReg.LVT_LINT0, LVT_MASKED);
    lapic.write(LapicReg.LVT_LINT1, LVT_MASKED);
    lapic.write(LapicReg.LVT_ERROR, T_IRQ0 + IRQ_ERROR);
    lapic.write(LapicReg.ESR, 0);
    lapic.write(LapicReg.ESR, 0);
    lapic.write(LapicReg.EOI, 0); // "ack any outstanding interrupts": none, ignored
    lapic.write(LapicReg.ICR_HIGH, 0);
    lapic.write(LapicReg.ICR_LOW, BCAST | INIT | LEVEL);
    expect(lapic.read(LapicReg.ICR_LOW) & DELIVS).toBe(0); // xv6 spins on this bit
    lapic.write(LapicReg.TPR, 0);
    expect(lapic.stats).toEqual({ init: 1, startup: 0, spuriousEois: 1 });

    expect(cpu.timer?.mode).toBe("periodic");
    expect(cpu.timer?.divide).toBe(1);
    let ticks = 0;
    cpu.setInterruptHandler(T_IRQ0 + IRQ_TIMER, () => {
      ticks++;
      lapic.write(LapicReg.EOI, 0);
    });
    cpu.sti();
    clock.advance(25_000_000);
    expect(cpu.deliverInterrupts()).toBe(1); // two expiries merged into one IRR bit (edge, same vector)
    clock.advance(5_000_000);
    cpu.deliverInterrupts();
    expect(ticks).toBe(2);
    expect(lapic.read(LapicReg.TIMER_CURRENT)).toBe(10_000_000);
    expect(lapic.read(LapicReg.TIMER_INITIAL)).toBe(10_000_000);
  });

  it("ID, version, TPR and PPR read as the SDM lays them out", () => {
    const { cpus } = smp(2);
    const lapic = cpus[1]!.lapic;
    expect(lapic.read(LapicReg.ID)).toBe(0x01000000);
    expect(lapic.read(LapicReg.VERSION) & 0xff).toBe(0x14);
    lapic.write(LapicReg.TPR, 0x25);
    expect(cpus[1]!.apic.taskPriority).toBe(0x25);
    expect(lapic.read(LapicReg.PPR)).toBe(0x25);
  });

  it("ISR and IRR read as eight 32-bit words: vector v is bit v%32 of word v/32", () => {
    const { cpus } = smp(1);
    const cpu = cpus[0]!;
    cpu.apic.deliverFixed(0x41); // word 2, bit 1
    cpu.apic.deliverFixed(0xfd); // word 7, bit 29
    expect(cpu.lapic.read(LapicReg.IRR + 0x20)).toBe(0b10);
    expect(cpu.lapic.read(LapicReg.IRR + 0x70)).toBe(1 << 29);
    cpu.apic.acknowledge();
    expect(cpu.lapic.read(LapicReg.ISR + 0x70)).toBe(1 << 29);
    cpu.lapic.write(LapicReg.EOI, 0);
    expect(cpu.lapic.read(LapicReg.ISR + 0x70)).toBe(0);
  });

  it("writing ICR low sends the IPI: fixed to an id, or by shorthand; NMI too", () => {
    const { cpus } = smp(3);
    const l0 = cpus[0]!.lapic;
    l0.write(LapicReg.ICR_HIGH, 2 << 24);
    l0.write(LapicReg.ICR_LOW, 0xf0); // fixed, no shorthand → APIC id 2
    expect(cpus.map((c) => c.apic.pendingVectors())).toEqual([[], [], [0xf0]]);
    l0.write(LapicReg.ICR_LOW, (3 << 18) | 0xf1); // all excluding self
    expect(cpus[1]!.apic.pendingVectors()).toEqual([0xf1]);
    expect(cpus[0]!.apic.pendingVectors()).toEqual([]);
    l0.write(LapicReg.ICR_LOW, (1 << 18) | 0xf2); // self
    expect(cpus[0]!.apic.pendingVectors()).toEqual([0xf2]);
    l0.write(LapicReg.ICR_HIGH, 1 << 24);
    l0.write(LapicReg.ICR_LOW, 0x400); // NMI to APIC id 1
    expect(cpus[1]!.pendingInterrupt()).toBe(2);
  });

  it("divide configuration: bits 3,1:0 select 2, 4, …, 128, 1 (SDM Figure 10-10)", () => {
    const { cpus } = smp(1);
    const cpu = cpus[0]!;
    const cases: [number, number][] = [
      [0b0000, 2],
      [0b0011, 16],
      [0b1000, 32],
      [0b1010, 128],
      [0b1011, 1],
    ];
    for (const [bits, divide] of cases) {
      cpu.lapic.write(LapicReg.TIMER_DIVIDE, bits);
      expect(cpu.timer?.divide).toBe(divide);
      expect(cpu.lapic.read(LapicReg.TIMER_DIVIDE)).toBe(bits);
    }
  });

  it("a masked LVT timer counts but raises nothing", () => {
    const { clock, cpus } = smp(1);
    const cpu = cpus[0]!;
    cpu.lapic.write(LapicReg.LVT_TIMER, LVT_MASKED | 0x30);
    cpu.lapic.write(LapicReg.TIMER_INITIAL, 100);
    clock.advance(150);
    expect(cpu.timer?.expirations).toBe(1);
    expect(cpu.apic.pendingVectors()).toEqual([]);
  });

  it("refuses misaligned offsets, non-32-bit values, reserved modes; nothing changes", () => {
    const { cpus } = smp(1);
    const lapic = cpus[0]!.lapic;
    expect(() => lapic.read(0x24)).toThrow(InvalidArgumentError);
    expect(() => lapic.write(0x1000, 0)).toThrow(/4 KiB page/);
    expect(() => lapic.write(LapicReg.TPR, 2 ** 32)).toThrow(/32-bit/);
    expect(() => lapic.write(LapicReg.LVT_TIMER, (3 << 17) | 0x30)).toThrow(/reserved/);
    expect(() => lapic.write(LapicReg.ICR_LOW, 0x200)).toThrow(/not modelled/); // SMI
    expect(() => lapic.write(LapicReg.LVT_TIMER, 0x10)).toThrow(/below 32/);
    expect(lapic.read(LapicReg.LVT_TIMER)).toBe(LVT_MASKED);
    expect(cpus[0]!.apic.vectorOf(0)).toBe(0);
  });
});
