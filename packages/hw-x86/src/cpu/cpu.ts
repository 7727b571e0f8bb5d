/**
 * One logical CPU: its control registers, its TLB and MMU, its local APIC and timer, its PAT and
 * MTRRs, and the interrupt-gate dispatch a kernel's trap loop calls.
 *
 * ```
 *               ┌─────────────────────────── Cpu (APIC id n) ────────────────────────────┐
 *   kernel ────▶│ CR0 CR2 CR3 CR4 EFER RFLAGS.IF/AC CPL PKRU ──▶ context ──▶ Mmu ──▶ Tlb │
 *   writes      │   each write: validated (refused → typed error, nothing changed),      │
 *               │   then the SDM 4.10.4.1 flush rule is applied to this CPU's TLB        │
 *               │ Pat, Mtrrs ──▶ memoryTypeOf(pa, pte)                                   │
 *   devices ───▶│ Apic: lines, IRR/ISR, TPR ◀── Timer ◀── Clock (shared, = TSC)          │
 *   other CPUs ▶│   ▲ deliverFixed(vector) from the IpiBus                               │
 *               │ deliverInterrupts() ──▶ handler[vector] at CPL 0, IF=0 ──▶ apic.eoi()  │
 *               └────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * The TLB flush rules applied on register writes (Intel SDM Vol. 3A 4.10.4.1):
 *
 * | write | effect on this CPU's TLB |
 * | --- | --- |
 * | MOV to CR3, PCIDE=0 | drop every non-global entry |
 * | MOV to CR3, PCIDE=1, bit 63 = 0 | drop the non-global entries of the new PCID |
 * | MOV to CR3, PCIDE=1, bit 63 = 1 | drop nothing |
 * | MOV to CR4 changing PGE, or clearing PCIDE | drop everything, globals included |
 * | MOV to CR4 setting SMEP | drop the entries of the current PCID |
 * | INVLPG va | drop the page's entries for the current PCID and global ones |
 *
 * Only this CPU's TLB is touched: another CPU's stale entries stay until it is told (an IPI and an
 * INVLPG there: a TLB shootdown, see `ipi.ts` and `shootdown.ts`).
 *
 * The CPU always runs in IA-32e mode with paging on (see `registers.ts`). Privileged operations
 * at CPL > 0 throw {@link PrivilegeError}. Invariants ({@link Cpu.checkInvariants}): the cached
 * translation context agrees with the registers; PG, PE, PAE, LME, LMA are set; the PCID is 0
 * without PCIDE; the TLB, APIC, PAT, MTRRs and timer keep their own invariants.
 *
 * Related: `registers.ts` (bits and write rules), `msr.ts` (PAT, MTRR and TSC MSRs),
 * `interrupt-gates.ts` (IDT table, NMI latch, vector choice), `inspect.ts` (register dump and
 * invariants), `../mmu/context.ts`, `../tlb/tlb.ts`, `../interrupts/apic.ts`, `../memtypes/`.
 */
import type { Tracer } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { type InterruptController, type InterruptTraceEvent, irqLine } from "../interrupts/api.js";
import { Apic } from "../interrupts/apic.js";
import type { Clock } from "../interrupts/clock.js";
import { InterruptStateError } from "../interrupts/errors.js";
import { Timer } from "../interrupts/timer.js";
import { hex, type PhysAddr } from "../memory/address.js";
import { effectiveMemoryType } from "../memtypes/effective.js";
import type { MemoryType } from "../memtypes/memory-type.js";
import { Mtrrs } from "../memtypes/mtrr.js";
import { Pat } from "../memtypes/pat.js";
import { type Cpl, contextFromRegisters, type TranslationContext } from "../mmu/context.js";
import type { AccessKind, TranslateResult } from "../mmu/fault.js";
import { Mmu } from "../mmu/mmu.js";
import type { PageSize, VirtAddr } from "../paging/virtual-address.js";
import type { InvpcidResult } from "../tlb/api.js";
import { Tlb } from "../tlb/tlb.js";
import {
  type CpuOptions,
  type CpuTraceEvent,
  CR0_BOOT,
  CR4_BOOT,
  EFER_BOOT,
  type InterruptHandler,
} from "./api.js";
import { PrivilegeError } from "./errors.js";
import { checkCpuInvariants, describeCpuRegisters } from "./inspect.js";
import { InterruptGates } from "./interrupt-gates.js";
import type { IpiBus, IpiDestination, IpiMode } from "./ipi.js";
import { LocalApicRegisters } from "./lapic.js";
import { type PlatformMsrs, readPlatformMsr, writePlatformMsr } from "./msr.js";
import { CR4, checkCr0, checkCr3, checkCr4, checkEfer, IA32_EFER, RFLAGS } from "./registers.js";

/**
 * A simulated x86-64 logical processor.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
 * const cpu = new Cpu({ memory });
 * cpu.writeCr3(mapper.root);                 // switch address space: non-global entries dropped
 * const r = cpu.translate(0x400000, Access.Read);
 * if (r.kind === "page-fault") cpu.cr2;      // 0x400000
 * cpu.writeCr4(cpu.cr4 | CR4.SMEP);          // validated; SMEP 0→1 drops this PCID's entries
 * ```
 */
export class Cpu {
  /** Local APIC id. */
  readonly id: number;
  /** This CPU's TLB. */
  readonly tlb: Tlb;
  /** This CPU's MMU (walks {@link CpuOptions.memory}), or `null` without memory. */
  readonly mmu: Mmu | null;
  /** The local interrupt controller. */
  readonly apic: Apic;
  /** The external controller on LINT0 (ExtINT), or `null`. */
  readonly external: InterruptController | null;
  /** The local timer, or `null` without a clock. */
  readonly timer: Timer | null;
  /** The APIC line the local timer raises. */
  readonly timerLine: number;
  /** The local APIC's register file (xv6-style programming through offsets, SDM Table 10-1). */
  readonly lapic: LocalApicRegisters;
  /** IA32_PAT. */
  readonly pat = new Pat();
  /** The MTRRs. */
  readonly mtrrs: Mtrrs;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;

  readonly #clock: Clock | null;
  readonly #tracer: Tracer<CpuTraceEvent | InterruptTraceEvent> | undefined;
  #cr0 = CR0_BOOT;
  #cr2 = 0;
  #cr3 = 0;
  #cr4: number;
  #efer = EFER_BOOT;
  #if = false;
  #ac = false;
  #cpl: Cpl = 0;
  #pkru = 0;
  #context: TranslationContext;
  readonly #gates: InterruptGates;
  readonly #msrs: PlatformMsrs;
  #bus: IpiBus | null = null;

  /** @throws {@link InvalidArgumentError} for a bad id, MAXPHYADDR or timer line. */
  constructor(options: CpuOptions = {}) {
    const id = options.id ?? 0;
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new InvalidArgumentError(`new Cpu(id=${String(id)}): an xAPIC id is 0..255`);
    }
    const m = options.maxPhysAddr ?? 46;
    if (!Number.isInteger(m) || m < 36 || m > 52) {
      throw new InvalidArgumentError(`new Cpu(maxPhysAddr=${String(m)}): must be in 36..52 (SDM 4.1.4)`);
    }
    this.id = id;
    this.maxPhysAddr = m;
    this.#cr4 = CR4_BOOT | (options.la57 === true ? CR4.LA57 : 0);
    this.tlb = new Tlb(options.tlb);
    this.mmu = options.memory === undefined ? null : new Mmu({ memory: options.memory, tlb: this.tlb });
    this.external = options.external ?? null;
    this.apic = options.apic ?? new Apic(options.tracer === undefined ? {} : { tracer: options.tracer });
    this.#clock = options.clock ?? null;
    this.timerLine = options.timerLine ?? 0;
    this.timer =
      this.#clock === null
        ? null
        : new Timer(
            this.#clock,
            irqLine(this.apic, this.timerLine),
            options.tracer === undefined ? {} : { tracer: options.tracer },
          );
    this.lapic = new LocalApicRegisters(this);
    this.mtrrs = new Mtrrs({ ...options.mtrrs, maxPhysAddr: m });
    this.#tracer = options.tracer;
    this.#gates = new InterruptGates(id, this.apic, this.external);
    this.#msrs = { pat: this.pat, mtrrs: this.mtrrs, clock: this.#clock, timer: this.timer };
    this.#context = this.#buildContext();
  }

  // ── registers ────────────────────────────────────────────────────────────────────────────────

  /** CR0. */
  get cr0(): number {
    return this.#cr0;
  }
  /** CR2: the linear address of the last page fault (SDM 4.7). */
  get cr2(): VirtAddr {
    return this.#cr2;
  }
  /** CR3 as stored: root table in bits 51:12, PCID (or PWT/PCD) in 11:0. Bit 63 is never stored. */
  get cr3(): number {
    return this.#cr3;
  }
  /** CR4. */
  get cr4(): number {
    return this.#cr4;
  }
  /** IA32_EFER. */
  get efer(): number {
    return this.#efer;
  }
  /** RFLAGS as far as modelled: bit 1 (always 1), IF, AC. */
  get rflags(): number {
    return RFLAGS.FIXED | (this.#if ? RFLAGS.IF : 0) | (this.#ac ? RFLAGS.AC : 0);
  }
  /** RFLAGS.IF: whether maskable interrupts are delivered. */
  get interruptsEnabled(): boolean {
    return this.#if;
  }
  /** The current privilege level. */
  get cpl(): Cpl {
    return this.#cpl;
  }
  /** The PKRU register. */
  get pkru(): number {
    return this.#pkru;
  }
  /** The translation context the MMU reads (a new object after every change, shared until then). */
  get context(): TranslationContext {
    return this.#context;
  }
  /** The IPI bus this CPU is attached to, if any. */
  get bus(): IpiBus | null {
    return this.#bus;
  }

  #buildContext(): TranslationContext {
    return contextFromRegisters({
      cr0: this.#cr0,
      cr3: this.#cr3,
      cr4: this.#cr4,
      efer: this.#efer,
      rflags: this.rflags,
      cpl: this.#cpl,
      pkru: this.#pkru,
      maxPhysAddr: this.maxPhysAddr,
    });
  }

  /**
   * The refusal of a privileged instruction at CPL > 0. Callers test the CPL themselves and build
   * `op` (the call, for the message) only then: INVLPG and the CR writes are on kernel hot paths.
   */
  #notPrivileged(op: string): never {
    throw new PrivilegeError(`${op} at CPL ${this.#cpl}: privileged, CPL 0 only (SDM 5.9 → #GP(0))`);
  }

  #trace(register: "cr0" | "cr2" | "cr3" | "cr4" | "efer", value: number, dropped: number): void {
    this.#tracer?.emit({ type: "cpu.write", cpu: this.id, register, value, dropped });
  }

  /**
   * MOV to CR0.
   * @returns the number of TLB entries dropped (only a PG change drops any; PG cannot change here).
   * @throws {@link PrivilegeError}, {@link ReservedBitsError}, {@link ControlRegisterError} (see
   *   `checkCr0`); the CPU is unchanged.
   */
  writeCr0(value: number | bigint): number {
    if (this.#cpl !== 0) this.#notPrivileged(`writeCr0(${hex(value)})`);
    const next = checkCr0(value, this.#cr4);
    const dropped = this.tlb.writeCr0(this.#cr0, next);
    this.#cr0 = next;
    this.#context = this.#buildContext();
    this.#trace("cr0", next, dropped);
    return dropped;
  }

  /**
   * MOV to CR2 (kernels rarely do; the CPU sets it on #PF).
   * @throws {@link PrivilegeError}; {@link InvalidArgumentError} when `va` is not a safe integer.
   */
  writeCr2(va: VirtAddr): void {
    if (this.#cpl !== 0) this.#notPrivileged(`writeCr2(${hex(va)})`);
    if (!Number.isSafeInteger(va)) throw new InvalidArgumentError(`writeCr2(${String(va)}): not an address`);
    this.#cr2 = va;
    this.#trace("cr2", va, 0);
  }

  /**
   * MOV to CR3: switch address space, applying the SDM 4.10.4.1 flush rule (see the table above).
   * Pass a bigint with {@link CR3_NOFLUSH} (bit 63) to keep the PCID's entries.
   *
   * @returns the number of TLB entries dropped.
   * @throws {@link PrivilegeError}; {@link ReservedBitsError} for bits 62:MAXPHYADDR, or bit 63
   *   without PCIDE; the CPU and its TLB are unchanged.
   * @example
   * ```ts
   * cpu.writeCr3(0x5000);                           // PCIDE=0: non-global entries dropped
   * cpu.writeCr3(BigInt(0x6000 | 7) | CR3_NOFLUSH); // PCIDE=1: PCID 7's entries kept
   * ```
   */
  writeCr3(value: number | bigint): number {
    if (this.#cpl !== 0) this.#notPrivileged(`writeCr3(${hex(value)})`);
    const pcide = (this.#cr4 & CR4.PCIDE) !== 0;
    const w = checkCr3(value, pcide, this.maxPhysAddr);
    const dropped = this.tlb.writeCr3(pcide, w.pcid, w.noFlush);
    this.#cr3 = w.value;
    this.#context = this.#buildContext();
    this.#trace("cr3", w.value, dropped);
    return dropped;
  }

  /**
   * MOV to CR4, applying the SDM 4.10.4.1 flush rules for PGE, PCIDE and SMEP.
   * @returns the number of TLB entries dropped.
   * @throws {@link PrivilegeError}, {@link ReservedBitsError}, {@link ControlRegisterError} (see
   *   `checkCr4`); the CPU and its TLB are unchanged.
   */
  writeCr4(value: number | bigint): number {
    if (this.#cpl !== 0) this.#notPrivileged(`writeCr4(${hex(value)})`);
    const next = checkCr4(value, this.#cr4, this.#cr0, this.#cr3 % 4096);
    const old = this.#cr4;
    const pcid = this.#context.pcid;
    const dropped = this.tlb.writeCr4(old, next, pcid);
    this.#cr4 = next;
    this.#context = this.#buildContext();
    this.#trace("cr4", next, dropped);
    return dropped;
  }

  /**
   * WRMSR: IA32_EFER, IA32_PAT, the MTRRs, IA32_TSC_DEADLINE (with a clock).
   * @throws {@link PrivilegeError}; {@link ReservedBitsError} / {@link ControlRegisterError} for a
   *   refused value; {@link InvalidArgumentError} for an MSR this CPU does not have (#GP on
   *   hardware). Unchanged on error.
   */
  wrmsr(msr: number, value: bigint): void {
    if (this.#cpl !== 0) this.#notPrivileged(`wrmsr(${hex(msr)})`);
    if (msr === IA32_EFER) {
      const next = checkEfer(value, this.#efer);
      this.#efer = next;
      this.#context = this.#buildContext();
      this.#trace("efer", next, 0);
    } else {
      writePlatformMsr(this.#msrs, msr, value);
    }
  }

  /**
   * RDMSR: IA32_EFER, IA32_PAT, the MTRRs, IA32_TSC and IA32_TSC_DEADLINE (with a clock).
   * @throws {@link PrivilegeError}; {@link InvalidArgumentError} for an unknown MSR (#GP).
   */
  rdmsr(msr: number): bigint {
    if (this.#cpl !== 0) this.#notPrivileged(`rdmsr(${hex(msr)})`);
    if (msr === IA32_EFER) return BigInt(this.#efer);
    return readPlatformMsr(this.#msrs, msr);
  }

  /**
   * RDTSC: the shared clock's cycle count.
   * @throws {@link InvalidArgumentError} without a clock; {@link PrivilegeError} at CPL > 0 with CR4.TSD.
   */
  rdtsc(): number {
    if (this.#clock === null) throw new InvalidArgumentError("rdtsc(): this CPU was built without a clock");
    if ((this.#cr4 & CR4.TSD) !== 0 && this.#cpl !== 0) {
      throw new PrivilegeError(`rdtsc() at CPL ${this.#cpl} with CR4.TSD=1 (SDM RDTSC → #GP(0))`);
    }
    return this.#clock.now;
  }

  /**
   * WRPKRU.
   * @throws {@link PrivilegeError} when CR4.PKE=0 (#UD); {@link InvalidArgumentError} for a value
   *   that is not 32 bits.
   */
  wrpkru(value: number): void {
    if ((this.#cr4 & CR4.PKE) === 0) throw new PrivilegeError("wrpkru(): CR4.PKE=0 (SDM WRPKRU → #UD)");
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new InvalidArgumentError(`wrpkru(${String(value)}): PKRU is 32 bits`);
    }
    this.#pkru = value;
    this.#context = this.#buildContext();
  }

  /** STAC: set RFLAGS.AC (lift SMAP). @throws {@link PrivilegeError} at CPL > 0 (#UD, SDM STAC). */
  stac(): void {
    this.#setAc(true, "stac()");
  }
  /** CLAC: clear RFLAGS.AC. @throws {@link PrivilegeError} at CPL > 0 (#UD, SDM CLAC). */
  clac(): void {
    this.#setAc(false, "clac()");
  }
  #setAc(on: boolean, op: string): void {
    if (this.#cpl !== 0) throw new PrivilegeError(`${op} at CPL ${this.#cpl}: CPL 0 only (SDM → #UD)`);
    if (this.#ac === on) return;
    this.#ac = on;
    this.#context = this.#buildContext();
  }

  /** STI. @throws {@link PrivilegeError} at CPL > 0 (IOPL is 0 here: #GP). */
  sti(): void {
    if (this.#cpl !== 0) this.#notPrivileged("sti()");
    this.#if = true;
  }
  /** CLI. @throws {@link PrivilegeError} at CPL > 0. */
  cli(): void {
    if (this.#cpl !== 0) this.#notPrivileged("cli()");
    this.#if = false;
  }

  /**
   * Change CS.RPL, as an interrupt, SYSCALL, IRET or SYSRET does. Entering CPL 3 also sets IF and
   * clears AC, as a kernel's return to user mode restores user RFLAGS.
   * @throws {@link InvalidArgumentError} for a CPL other than 0..3.
   */
  setCpl(cpl: Cpl): void {
    if (cpl !== 0 && cpl !== 1 && cpl !== 2 && cpl !== 3) {
      throw new InvalidArgumentError(`setCpl(${String(cpl)}): a privilege level is 0..3`);
    }
    this.#cpl = cpl;
    if (cpl === 3) {
      this.#if = true;
      this.#ac = false;
    }
    this.#context = this.#buildContext();
  }

  // ── TLB instructions and translation ─────────────────────────────────────────────────────────

  /**
   * INVLPG: drop this CPU's entries for the page of `va` (current PCID and globals).
   * @returns the number dropped. @throws {@link PrivilegeError} at CPL > 0.
   */
  invlpg(va: VirtAddr): number {
    if (this.#cpl !== 0) this.#notPrivileged(`invlpg(${hex(va)})`);
    return this.tlb.invlpg(this.#context.pcid, va);
  }

  /**
   * INVPCID of type 0–3 (see `Tlb.invpcid`); a #GP the instruction raises is returned as a value.
   * @throws {@link PrivilegeError} at CPL > 0.
   */
  invpcid(type: number, pcid: number, va: VirtAddr = 0): InvpcidResult {
    if (this.#cpl !== 0) this.#notPrivileged(`invpcid(type=${String(type)})`);
    return this.tlb.invpcid(type, pcid, va, this.#context.pcide, this.#context.la57);
  }

  /**
   * Translate `va` for `access` in the current context through this CPU's TLB and MMU; a page
   * fault loads CR2 with the faulting address (SDM 4.7), as delivering #PF does.
   * @throws {@link InvalidArgumentError} when the CPU has no memory, or `access` is not 0..2 (as
   *   {@link Mmu.translate}, which also throws for an inexact `va`).
   */
  translate(va: VirtAddr, access: AccessKind): TranslateResult {
    if (this.mmu === null) throw new InvalidArgumentError("translate(): this CPU was built without memory");
    const r = this.mmu.translate(this.#context, va, access);
    if (r.kind === "page-fault") this.#cr2 = r.cr2;
    return r;
  }

  /**
   * The effective memory type of an access to `pa` through a leaf entry whose low word is
   * `leafLo`, mapping a page of `size`: this CPU's MTRR type for `pa` combined with its PAT entry
   * (SDM 11.5.2.2, Table 11-7).
   * @throws as `Mtrrs.typeOf` and `patIndex`.
   */
  memoryTypeOf(pa: PhysAddr, leafLo: number, size: PageSize): MemoryType {
    return effectiveMemoryType(this.mtrrs.typeOf(pa).type, this.pat.typeForEntry(leafLo, size));
  }

  // ── interrupts ───────────────────────────────────────────────────────────────────────────────

  /**
   * Install the handler of `vector` (an IDT gate).
   * @throws {@link InvalidArgumentError} for a vector outside 0..255.
   */
  setInterruptHandler(vector: number, handler: InterruptHandler | null): void {
    this.#gates.setHandler(vector, handler);
  }

  /** Make an NMI pending (an NMI IPI, or a watchdog). Delivered even with IF=0. */
  raiseNmi(): void {
    this.#gates.raiseNmi();
  }

  /**
   * The vector the CPU would take now: a pending NMI; else, with IF=1, the APIC's choice, else the
   * external controller's; or `null`.
   */
  pendingInterrupt(): number | null {
    return this.#gates.pending(this.#if);
  }

  /**
   * Take every deliverable interrupt, each through its handler as an interrupt gate would: the
   * vector is acknowledged (IRR → ISR), the handler runs at CPL 0 with IF=0, then CPL and IF are
   * restored. The handler must signal EOI to the controller that delivered it (`cpu.apic.eoi()`, or
   * the external 8259's; none for NMIs), or lower and equal priorities stay blocked — as on hardware. Call it at every trap of the kernel loop.
   *
   * @returns the number of interrupts taken.
   * @throws {@link InterruptStateError} when a deliverable vector has no handler (checked before
   *   acknowledging it: the state is unchanged), or after 1024 interrupts in one call (a storm:
   *   a level line never quietened).
   */
  deliverInterrupts(): number {
    let taken = 0;
    for (;;) {
      const v = this.pendingInterrupt();
      if (v === null) return taken;
      const handler = this.#gates.handlerOf(v);
      if (++taken > 1024)
        throw new InterruptStateError(`Cpu ${this.id}: more than 1024 interrupts in one delivery (storm)`);
      const isNmi = this.#gates.acknowledge(v);
      const savedCpl = this.#cpl;
      const savedIf = this.#if;
      const savedAc = this.#ac;
      this.#tracer?.emit({ type: "cpu.interrupt", cpu: this.id, vector: v, fromCpl: savedCpl });
      this.#cpl = 0;
      this.#if = false;
      this.#context = this.#buildContext();
      try {
        handler(this, v);
      } finally {
        if (isNmi) this.#gates.endNmi();
        this.#cpl = savedCpl;
        this.#if = savedIf;
        this.#ac = savedAc;
        this.#context = this.#buildContext();
      }
    }
  }

  /**
   * Send an inter-processor interrupt through the bus this CPU is attached to (a write to the local
   * APIC's ICR, SDM 10.6.1).
   * @returns the number of CPUs it was delivered to.
   * @throws {@link InvalidArgumentError} when the CPU is on no bus, or as `IpiBus.send`.
   */
  sendIpi(destination: IpiDestination, vector: number, mode: IpiMode = "fixed"): number {
    if (this.#bus === null) throw new InvalidArgumentError(`Cpu ${this.id}: sendIpi() without an IpiBus`);
    return this.#bus.send(this, destination, vector, mode);
  }

  /** @internal Called by {@link IpiBus.attach}. */
  attachBus(bus: IpiBus): void {
    if (this.#bus !== null && this.#bus !== bus) {
      throw new InvalidArgumentError(`Cpu ${this.id}: already attached to another IpiBus`);
    }
    this.#bus = bus;
  }

  /** @internal Called by the bus to record an IPI in the trace. */
  traceIpi(to: number, vector: number, mode: IpiMode): void {
    this.#tracer?.emit({ type: "cpu.ipi", from: this.id, to, vector, mode });
  }

  /**
   * The registers as a debugger's `info registers` would show them.
   * @example
   * ```ts
   * new Cpu().describeRegisters();
   * // CPU 0 CPL=0 RFLAGS=0x2 []
   * // CR0=0x80010033 [PG WP NE ET MP PE]  CR2=0x0  CR3=0x0 (PCID 0)
   * // CR4=0xa0 [PGE PAE]  EFER=0xd01 [NXE LMA LME SCE]
   * ```
   */
  describeRegisters(): string {
    return describeCpuRegisters(this);
  }

  /** Throws an {@link InvariantError} describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    checkCpuInvariants(this, this.#buildContext());
  }
}
