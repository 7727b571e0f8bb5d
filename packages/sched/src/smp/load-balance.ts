/**
 * Where threads go on a machine of several CPUs: placement of new and waking threads, idle
 * stealing and periodic pull balancing. Pure decisions over a read-only view of the run queues;
 * the {@link Scheduler} performs the moves and counts them.
 *
 * ```
 *   load(c) = ready threads of c + (c runs a thread ? 1 : 0)
 *
 *   placement:  home CPU if the mask allows it, else the least loaded allowed CPU (lowest id on ties)
 *   steal:      an idle CPU (load 0) takes one thread from the busiest CPU that has ready threads
 *   balance:    CPU c takes threads from the busiest CPU while load(busiest) − load(c) ≥ 2
 *   victim:     the ready thread the busiest CPU would run last, among those whose mask allows c
 *   all pinned: a busiest CPU with no thread c may run is passed over for the next busiest
 * ```
 *
 * jsix looks for work to steal every 10 ticks; Linux's `load_balance` pulls from the busiest
 * group at intervals and when a CPU goes idle (`newidle_balance`); Twizzler's ULE-like balancer
 * does the same with per-CPU queue lengths. Ours counts threads, not PELT load or cache distance,
 * so a migration costs nothing here but one count in the statistics.
 */
import type { CpuId, SchedPolicy, ThreadId } from "../api.js";
import { type CpuMask, maskHas } from "./affinity.js";

/** What the balancer reads: the per-CPU run queues and each thread's affinity. */
export interface RunQueuesView {
  /** Number of CPUs. */
  readonly cpus: number;
  /** Ready threads plus the running one on `cpu`. */
  load(cpu: number): number;
  /** The policy of `cpu` (read-only use: `readyCount`, `readyThreads`). */
  queue(cpu: number): SchedPolicy;
  /** The affinity mask of a thread. */
  affinityOf(tid: ThreadId): CpuMask;
}

/** One migration the balancer wants: move `tid` from `from` to `to`. */
export interface Migration {
  /** The thread to move (it is ready on `from`). */
  readonly tid: ThreadId;
  /** Source CPU. */
  readonly from: CpuId;
  /** Destination CPU. */
  readonly to: CpuId;
}

/**
 * Where a thread with `mask` should be queued: `prefer` (its home) if allowed, else the least
 * loaded allowed CPU, the lowest number on ties. The mask must allow at least one CPU.
 */
export function placeThread(view: RunQueuesView, mask: CpuMask, prefer: number | null): CpuId {
  if (prefer !== null && maskHas(mask, prefer)) return prefer as CpuId;
  let best = -1;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (let c = 0; c < view.cpus; c++) {
    if (!maskHas(mask, c)) continue;
    const l = view.load(c);
    if (l < bestLoad) {
      best = c;
      bestLoad = l;
    }
  }
  return best as CpuId;
}

/**
 * The next thread CPU `c` should pull, or null: the busiest other CPU with ready threads is the
 * source (the lowest number on ties); for `"steal"` only when `c` has nothing at all, for
 * `"balance"` only while the source has at least two more threads than `c`. The victim is the
 * last thread in the source's ready order that may run on `c`. A source none of whose ready
 * threads may run on `c` is passed over for the next busiest, as Linux's `load_balance` drops an
 * all-pinned busiest CPU (LBF_ALL_PINNED) and looks again; otherwise one CPU full of pinned
 * threads would keep `c` idle beside another CPU with movable work.
 */
export function nextPull(view: RunQueuesView, c: number, why: "balance" | "steal"): Migration | null {
  const mine = view.load(c);
  if (why === "steal" && mine > 0) return null;
  let passedOver = 0; // bit o: CPU o's ready threads are all pinned away from c
  for (;;) {
    let busiest = -1;
    let bl = -1;
    for (let o = 0; o < view.cpus; o++) {
      if (o === c || (passedOver & (1 << o)) !== 0) continue;
      const l = view.load(o);
      if (l > bl && view.queue(o).readyCount > 0) {
        busiest = o;
        bl = l;
      }
    }
    if (busiest < 0 || (why === "balance" && bl - mine < 2)) return null;
    const candidates = view.queue(busiest).readyThreads();
    for (let i = candidates.length - 1; i >= 0; i--) {
      const t = candidates[i]!;
      if (maskHas(view.affinityOf(t), c)) return { tid: t, from: busiest as CpuId, to: c as CpuId };
    }
    passedOver |= 1 << busiest;
  }
}
