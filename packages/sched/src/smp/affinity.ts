/**
 * Affinity masks: which CPUs may run a thread, one bit per CPU in a 32-bit word (bit c = CPU c),
 * as Linux's `cpumask` for machines of up to 32 CPUs.
 *
 * ```
 *   mask 0b0101 = CPUs 0 and 2;  allCpus(4) = 0b1111 = 15;  maskOf(1, 3) = 0b1010 = 10
 * ```
 */
import { type CpuId, MAX_CPUS } from "../api.js";
import { EmptyAffinityError } from "../errors.js";

/** A set of CPUs as a bit mask. */
export type CpuMask = number;

/** The mask of CPUs 0..n−1: (1 << n) − 1, computed without overflowing at n = 32. */
export function allCpus(n: number): CpuMask {
  return n >= MAX_CPUS ? 0xffffffff : ((1 << n) - 1) >>> 0;
}

/** The mask naming exactly the given CPUs. */
export function maskOf(...cpus: number[]): CpuMask {
  let m = 0;
  for (const c of cpus) m |= 1 << c;
  return m >>> 0;
}

/** Whether `mask` allows `cpu`. */
export function maskHas(mask: CpuMask, cpu: CpuId | number): boolean {
  return ((mask >>> cpu) & 1) === 1;
}

/**
 * `mask` restricted to a machine of `cpus` CPUs, or 0 when it is not an integer or no CPU of the
 * machine remains: {@link checkMask} without the message, for hot paths that build the message only
 * when they throw (`usableMask(m, n) || checkMask(\`spawn(tid=${tid})\`, m, n)`).
 *
 * Worked: mask 0b1010, 2 CPUs → allCpus(2) = 0b11 → 0b1010 & 0b11 = 0b10 (CPU 1 only); mask 0b100,
 * 2 CPUs → 0 (CPU 2 does not exist).
 */
export function usableMask(mask: CpuMask, cpus: number): CpuMask {
  return Number.isInteger(mask) ? (mask & allCpus(cpus)) >>> 0 : 0;
}

/**
 * Restrict `mask` to a machine of `cpus` CPUs.
 * @throws EmptyAffinityError naming `what` when no CPU of the machine remains.
 */
export function checkMask(what: string, mask: CpuMask, cpus: number): CpuMask {
  const m = usableMask(mask, cpus);
  if (m === 0) {
    throw new EmptyAffinityError(
      `${what}: affinity mask 0x${(mask >>> 0).toString(16)} allows no CPU of 0..${cpus - 1}`,
    );
  }
  return m;
}
