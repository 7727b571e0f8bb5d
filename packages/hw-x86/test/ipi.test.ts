import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CpuTraceEvent } from "../src/cpu/api.js";
import { Cpu } from "../src/cpu/cpu.js";
import { IpiBus } from "../src/cpu/ipi.js";
import { CR4 } from "../src/cpu/registers.js";
import { TlbShootdown } from "../src/cpu/shootdown.js";
import { InvalidArgumentError } from "../src/errors.js";
import type { InterruptTraceEvent } from "../src/interrupts/api.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { Access } from "../src/mmu/fault.js";
import { Mapper } from "../src/paging/mapper.js";
import { PAGE_4K } from "../src/paging/virtual-address.js";

function smp(n: number, events: (CpuTraceEvent | InterruptTraceEvent)[] = []) {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  let next = 0x100;
  const mapper = new Mapper({ memory, frames: { allocFrame: () => next++, freeFrame: () => {} } });
  const bus = new IpiBus();
  const cpus = Array.from({ length: n }, (_, id) => {
    const cpu = bus.attach(new Cpu({ id, memory, tracer: { emit: (e) => events.push(e) } }));
    cpu.writeCr3(mapper.root);
    cpu.sti();
    return cpu;
  });
  return { memory, mapper, bus, cpus };
}

const paOf = (cpu: Cpu, va: number) => {
  const r = cpu.translate(va, Access.Read);
  return r.kind === "ok" ? r.pa : null;
};

describe("IPIs (Intel SDM Vol. 3A 10.6)", () => {
  it("fixed IPIs by APIC id and by shorthand set the vector's IRR bit on the targets only", () => {
    const { cpus } = smp(4);
    expect(cpus[0]!.sendIpi(2, 0xf0)).toBe(1);
    expect(cpus.map((c) => c.apic.pendingVectors())).toEqual([[], [], [0xf0], []]);
    expect(cpus[1]!.sendIpi("all-but-self", 0xf1)).toBe(3);
    expect(cpus[1]!.apic.pendingVectors()).toEqual([]);
    expect(cpus[3]!.apic.pendingVectors()).toEqual([0xf1]);
    expect(cpus[3]!.sendIpi("self", 0xf2)).toBe(1);
    expect(cpus[0]!.sendIpi("all", 0xf3)).toBe(4);
    expect(cpus[0]!.sendIpi(7, 0xf3)).toBe(0); // no CPU with id 7: lost
  });

  it("an IPI is taken only at the target's next delivery point, through its handler", () => {
    const { cpus, bus } = smp(2);
    const log: string[] = [];
    cpus[1]!.setInterruptHandler(0xf0, (c, v) => {
      log.push(`cpu${c.id} 0x${v.toString(16)}`);
      c.apic.eoi();
    });
    cpus[0]!.sendIpi(1, 0xf0);
    expect(log).toEqual([]);
    expect(cpus[1]!.deliverInterrupts()).toBe(1);
    expect(log).toEqual(["cpu1 0xf0"]);
    expect(bus.stats).toEqual({ sent: 1, delivered: 1 });
  });

  it("an NMI IPI is taken even with IF=0", () => {
    const { cpus } = smp(2);
    let nmi = 0;
    cpus[1]!.setInterruptHandler(2, () => {
      nmi++;
    });
    cpus[1]!.cli();
    cpus[0]!.sendIpi(1, 0, "nmi");
    expect(cpus[1]!.deliverInterrupts()).toBe(1);
    expect(nmi).toBe(1);
  });

  it("refuses illegal vectors, bad destinations, duplicate ids, and senders off the bus; nothing delivered", () => {
    const { cpus, bus } = smp(2);
    expect(() => cpus[0]!.sendIpi(1, 14)).toThrow(/illegal vector/);
    expect(() => cpus[0]!.sendIpi(300, 0xf0)).toThrow(InvalidArgumentError);
    expect(() => bus.attach(new Cpu({ id: 1 }))).toThrow(/already on the bus/);
    expect(() => bus.send(new Cpu({ id: 9 }), "all", 0xf0)).toThrow(/not on this bus/);
    expect(() => new Cpu().sendIpi("all", 0xf0)).toThrow(/without an IpiBus/);
    expect(cpus[1]!.apic.pendingVectors()).toEqual([]);
    expect(bus.stats.sent).toBe(0);
  });

  it("IPIs, acknowledgements and EOIs are traced through the CPU's tracer", () => {
    const events: (CpuTraceEvent | InterruptTraceEvent)[] = [];
    const { cpus } = smp(3, events);
    cpus[0]!.sendIpi("all-but-self", 0xfd);
    expect(events.filter((e) => e.type === "cpu.ipi")).toEqual([
      { type: "cpu.ipi", from: 0, to: 1, vector: 0xfd, mode: "fixed" },
      { type: "cpu.ipi", from: 0, to: 2, vector: 0xfd, mode: "fixed" },
    ]);
    cpus[1]!.setInterruptHandler(0xfd, (c) => c.apic.eoi());
    cpus[1]!.deliverInterrupts();
    expect(events.slice(-3)).toEqual([
      { type: "irq.acknowledge", vector: 0xfd },
      { type: "cpu.interrupt", cpu: 1, vector: 0xfd, fromCpl: 0 },
      { type: "irq.eoi", vector: 0xfd },
    ]);
  });
});

describe("TLB shootdown (SDM 4.10.5)", () => {
  it("INVLPG on one CPU leaves another CPU's stale entry; the IPI makes it invalidate", () => {
    const { cpus, mapper, bus } = smp(2);
    const [a, b] = [cpus[0]!, cpus[1]!];
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
    expect(paOf(a, 0x400000)).toBe(0x200000);
    expect(paOf(b, 0x400000)).toBe(0x200000);

    mapper.unmap(0x400000, PAGE_4K);
    mapper.map(0x400000, 0x500000, PAGE_4K, { writable: true, user: true });
    const sd = new TlbShootdown(bus);
    const ticket = sd.shootdown(a, "all-but-self", { kind: "page", va: 0x400000 });

    expect(paOf(a, 0x400000)).toBe(0x500000); // the initiator invalidated its own TLB
    expect(paOf(b, 0x400000)).toBe(0x200000); // CPU 1 has not taken the IPI yet: stale
    expect(ticket.complete).toBe(false);
    expect([...ticket.waitingFor]).toEqual([1]);

    expect(b.deliverInterrupts()).toBe(1); // CPU 1's next trap
    expect(ticket.complete).toBe(true);
    expect(paOf(b, 0x400000)).toBe(0x500000);
    expect(b.apic.inServiceVectors()).toEqual([]); // the handler signalled EOI
  });

  it("two requests before the target runs are merged into one IPI and both are handled", () => {
    const { cpus, mapper, bus } = smp(2);
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true });
    mapper.map(0x401000, 0x201000, PAGE_4K, { writable: true });
    paOf(cpus[1]!, 0x400000);
    paOf(cpus[1]!, 0x401000);
    const sd = new TlbShootdown(bus);
    const t1 = sd.shootdown(cpus[0]!, [cpus[1]!], { kind: "page", va: 0x400000 });
    const t2 = sd.shootdown(cpus[0]!, [cpus[1]!], { kind: "page", va: 0x401000 });
    expect(sd.pendingFor(1)).toBe(2);
    expect(cpus[1]!.deliverInterrupts()).toBe(1);
    expect(t1.complete && t2.complete).toBe(true);
    expect(cpus[1]!.tlb.entries()).toHaveLength(0);
  });

  it("PCID-wide and full shootdowns use INVPCID; a refused INVPCID sends nothing", () => {
    const { cpus, mapper, bus } = smp(2);
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, global: true });
    paOf(cpus[1]!, 0x400000);
    const sd = new TlbShootdown(bus);
    expect(() => sd.shootdown(cpus[0]!, "all-but-self", { kind: "pcid", pcid: 3 })).toThrow(/PCIDE/);
    expect(cpus[1]!.apic.pendingVectors()).toEqual([]);
    sd.shootdown(cpus[0]!, "all-but-self", { kind: "non-global" });
    cpus[1]!.deliverInterrupts();
    expect(cpus[1]!.tlb.entries()).toHaveLength(1); // the global entry survives type 3
    sd.shootdown(cpus[0]!, "all-but-self", { kind: "everything" });
    cpus[1]!.deliverInterrupts();
    expect(cpus[1]!.tlb.entries()).toHaveLength(0);
  });

  it("with PCIDs, a page shootdown for another address space's PCID reaches entries not current", () => {
    const { cpus, mapper, bus } = smp(2);
    for (const c of cpus) c.writeCr4(c.cr4 | CR4.PCIDE);
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true });
    cpus[1]!.writeCr3(mapper.root | 4);
    paOf(cpus[1]!, 0x400000); // cached under PCID 4
    cpus[1]!.writeCr3(BigInt(mapper.root | 9) | (1n << 63n)); // switch away, keep entries
    const sd = new TlbShootdown(bus);
    sd.shootdown(cpus[0]!, [cpus[1]!], { kind: "page", va: 0x400000, pcid: 4 });
    cpus[1]!.deliverInterrupts();
    expect(cpus[1]!.tlb.entries().filter((e) => e.pcid === 4)).toHaveLength(0);
  });

  it("property: once every ticket is complete, every CPU translates every page as the page tables say", () => {
    const pages = [0x400000, 0x401000, 0x402000, 0x403000];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("touch" as const), cpu: fc.nat(), page: fc.nat() }),
      fc.record({
        kind: fc.constant("remap" as const),
        cpu: fc.nat(),
        page: fc.nat(),
        frame: fc.nat({ max: 63 }),
      }),
      fc.record({ kind: fc.constant("trap" as const), cpu: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(op, { maxLength: 40 }), (n, ops) => {
        const { cpus, mapper, bus } = smp(n);
        const sd = new TlbShootdown(bus);
        for (const [i, va] of pages.entries())
          mapper.map(va, 0x200000 + i * 0x1000, PAGE_4K, { writable: true });
        const tickets: ReturnType<TlbShootdown["shootdown"]>[] = [];
        for (const o of ops) {
          const cpu = cpus[o.cpu % n]!;
          if (o.kind === "touch") paOf(cpu, pages[o.page % pages.length]!);
          else if (o.kind === "trap") cpu.deliverInterrupts();
          else {
            const va = pages[o.page % pages.length]!;
            mapper.unmap(va, PAGE_4K);
            mapper.map(va, 0x300000 + o.frame * 0x1000, PAGE_4K, { writable: true });
            tickets.push(sd.shootdown(cpu, "all-but-self", { kind: "page", va }));
            expect(paOf(cpu, va)).toBe(mapper.translate(va)!.paOfByte);
          }
          for (const c of cpus) c.checkInvariants();
        }
        for (const c of cpus) c.deliverInterrupts();
        expect(tickets.every((t) => t.complete)).toBe(true);
        for (const c of cpus)
          for (const va of pages) expect(paOf(c, va)).toBe(mapper.translate(va)!.paOfByte);
      }),
      { numRuns: 60 },
    );
  });
});
