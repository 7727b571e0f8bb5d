/**
 * The model-specific registers a {@link Cpu} reaches through RDMSR/WRMSR, other than IA32_EFER:
 * the page-attribute table, the MTRRs, the time-stamp counter and the TSC-deadline timer.
 *
 * | MSR | index | read | write |
 * | --- | --- | --- | --- |
 * | IA32_TSC | 0x10 | the shared clock's cycle count | refused |
 * | IA32_MTRR* | 0xfe, 0x200–0x2ff | `Mtrrs.rdmsr` | `Mtrrs.wrmsr` |
 * | IA32_PAT | 0x277 | `Pat.read` | `Pat.write` |
 * | IA32_TSC_DEADLINE | 0x6e0 | the armed deadline | arm the timer (SDM 10.5.4.1) |
 *
 * IA32_EFER stays with the CPU itself: a write changes the translation context. An MSR nobody here
 * owns is refused with {@link InvalidArgumentError}, as RDMSR/WRMSR raise #GP(0) on hardware
 * (SDM Vol. 2B, RDMSR/WRMSR). Privilege is checked by the caller before dispatching here.
 *
 * Related: `cpu.ts` (`Cpu.rdmsr`, `Cpu.wrmsr`), `registers.ts` (MSR indices),
 * `../memtypes/pat.ts`, `../memtypes/mtrr.ts`, `../interrupts/timer.ts`.
 */
import { InvalidArgumentError } from "../errors.js";
import type { Clock } from "../interrupts/clock.js";
import type { Timer } from "../interrupts/timer.js";
import { hex } from "../memory/address.js";
import type { Mtrrs } from "../memtypes/mtrr.js";
import { IA32_PAT, type Pat } from "../memtypes/pat.js";
import { IA32_TSC, IA32_TSC_DEADLINE } from "./registers.js";

/** The devices behind a CPU's platform MSRs; `clock` and `timer` are `null` on a clockless CPU. */
export interface PlatformMsrs {
  readonly pat: Pat;
  readonly mtrrs: Mtrrs;
  readonly clock: Clock | null;
  readonly timer: Timer | null;
}

/**
 * WRMSR to a platform MSR (every one but IA32_EFER).
 * @throws {@link ReservedBitsError} / {@link ControlRegisterError} as the owning device refuses the
 *   value; {@link InvalidArgumentError} for a deadline beyond the clock's range or an MSR that is
 *   not writable here (#GP). Nothing changes on error.
 */
export function writePlatformMsr(devices: PlatformMsrs, msr: number, value: bigint): void {
  if (msr === IA32_PAT) {
    devices.pat.write(value);
  } else if (devices.mtrrs.handles(msr)) {
    devices.mtrrs.wrmsr(msr, value);
  } else if (msr === IA32_TSC_DEADLINE && devices.timer !== null) {
    if (devices.timer.mode !== "tsc-deadline") return; // SDM 10.5.4.1: ignored outside TSC-deadline mode
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidArgumentError(
        `wrmsr(IA32_TSC_DEADLINE, ${hex(value)}): beyond the simulated clock's range`,
      );
    }
    devices.timer.writeDeadline(Number(value));
  } else {
    throw new InvalidArgumentError(`wrmsr(${hex(msr)}): this CPU has no such writable MSR (#GP on hardware)`);
  }
}

/**
 * RDMSR of a platform MSR (every one but IA32_EFER).
 * @throws {@link InvalidArgumentError} for an MSR this CPU does not have (#GP).
 */
export function readPlatformMsr(devices: PlatformMsrs, msr: number): bigint {
  if (msr === IA32_PAT) return devices.pat.read();
  if (devices.mtrrs.handles(msr)) return devices.mtrrs.rdmsr(msr);
  if (msr === IA32_TSC && devices.clock !== null) return BigInt(devices.clock.now);
  if (msr === IA32_TSC_DEADLINE && devices.timer !== null) return BigInt(devices.timer.deadline);
  throw new InvalidArgumentError(`rdmsr(${hex(msr)}): this CPU has no such MSR (#GP on hardware)`);
}
