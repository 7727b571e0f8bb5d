/**
 * The simulated PC the Lunaix-like kernel boots on: RAM size, CPU count, and the boot memory map
 * its firmware reports (e820 style, built with hw-x86's `buildBootMap`).
 *
 * ```
 *   0x0000_0000 ┌────────────────────┐ usable         low memory (640 KiB minus the EBDA)
 *   0x0009_fc00 ├────────────────────┤ reserved       EBDA, VGA window, option and BIOS ROMs
 *   0x0010_0000 ├────────────────────┤ usable         the rest of RAM …
 *   top − 64K   ├────────────────────┤ acpi-reclaim.  ACPI tables the firmware left at the top
 *   top         └────────────────────┘
 *   0xfd00_0000 ┌────────────────────┐ mmio           linear framebuffer (no RAM behind it)
 * ```
 *
 * Worked numbers for 256 MiB: usable [0, 0x9fc00) is frames 0..0x9e (0x9fc00 / 4096 = 0x9f.c,
 * rounded down); usable [0x100000, 0xfff0000) is frames 0x100..0xffef; the allocator covers
 * 0xfff0 = 65520 frames, of which 97 (the 640K–1M hole) are reserved.
 *
 * Related: `kernel.ts` (hands the map to the kernel, which keeps the non-usable frames out of the
 * buddy), `boot.ts` (prints the map).
 */
import { type BootMemoryRegion, buildBootMap } from "@osbricks/hw-x86";
import { frameCountFor } from "@osbricks/vm";

/** Smallest RAM the kernel boots with (the low hole, the ACPI tables and room to run). */
export const MIN_MEMORY = 4 * 2 ** 20;
/** Largest RAM: the kernel core tracks at most 2^20 frames. */
export const MAX_MEMORY = 4 * 2 ** 30;
/** Where the framebuffer window sits. */
export const FRAMEBUFFER_BASE = 0xfd00_0000;
/** Bytes of the ACPI tables at the top of RAM. */
export const ACPI_BYTES = 64 * 1024;

/** Thrown for a machine that cannot be built; the message is meant for the user as is. */
export class MachineConfigError extends Error {
  readonly code = "machine-config";
}

/** Options of {@link makeMachine}. */
export interface MachineOptions {
  /** RAM in bytes, a multiple of 4 KiB in [4 MiB, 4 GiB]. Default 256 MiB. */
  readonly mem?: number;
  /** CPUs, 1..32. Default 2. */
  readonly cpus?: number;
  /** Scheduling policy name (a key of `POLICIES`). Default "rr". */
  readonly policy?: string;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
}

/** A checked machine description. */
export interface Machine {
  readonly mem: number;
  readonly cpus: number;
  readonly policy: string;
  readonly seed: number;
  /** The firmware's boot memory map. */
  readonly memoryMap: readonly BootMemoryRegion[];
  /** Frames the allocator covers (the end of the last usable range). */
  readonly frames: number;
}

/**
 * Check the options and build the firmware's memory map.
 *
 * @throws MachineConfigError naming the option and the rule.
 * @example
 * ```ts
 * makeMachine({ mem: 256 * 2 ** 20 }).frames; // 65520
 * ```
 */
export function makeMachine(o: MachineOptions, policies: readonly string[]): Machine {
  const mem = o.mem ?? 256 * 2 ** 20;
  const cpus = o.cpus ?? 2;
  const policy = o.policy ?? "rr";
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(mem) || mem % 4096 !== 0 || mem < MIN_MEMORY || mem > MAX_MEMORY) {
    throw new MachineConfigError(`--mem ${mem} bytes: this kernel needs 4 MiB..4 GiB in whole 4 KiB frames`);
  }
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 32) {
    throw new MachineConfigError(`--cpus ${cpus}: this kernel runs on 1..32 CPUs`);
  }
  if (!policies.includes(policy)) {
    throw new MachineConfigError(
      `--policy ${JSON.stringify(policy)}: expected one of ${policies.join(", ")}`,
    );
  }
  const memoryMap = buildBootMap(
    mem,
    [
      { base: 0x9fc00, length: 0x100000 - 0x9fc00, type: "reserved" },
      { base: mem - ACPI_BYTES, length: ACPI_BYTES, type: "acpi-reclaimable" },
    ],
    [{ base: FRAMEBUFFER_BASE, length: 0x40_0000, type: "mmio" }],
  );
  return { mem, cpus, policy, seed, memoryMap, frames: frameCountFor(memoryMap) };
}
