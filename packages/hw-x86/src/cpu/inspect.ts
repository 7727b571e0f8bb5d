/**
 * Looking at a {@link Cpu} from outside: its registers as a debugger prints them, and the checks
 * behind `Cpu.checkInvariants`.
 *
 * The invariants of a CPU in this model (it always runs in IA-32e mode with paging on):
 *
 * | invariant | why |
 * | --- | --- |
 * | the cached translation context equals one rebuilt from the registers | every register write rebuilds it; a stale one would translate with old rules |
 * | CR0.PG, CR0.PE, CR4.PAE, EFER.LME, EFER.LMA all set | IA-32e mode (SDM 9.8.5); `registers.ts` refuses writes that would leave it |
 * | PCID 0 while CR4.PCIDE=0 | SDM 4.10.1: without PCIDE every linear address is cached under PCID 0 |
 * | the TLB, APIC, PAT, MTRRs and timer keep their own invariants | each is checked by its own `checkInvariants` |
 *
 * Related: `cpu.ts` (the class), `registers.ts` (bit names for `flagNames`).
 */
import { InvariantError } from "../errors.js";
import { hex } from "../memory/address.js";
import type { TranslationContext } from "../mmu/context.js";
import type { Cpu } from "./cpu.js";
import { CR0, CR4, EFER, flagNames, RFLAGS } from "./registers.js";

/**
 * The registers of `cpu` in three lines, as `Cpu.describeRegisters` returns them.
 * @example
 * ```ts
 * describeCpuRegisters(new Cpu());
 * // CPU 0 CPL=0 RFLAGS=0x2 []
 * // CR0=0x80010033 [PG WP NE ET MP PE]  CR2=0x0  CR3=0x0 (PCID 0)
 * // CR4=0xa0 [PGE PAE]  EFER=0xd01 [NXE LMA LME SCE]
 * ```
 */
export function describeCpuRegisters(cpu: Cpu): string {
  const f = (v: number, bits: Readonly<Record<string, number>>) =>
    `${hex(v)} [${flagNames(v, bits).join(" ")}]`;
  const flags = flagNames(cpu.rflags, RFLAGS).filter((n) => n !== "FIXED");
  return [
    `CPU ${cpu.id} CPL=${cpu.cpl} RFLAGS=${hex(cpu.rflags)} [${flags.join(" ")}]`,
    `CR0=${f(cpu.cr0, CR0)}  CR2=${hex(cpu.cr2)}  CR3=${hex(cpu.cr3)} (PCID ${cpu.context.pcid})`,
    `CR4=${f(cpu.cr4, CR4)}  EFER=${f(cpu.efer, EFER)}`,
  ].join("\n");
}

/**
 * Check the invariants in the table above; `fresh` is the context rebuilt from the registers now.
 * @throws {@link InvariantError} naming the first broken one.
 */
export function checkCpuInvariants(cpu: Cpu, fresh: TranslationContext): void {
  const cached = cpu.context;
  for (const key of Object.keys(fresh) as (keyof TranslationContext)[]) {
    if (fresh[key] !== cached[key]) {
      throw new InvariantError(
        `Cpu ${cpu.id}: cached context.${key}=${String(cached[key])}, registers say ${String(fresh[key])}`,
      );
    }
  }
  const need: [string, boolean][] = [
    ["CR0.PG", (cpu.cr0 & CR0.PG) !== 0],
    ["CR0.PE", (cpu.cr0 & CR0.PE) !== 0],
    ["CR4.PAE", (cpu.cr4 & CR4.PAE) !== 0],
    ["EFER.LME", (cpu.efer & EFER.LME) !== 0],
    ["EFER.LMA", (cpu.efer & EFER.LMA) !== 0],
  ];
  for (const [name, ok] of need)
    if (!ok) throw new InvariantError(`Cpu ${cpu.id}: ${name} is clear outside IA-32e mode`);
  if ((cpu.cr4 & CR4.PCIDE) === 0 && cached.pcid !== 0) {
    throw new InvariantError(`Cpu ${cpu.id}: PCID ${cached.pcid} with CR4.PCIDE=0`);
  }
  cpu.tlb.checkInvariants();
  cpu.apic.checkInvariants();
  cpu.pat.checkInvariants();
  cpu.mtrrs.checkInvariants();
  cpu.timer?.checkInvariants();
}
