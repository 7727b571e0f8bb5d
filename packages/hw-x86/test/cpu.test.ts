import { describe, expect, it } from "vitest";
import { CR0_BOOT, EFER_BOOT } from "../src/cpu/api.js";
import { Cpu } from "../src/cpu/cpu.js";
import { ControlRegisterError, PrivilegeError } from "../src/cpu/errors.js";
import { CR0, CR3_NOFLUSH, CR4, EFER, IA32_EFER, IA32_TSC, IA32_TSC_DEADLINE } from "../src/cpu/registers.js";
import { InvalidArgumentError, ReservedBitsError } from "../src/errors.js";
import { irqLine } from "../src/interrupts/api.js";
import { Clock } from "../src/interrupts/clock.js";
import { InterruptStateError } from "../src/interrupts/errors.js";
import { Pic8259 } from "../src/interrupts/pic8259.js";
import { Timer } from "../src/interrupts/timer.js";
import { Vector } from "../src/interrupts/vectors.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { MemoryType } from "../src/memtypes/memory-type.js";
import { IA32_MTRR_DEF_TYPE } from "../src/memtypes/mtrr.js";
import { IA32_PAT, PAT_LINUX } from "../src/memtypes/pat.js";
import { Access } from "../src/mmu/fault.js";
import { PTE_P, PTE_PWT, PTE_RW } from "../src/paging/entry.js";
import { Mapper } from "../src/paging/mapper.js";
import { PAGE_4K } from "../src/paging/virtual-address.js";

function machine(opts: { pcide?: boolean } = {}) {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  let next = 0x100;
  const frames = { allocFrame: () => next++, freeFrame: () => {} };
  const mapper = new Mapper({ memory, frames });
  const cpu = new Cpu({ memory });
  cpu.writeCr3(mapper.root);
  if (opts.pcide === true) cpu.writeCr4(cpu.cr4 | CR4.PCIDE);
  return { memory, mapper, cpu };
}

/** Everything observable about the registers, to check that refused writes change nothing. */
function regs(cpu: Cpu) {
  return {
    cr0: cpu.cr0,
    cr2: cpu.cr2,
    cr3: cpu.cr3,
    cr4: cpu.cr4,
    efer: cpu.efer,
    rflags: cpu.rflags,
    cpl: cpu.cpl,
    context: cpu.context,
    tlb: cpu.tlb.entries().length,
  };
}

describe("Cpu control registers (Intel SDM Vol. 3A 2.5)", () => {
  it("boots in IA-32e mode as a boot loader leaves a 64-bit kernel", () => {
    const cpu = new Cpu();
    expect(cpu.cr0).toBe(CR0_BOOT);
    expect(cpu.cr0.toString(16)).toBe("80010033");
    expect(cpu.efer).toBe(EFER_BOOT);
    expect(cpu.cr4 & CR4.PAE).toBe(CR4.PAE);
    expect(cpu.context).toMatchObject({ wp: true, nxe: true, pge: true, cpl: 0, pcide: false, la57: false });
    expect(new Cpu({ la57: true }).context.la57).toBe(true);
    cpu.checkInvariants();
  });

  it("SDM 2.5: CR4 reserved bits (15, 31:26, 63:32) raise #GP; the CPU is unchanged", () => {
    const { cpu } = machine();
    const before = regs(cpu);
    for (const bad of [
      cpu.cr4 | 0x8000,
      cpu.cr4 | (2 ** 26),
      cpu.cr4 + 2 ** 32,
      BigInt(cpu.cr4) | (1n << 40n),
    ]) {
      expect(() => cpu.writeCr4(bad)).toThrow(ReservedBitsError);
    }
    expect(regs(cpu)).toEqual(before);
  });

  it("SDM 2.5: CR0 bits 63:32 and undefined low bits are refused", () => {
    const { cpu } = machine();
    const before = regs(cpu);
    expect(() => cpu.writeCr0(cpu.cr0 + 2 ** 32)).toThrow(/63:32/);
    expect(() => cpu.writeCr0(cpu.cr0 | (1 << 8))).toThrow(ReservedBitsError);
    expect(regs(cpu)).toEqual(before);
  });

  it("MOV CR0 #GP: PG without PE, NW without CD, clearing PG in 64-bit mode", () => {
    const { cpu } = machine();
    const before = regs(cpu);
    expect(() => cpu.writeCr0(cpu.cr0 & ~CR0.PE)).toThrow(/PG=1 requires PE=1/);
    expect(() => cpu.writeCr0(cpu.cr0 | CR0.NW)).toThrow(/NW=1 requires CD=1/);
    expect(() => cpu.writeCr0((cpu.cr0 & ~CR0.PG) >>> 0)).toThrow(ControlRegisterError);
    expect(regs(cpu)).toEqual(before);
    cpu.writeCr0(cpu.cr0 | CR0.CD | CR0.NW); // legal: caches off
    expect(cpu.cr0 & CR0.CD).not.toBe(0);
  });

  it("SDM 4.6.1: clearing CR0.WP reaches the MMU's context", () => {
    const { cpu } = machine();
    const ctx = cpu.context;
    cpu.writeCr0(cpu.cr0 & ~CR0.WP);
    expect(cpu.context.wp).toBe(false);
    expect(cpu.context).not.toBe(ctx);
  });

  it("IA-32e rules: PAE cannot be cleared, LA57 cannot change, CET needs WP", () => {
    const { cpu } = machine();
    const before = regs(cpu);
    expect(() => cpu.writeCr4(cpu.cr4 & ~CR4.PAE)).toThrow(/PAE/);
    expect(() => cpu.writeCr4(cpu.cr4 | CR4.LA57)).toThrow(/LA57/);
    cpu.writeCr0(cpu.cr0 & ~CR0.WP);
    expect(() => cpu.writeCr4(cpu.cr4 | CR4.CET)).toThrow(/CET requires CR0.WP/);
    cpu.writeCr0(cpu.cr0 | CR0.WP);
    cpu.writeCr4(cpu.cr4 | CR4.CET);
    expect(() => cpu.writeCr0(cpu.cr0 & ~CR0.WP)).toThrow(/WP cannot be cleared/);
    expect(regs(cpu).cr0).toBe(before.cr0);
  });

  it("SDM 4.10.1: setting PCIDE requires CR3[11:0] = 0", () => {
    const { cpu, mapper } = machine();
    cpu.writeCr3(mapper.root | 0x18); // PWT | PCD with PCIDE=0
    const before = regs(cpu);
    expect(() => cpu.writeCr4(cpu.cr4 | CR4.PCIDE)).toThrow(/CR3\[11:0\] = 0/);
    expect(regs(cpu)).toEqual(before);
    cpu.writeCr3(mapper.root);
    cpu.writeCr4(cpu.cr4 | CR4.PCIDE);
    cpu.writeCr3(mapper.root | 5);
    expect(cpu.context.pcid).toBe(5);
  });

  it("SDM 4.5: CR3 bits 62:MAXPHYADDR are reserved; bit 63 is reserved without PCIDE", () => {
    const { cpu, mapper } = machine();
    const before = regs(cpu);
    expect(() => cpu.writeCr3(2 ** 46 + mapper.root)).toThrow(/62:46/);
    expect(() => cpu.writeCr3(BigInt(mapper.root) | CR3_NOFLUSH)).toThrow(/bit 63/);
    expect(() => cpu.writeCr3(-4096)).toThrow(ReservedBitsError);
    expect(() => cpu.writeCr4(-(2 ** 31) - 1)).toThrow(ReservedBitsError);
    expect(regs(cpu)).toEqual(before);
  });

  it("IA32_EFER: only SCE, LME, LMA, NXE; LME stays set; LMA is read-only", () => {
    const { cpu } = machine();
    const before = regs(cpu);
    expect(() => cpu.wrmsr(IA32_EFER, BigInt(cpu.efer | (1 << 1)))).toThrow(ReservedBitsError);
    expect(() => cpu.wrmsr(IA32_EFER, BigInt(cpu.efer | (1 << 12)))).toThrow(ReservedBitsError);
    expect(() => cpu.wrmsr(IA32_EFER, BigInt(cpu.efer & ~EFER.LME))).toThrow(/LME/);
    expect(regs(cpu)).toEqual(before);
    cpu.wrmsr(IA32_EFER, BigInt(EFER.SCE | EFER.LME)); // NXE off, LMA written as 0
    expect(cpu.efer).toBe(EFER.SCE | EFER.LME | EFER.LMA);
    expect(cpu.context.nxe).toBe(false);
    expect(cpu.rdmsr(IA32_EFER)).toBe(BigInt(cpu.efer));
  });

  it("SDM 5.9: privileged operations at CPL 3 raise #GP/#UD; the CPU is unchanged", () => {
    const { cpu, mapper } = machine();
    cpu.setCpl(3);
    const before = regs(cpu);
    expect(() => cpu.writeCr3(mapper.root)).toThrow(PrivilegeError);
    expect(() => cpu.writeCr4(cpu.cr4)).toThrow(PrivilegeError);
    expect(() => cpu.wrmsr(IA32_PAT, PAT_LINUX)).toThrow(PrivilegeError);
    expect(() => cpu.invlpg(0x1000)).toThrow(PrivilegeError);
    expect(() => cpu.invlpg(0x1000)).toThrow(/^invlpg\(0x1000\) at CPL 3: privileged/);
    expect(() => cpu.stac()).toThrow(/#UD/);
    expect(() => cpu.cli()).toThrow(PrivilegeError);
    expect(regs(cpu)).toEqual(before);
    expect(cpu.context.cpl).toBe(3);
  });

  it("STAC/CLAC set and clear RFLAGS.AC in the context (SMAP override)", () => {
    const { cpu } = machine();
    cpu.stac();
    expect(cpu.context.ac).toBe(true);
    expect(cpu.rflags & (1 << 18)).not.toBe(0);
    cpu.clac();
    expect(cpu.context.ac).toBe(false);
  });

  it("CR4.PKS is accepted but not modelled: IA32_PKRS does not exist, so supervisor keys restrict nothing (as PKRS = 0)", () => {
    const { cpu, mapper } = machine();
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, protectionKey: 3 }); // a supervisor page, key 3
    cpu.writeCr4(cpu.cr4 | CR4.PKS | CR4.PKE);
    expect(() => cpu.wrmsr(0x6e1, 0xffffffffn)).toThrow(InvalidArgumentError); // IA32_PKRS
    expect(() => cpu.rdmsr(0x6a2)).toThrow(InvalidArgumentError); // IA32_S_CET (CET is not modelled either)
    cpu.wrpkru(0xffffffff); // PKRU governs user-mode addresses only
    expect(cpu.translate(0x400000, Access.Write).kind).toBe("ok");
  });

  it("unknown MSRs are refused", () => {
    const cpu = new Cpu();
    expect(() => cpu.rdmsr(0x1234)).toThrow(InvalidArgumentError);
    expect(() => cpu.wrmsr(0x1234, 0n)).toThrow(/no such/);
    expect(() => cpu.rdmsr(IA32_TSC)).toThrow(InvalidArgumentError); // no clock
  });
});

describe("Cpu TLB flush rules (Intel SDM Vol. 3A 4.10.4.1)", () => {
  function cached(opts: { pcide?: boolean } = {}) {
    const m = machine(opts);
    m.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
    m.mapper.map(0x800000, 0x300000, PAGE_4K, { writable: true, global: true });
    expect(m.cpu.translate(0x400000, Access.Read).kind).toBe("ok");
    expect(m.cpu.translate(0x800000, Access.Read).kind).toBe("ok");
    expect(m.cpu.tlb.entries()).toHaveLength(2);
    return m;
  }
  const vas = (cpu: Cpu) => cpu.tlb.entries().map((e) => e.va);

  it("the classic bug: a changed PTE without INVLPG keeps translating to the old frame", () => {
    const { cpu, mapper } = cached();
    mapper.unmap(0x400000, PAGE_4K);
    mapper.map(0x400000, 0x500000, PAGE_4K, { writable: true, user: true });
    const stale = cpu.translate(0x400000, Access.Read);
    expect(stale.kind === "ok" && stale.pa).toBe(0x200000);
    cpu.invlpg(0x400000);
    const fresh = cpu.translate(0x400000, Access.Read);
    expect(fresh.kind === "ok" && fresh.pa).toBe(0x500000);
  });

  it("MOV to CR3 with PCIDE=0 drops every non-global entry", () => {
    const { cpu, mapper } = cached();
    expect(cpu.writeCr3(mapper.root)).toBe(1);
    expect(vas(cpu)).toEqual([0x800000]);
  });

  it("MOV to CR3 with PCIDE=1 drops the new PCID's non-global entries, unless bit 63 is set", () => {
    const { cpu, mapper } = cached({ pcide: true });
    cpu.writeCr3(mapper.root | 1); // switch to PCID 1: PCID 0's entry survives
    expect(vas(cpu)).toEqual(expect.arrayContaining([0x800000]));
    cpu.translate(0x400000, Access.Read); // cache it under PCID 1
    cpu.writeCr3(mapper.root | 2);
    const withPcid1 = cpu.tlb.entries().filter((e) => e.pcid === 1);
    expect(withPcid1).toHaveLength(1);
    expect(cpu.writeCr3(BigInt(mapper.root | 1) | CR3_NOFLUSH)).toBe(0); // bit 63: keep
    expect(cpu.tlb.entries().filter((e) => e.pcid === 1)).toHaveLength(1);
    expect(cpu.cr3).toBe(mapper.root | 1); // bit 63 is not stored
    cpu.writeCr3(mapper.root | 1); // bit 63 clear: PCID 1 flushed
    expect(cpu.tlb.entries().filter((e) => e.pcid === 1)).toHaveLength(0);
  });

  it("MOV to CR4 toggling PGE drops everything, globals included", () => {
    const { cpu } = cached();
    expect(cpu.writeCr4(cpu.cr4 & ~CR4.PGE)).toBe(2);
    expect(cpu.tlb.entries()).toHaveLength(0);
  });

  it("MOV to CR4 clearing PCIDE drops everything; setting SMEP drops the current PCID's entries", () => {
    const { cpu } = cached({ pcide: true });
    cpu.writeCr4(cpu.cr4 & ~CR4.PCIDE);
    expect(cpu.tlb.entries()).toHaveLength(0);
    cpu.translate(0x400000, Access.Read);
    expect(cpu.writeCr4(cpu.cr4 | CR4.SMEP)).toBe(1);
    expect(cpu.writeCr4(cpu.cr4 | CR4.SMAP)).toBe(0); // SMAP: no flush required
  });

  it("MOV to CR4, bit by bit: exactly the SDM 4.10.4.1 flushes and no others", () => {
    // Three entries: X (PCID 0), G (global, filled under PCID 0), Y (PCID 1, the current one).
    function threeEntries(extraCr4 = 0) {
      const m = machine({ pcide: true });
      m.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true });
      m.mapper.map(0x401000, 0x201000, PAGE_4K, { writable: true, global: true });
      m.mapper.map(0x402000, 0x202000, PAGE_4K, { writable: true });
      if (extraCr4 !== 0) m.cpu.writeCr4(m.cpu.cr4 | extraCr4);
      m.cpu.translate(0x400000, Access.Read);
      m.cpu.translate(0x401000, Access.Read);
      m.cpu.writeCr3(m.mapper.root | 1);
      m.cpu.translate(0x402000, Access.Read);
      expect(m.cpu.tlb.entries().map((e) => [e.va, e.pcid, e.global])).toEqual(
        expect.arrayContaining([
          [0x400000, 0, false],
          [0x401000, 0, true],
          [0x402000, 1, false],
        ]),
      );
      return m;
    }
    const left = (cpu: Cpu) =>
      cpu.tlb
        .entries()
        .map((e) => e.va)
        .sort((a, b) => a - b);
    const cases: [string, number, (cr4: number) => number, number[]][] = [
      ["PGE 1→0: everything, globals of every PCID", 0, (c) => c & ~CR4.PGE, []],
      ["PCIDE 1→0: everything", 0, (c) => c & ~CR4.PCIDE, []],
      ["SMEP 0→1: the current PCID's entries", 0, (c) => c | CR4.SMEP, [0x400000, 0x401000]],
      ["SMEP 1→0: nothing", CR4.SMEP, (c) => c & ~CR4.SMEP, [0x400000, 0x401000, 0x402000]],
      ["SMAP 0→1: nothing", 0, (c) => c | CR4.SMAP, [0x400000, 0x401000, 0x402000]],
      ["PKE 0→1: nothing", 0, (c) => c | CR4.PKE, [0x400000, 0x401000, 0x402000]],
      [
        "OSXSAVE, UMIP, TSD: nothing",
        0,
        (c) => c | CR4.OSXSAVE | CR4.UMIP | CR4.TSD,
        [0x400000, 0x401000, 0x402000],
      ],
    ];
    for (const [name, extra, change, want] of cases) {
      const { cpu } = threeEntries(extra);
      cpu.writeCr4(change(cpu.cr4));
      expect(left(cpu), name).toEqual(want);
    }
    // PGE 0→1 flushes too: SDM 4.10.4.1 says any change of PGE invalidates everything.
    const m = machine();
    m.cpu.writeCr4(m.cpu.cr4 & ~CR4.PGE);
    m.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, global: true });
    m.cpu.translate(0x400000, Access.Read);
    expect(m.cpu.tlb.entries()).toMatchObject([{ global: false }]);
    expect(m.cpu.writeCr4(m.cpu.cr4 | CR4.PGE)).toBe(1);
    // PCIDE 0→1 flushes nothing: PCID 0 entries stay usable.
    m.cpu.translate(0x400000, Access.Read);
    expect(m.cpu.writeCr4(m.cpu.cr4 | CR4.PCIDE)).toBe(0);
    expect(m.cpu.translate(0x400000, Access.Read)).toMatchObject({ tlbHit: true });
  });

  it("WRMSR to EFER flushes nothing: with NXE cleared, a cached XD page may be fetched from (4.6.1: XD counts only with NXE)", () => {
    const { cpu, mapper } = machine();
    mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, noExecute: true });
    expect(cpu.translate(0x400000, Access.Read).kind).toBe("ok"); // cached with XD = 1
    expect(cpu.translate(0x400000, Access.Execute)).toMatchObject({ kind: "page-fault", errorCode: 0x11 });
    expect(cpu.translate(0x400000, Access.Read).kind).toBe("ok"); // the fault dropped it; cached again
    cpu.wrmsr(IA32_EFER, BigInt(cpu.efer & ~EFER.NXE));
    expect(cpu.tlb.entries()).toHaveLength(1);
    // The stale entry serves the fetch: without NXE no access is execute-disabled.
    expect(cpu.translate(0x400000, Access.Execute)).toMatchObject({ kind: "ok", tlbHit: true });
    // The tables themselves now hold a reserved bit (bit 63 without NXE): a fresh walk faults.
    cpu.invlpg(0x400000);
    expect(cpu.translate(0x400000, Access.Execute)).toMatchObject({
      kind: "page-fault",
      reason: "reserved-bit",
    });
  });

  it("INVLPG drops a global page too; a CR3 write does not", () => {
    const { cpu, mapper } = cached();
    cpu.writeCr3(mapper.root);
    expect(vas(cpu)).toEqual([0x800000]);
    expect(cpu.invlpg(0x800000)).toBe(1);
  });

  it("a page fault loads CR2 (SDM 4.7)", () => {
    const { cpu } = machine();
    const r = cpu.translate(0x7000_1234, Access.Write);
    expect(r.kind).toBe("page-fault");
    expect(cpu.cr2).toBe(0x7000_1234);
  });
});

describe("Cpu MSRs: PAT, MTRRs, TSC", () => {
  it("memoryTypeOf combines this CPU's MTRRs and PAT", () => {
    const cpu = new Cpu();
    cpu.wrmsr(IA32_MTRR_DEF_TYPE, 0xc00n); // E=1, FE=1, default UC
    cpu.mtrrs.setVariable(0, { base: 0, size: 2 ** 31, type: MemoryType.WB });
    expect(cpu.memoryTypeOf(0xe000_0000, PTE_P | PTE_RW | PTE_PWT, PAGE_4K)).toBe(MemoryType.UC); // reset PA1 = WT
    cpu.wrmsr(IA32_PAT, PAT_LINUX);
    expect(cpu.rdmsr(IA32_PAT)).toBe(PAT_LINUX);
    expect(cpu.memoryTypeOf(0xe000_0000, PTE_P | PTE_RW | PTE_PWT, PAGE_4K)).toBe(MemoryType.WC);
    expect(cpu.memoryTypeOf(0x20_0000, PTE_P | PTE_RW, PAGE_4K)).toBe(MemoryType.WB);
    expect(cpu.memoryTypeOf(0xb8000, PTE_P | PTE_RW, PAGE_4K)).toBe(MemoryType.UC); // fixed range, still 0 = UC
    expect(() => cpu.wrmsr(IA32_PAT, 0x02n)).toThrow(ReservedBitsError);
    expect(cpu.rdmsr(IA32_PAT)).toBe(PAT_LINUX);
  });

  it("RDTSC and IA32_TSC read the shared clock; IA32_TSC_DEADLINE arms the local timer", () => {
    const clock = new Clock();
    const cpu = new Cpu({ clock });
    cpu.apic.route(0, { vector: 0xec, masked: false });
    cpu.setInterruptHandler(0xec, (c) => c.apic.eoi());
    clock.advance(1234);
    expect(cpu.rdtsc()).toBe(1234);
    expect(cpu.rdmsr(IA32_TSC)).toBe(1234n);
    cpu.timer!.setMode("tsc-deadline");
    cpu.wrmsr(IA32_TSC_DEADLINE, 2000n);
    expect(cpu.rdmsr(IA32_TSC_DEADLINE)).toBe(2000n);
    clock.advance(766);
    cpu.sti();
    expect(cpu.deliverInterrupts()).toBe(1);
    expect(cpu.rdmsr(IA32_TSC_DEADLINE)).toBe(0n);
    cpu.writeCr4(cpu.cr4 | CR4.TSD);
    cpu.setCpl(3);
    expect(() => cpu.rdtsc()).toThrow(PrivilegeError);
  });
});

describe("Cpu interrupt delivery", () => {
  it("no delivery with IF=0; with IF=1 the handler runs at CPL 0 with IF=0, then both are restored", () => {
    const cpu = new Cpu();
    cpu.apic.route(4, { vector: 0x24, masked: false });
    const seen: [number, number, boolean][] = [];
    cpu.setInterruptHandler(0x24, (c, v) => {
      seen.push([v, c.cpl, c.interruptsEnabled]);
      c.apic.eoi();
    });
    cpu.apic.raise(4);
    cpu.apic.lower(4);
    expect(cpu.deliverInterrupts()).toBe(0);
    cpu.setCpl(3); // user mode: IF=1
    expect(cpu.pendingInterrupt()).toBe(0x24);
    expect(cpu.deliverInterrupts()).toBe(1);
    expect(seen).toEqual([[0x24, 0, false]]);
    expect(cpu.cpl).toBe(3);
    expect(cpu.interruptsEnabled).toBe(true);
    cpu.checkInvariants();
  });

  it("a handler that forgets EOI blocks its class and below, as on hardware", () => {
    const cpu = new Cpu();
    cpu.apic.route(1, { vector: 0x41, masked: false });
    cpu.apic.route(2, { vector: 0x42, masked: false });
    cpu.setInterruptHandler(0x41, () => {});
    cpu.setInterruptHandler(0x42, (c) => c.apic.eoi());
    cpu.sti();
    cpu.apic.raise(1);
    expect(cpu.deliverInterrupts()).toBe(1);
    cpu.apic.raise(2);
    expect(cpu.deliverInterrupts()).toBe(0);
    expect(cpu.apic.inServiceVectors()).toEqual([0x41]);
  });

  it("NMIs are taken with IF=0, and need no EOI", () => {
    const cpu = new Cpu();
    let nmis = 0;
    cpu.setInterruptHandler(2, () => {
      nmis++;
    });
    cpu.raiseNmi();
    expect(cpu.deliverInterrupts()).toBe(1);
    expect(nmis).toBe(1);
    expect(cpu.pendingInterrupt()).toBeNull();
  });

  it("a pending vector without a handler is refused before it is acknowledged", () => {
    const cpu = new Cpu();
    cpu.apic.deliverFixed(0x99);
    cpu.sti();
    expect(() => cpu.deliverInterrupts()).toThrow(InterruptStateError);
    expect(cpu.apic.pendingVectors()).toEqual([0x99]);
    expect(cpu.apic.inServiceVectors()).toEqual([]);
  });
});

describe("Cpu.describeRegisters", () => {
  it("names the flags set in each register", () => {
    const cpu = new Cpu();
    expect(cpu.describeRegisters()).toBe(
      [
        "CPU 0 CPL=0 RFLAGS=0x2 []",
        "CR0=0x80010033 [PG WP NE ET MP PE]  CR2=0x0  CR3=0x0 (PCID 0)",
        "CR4=0xa0 [PGE PAE]  EFER=0xd01 [NXE LMA LME SCE]",
      ].join("\n"),
    );
    cpu.sti();
    cpu.stac();
    expect(cpu.describeRegisters().split("\n")[0]).toBe("CPU 0 CPL=0 RFLAGS=0x40202 [AC IF]");
  });
});

describe("Cpu with an external 8259 on LINT0 (PIC mode, SDM 10.5.1 ExtINT)", () => {
  it("takes the PIC's vectors after the APIC's; an unremapped PIC delivers the timer as #DF", () => {
    const clock = new Clock();
    const pic = new Pic8259({ vectorBase: 0x08 }); // as the BIOS leaves it
    const cpu = new Cpu({ external: pic });
    const pit = new Timer(clock, irqLine(pic, 0)); // the PIT on IR0
    const taken: number[] = [];
    cpu.setInterruptHandler(Vector.DF, (_c, v) => {
      taken.push(v);
      pic.eoi();
    });
    cpu.setInterruptHandler(0x20, (_c, v) => {
      taken.push(v);
      pic.eoi();
    });
    cpu.sti();
    pit.startPeriodic(100);
    clock.advance(100);
    expect(cpu.deliverInterrupts()).toBe(1);
    expect(taken).toEqual([Vector.DF]); // the classic bug: a "double fault" every tick

    for (const [o, v] of [
      [0, 0x11],
      [1, 0x20],
      [1, 0x04],
      [1, 0x01],
    ] as const) {
      pic.writePort(o, 1, v); // remap IR0–7 to 0x20–0x27
    }
    clock.advance(100);
    cpu.apic.deliverFixed(0x50);
    cpu.setInterruptHandler(0x50, (c, v) => {
      taken.push(v);
      c.apic.eoi();
    });
    expect(cpu.deliverInterrupts()).toBe(2);
    expect(taken).toEqual([Vector.DF, 0x50, 0x20]); // the APIC's vector first, then ExtINT
  });
});
