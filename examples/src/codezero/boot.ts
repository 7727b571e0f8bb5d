/**
 * Booting the Codezero-like microkernel, and running its demo: the part of a kernel's start-up
 * that is about this design.
 *
 * ```
 *   firmware   e820 map (../lunaix/machine.ts, the same simulated PC) ──▶ memory: line
 *   kernel     new Kernel(...) (kernel.ts): buddy frames, per-CPU APIC timers, run queues, the
 *              L4 personality (8 calls) ─────────────────────────────────▶ cpus:, kernel: lines
 *   σ0         the machine's pool: 64 pages of shared memory mapped in the root task's space, and
 *              its UTCB page (what L4's σ0 and the kernel give the first task)
 *   root       task 1: creates mm0, kv and the demo tasks (programs/root.ts) ─▶ their kdebug lines
 *   summary    IPC messages, faults forwarded, pages mapped by pagers, capability refusals,
 *              context switches, system calls, leaks after the run
 * ```
 *
 * There is no shell: the console carries the kernel's lines and the tasks' `l4_kdebug` lines.
 * `--script` is therefore refused by the command line (`../boot.ts`) with a message saying so.
 * Everything is deterministic: the same options give the same bytes and the same trace.
 *
 * Related: `kernel.ts`, `observer.ts`, `../boot.ts` (the command line), docs/tour-codezero.md.
 */
import type { Kernel } from "@osbricks/kernel";
import { PROT_READ, PROT_WRITE } from "@osbricks/vm";
import {
  bootAndRun,
  furthestCycle,
  type MachineArgs,
  machineLines,
  runToEnd,
  summaryHead,
  summaryTail,
} from "../boot-run.js";
import { type Machine, type MachineOptions, makeMachine } from "../lunaix/machine.js";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { codezeroSyscalls, UTCB_AREA, UTCB_BASE } from "./abi.js";
import { CODEZERO_DEFAULT_POLICY, codezeroKernel } from "./kernel.js";
import { CodezeroObserver } from "./observer.js";
import type { CodezeroState, MicrokernelCounters } from "./personality.js";
import { POOL_BASE, ROOT_POOL_PAGES } from "./servers/protocol.js";

const PAGE = 4096;
/** Rounds of PUT and GET the demo client makes (each is one IPC round trip). */
export const CLIENT_ROUNDS = 8;

/** Options of {@link CodezeroSystem.boot}. */
export interface CodezeroOptions extends MachineOptions {
  /** Receives console output, one line at a time (with its newline). Required. */
  readonly output: (text: string) => void;
  /** Where Chrome trace events go. Default none. */
  readonly trace?: ChromeTraceWriter;
  /** Check every invariant after every trap (slow). Default false. */
  readonly paranoid?: boolean;
  /** Rounds of the demo client. Default {@link CLIENT_ROUNDS}. */
  readonly rounds?: number;
}

/** The final figures of a run. */
export interface CodezeroSummary extends MicrokernelCounters {
  readonly syscalls: number;
  readonly switches: number;
  readonly faultsToPager: number;
  readonly kills: number;
  readonly cycles: number;
  readonly outcome: string;
  readonly leaks: readonly string[];
  /**
   * What mm0 reported to the root task at the end (its STATS reply, printed by the root task):
   * copy-on-write lives in a user-level server, so only it can say what it copied. Null when
   * the line never came (the run was cut short).
   */
  readonly mm0: Mm0Report | null;
}

/** mm0's final figures, as the root task printed them. */
export interface Mm0Report {
  /** Write faults on pages mm0 had mapped read-only (copied, or no longer shared). */
  readonly cowFaults: number;
  /** Pool pages mm0 copied for those faults. */
  readonly pagesCopied: number;
  /** Forks mm0 served. */
  readonly forks: number;
  /** Tasks whose pages mm0 took back. */
  readonly reclaimed: number;
  /** Free pool pages at the end. */
  readonly poolFree: number;
  /** VM objects mm0 still held at the end. */
  readonly objects: number;
  /** The longest shadow chain mm0 ever had. */
  readonly longestChain: number;
}

const MM0_REPORT =
  /^root: mm0 reports (\d+) COW faults, (\d+) pages copied, (\d+) forks, (\d+) tasks reclaimed; pool (\d+)\/\d+ free, (\d+) VM objects left, longest chain (\d+)$/;

/** The scheduling policies `--policy` accepts (the Lunaix kernel's set: the same sched package). */
export { POLICY_NAMES as CODEZERO_POLICY_NAMES } from "../lunaix/boot.js";

import { POLICY_NAMES } from "../lunaix/boot.js";

/** A booted machine running the Codezero-like kernel. */
export class CodezeroSystem {
  readonly kernel: Kernel;
  readonly machine: Machine;
  readonly observer: CodezeroObserver;
  /** The microkernel's state (its counters). */
  readonly state: CodezeroState;
  private readonly out: (text: string) => void;
  private readonly trace: ChromeTraceWriter | null;
  private outcome = "not run";
  private mm0Report: Mm0Report | null = null;

  private constructor(o: CodezeroOptions) {
    this.machine = makeMachine({ ...o, policy: o.policy ?? CODEZERO_DEFAULT_POLICY }, POLICY_NAMES);
    this.out = o.output;
    this.trace = o.trace ?? null;
    this.observer = new CodezeroObserver(
      (l) => this.log(l),
      this.trace,
      (pid) => {
        const p = this.kernel.processes.get(pid);
        return p !== undefined && p.pager !== null && !p.pager.destroyed;
      },
      (tid) => this.kernel.threads.get(tid)?.process.pid ?? -1,
    );
    let state: CodezeroState | null = null;
    this.kernel = codezeroKernel({
      machine: this.machine,
      tracer: this.observer,
      paranoid: o.paranoid ?? false,
      kdebug: (task, text) => {
        const m = MM0_REPORT.exec(text);
        if (m !== null) {
          const [cowFaults, pagesCopied, forks, reclaimed, poolFree, objects, longestChain] = m
            .slice(1)
            .map(Number) as [number, number, number, number, number, number, number];
          this.mm0Report = { cowFaults, pagesCopied, forks, reclaimed, poolFree, objects, longestChain };
        }
        this.log(`[${task}] ${text}`);
      },
      onState: (s) => {
        state = s;
      },
    });
    this.state = state!;
    this.observer.nameLanes(this.machine.cpus);
  }

  /** One console line. */
  log(line: string): void {
    this.out(`${line}\n`);
  }

  /**
   * Power on: print what the kernel set up, give the root task σ0's pool, start it.
   * @throws MachineConfigError (from `../lunaix/machine.ts`) for a machine that cannot be built.
   */
  static boot(o: CodezeroOptions): CodezeroSystem {
    const s = new CodezeroSystem(o);
    const k = s.kernel;
    const m = s.machine;
    machineLines((l) => s.log(l), "Codezero-like microkernel", k, m, codezeroSyscalls);
    s.log(
      "kernel: faults outside a task's areas go to its pager as IPC (label 0xfa17); capabilities name every endpoint",
    );
    const root = k.boot("root", ["root", String(ROOT_POOL_PAGES), String(o.rounds ?? CLIENT_ROUNDS)]);
    const pool = root.vm.map({
      length: ROOT_POOL_PAGES * PAGE,
      prot: PROT_READ | PROT_WRITE,
      sharing: "shared",
      placement: { kind: "fixed", va: POOL_BASE, replace: false },
      name: "[sigma0 pool]",
    });
    const utcb = root.vm.map({
      length: UTCB_AREA,
      prot: PROT_READ | PROT_WRITE,
      placement: { kind: "fixed", va: UTCB_BASE, replace: false },
      name: "[utcb]",
    });
    if (pool.kind !== "mapped" || utcb.kind !== "mapped")
      throw new Error("codezero boot: cannot map the root task's pool");
    s.log(
      `sigma0: ${ROOT_POOL_PAGES} pages of shared memory at 0x${POOL_BASE.toString(16)} and a UTCB page given to the root task (task ${root.pid})`,
    );
    return s;
  }

  /** Run until every task has exited (or nothing can run); returns the kernel's outcome. */
  run(): string {
    this.outcome = runToEnd(this.kernel, this.observer);
    return this.outcome;
  }

  /** Simulated cycles so far (the furthest CPU clock). */
  get cycles(): number {
    return furthestCycle(this.kernel);
  }

  /** The run's figures. */
  summary(): CodezeroSummary {
    const o = this.observer.counters;
    return {
      ...this.state.counters,
      syscalls: o.syscalls,
      switches: o.switches,
      faultsToPager: o.faultsToPager,
      kills: o.kills,
      cycles: this.cycles,
      outcome: this.outcome,
      leaks: this.outcome === "all-exited" ? this.kernel.resourceLeaks() : [],
      mm0: this.mm0Report,
    };
  }

  /** Print the final summary. */
  printSummary(): void {
    const s = this.summary();
    for (const l of [
      ...summaryHead(s.outcome),
      `tasks created:         ${s.tasks} by the root task and mm0 (${s.kills} killed)`,
      `IPC messages:          ${s.ipcMessages} (requests received and replies delivered)`,
      `faults forwarded:      ${s.faultsForwarded} page-fault messages received by pagers`,
      `pages mapped:          ${s.pagesMapped} by pagers with l4_map (${s.pagesUnmapped} unmapped)`,
      `copy-on-write:         ${s.protectionFaults} protection faults forwarded; mm0: ${s.mm0 === null ? "no report" : `${s.mm0.cowFaults} COW faults, ${s.mm0.pagesCopied} pages copied, ${s.mm0.forks} forks, pool ${s.mm0.poolFree} free at the end`}`,
      `capability refusals:   ${s.capRefusals}`,
      ...summaryTail(s, this.machine.cpus),
    ])
      this.log(l);
  }
}

/**
 * Boot, run the demo, print the summary: what `pnpm run boot codezero` does.
 * @example
 * ```ts
 * const lines: string[] = [];
 * bootCodezero({ seed: 1, cpus: 2, mem: 256 * 2 ** 20 }, (t) => lines.push(t));
 * ```
 */
export function bootCodezero(
  args: MachineArgs,
  write: (text: string) => void,
  trace?: ChromeTraceWriter,
): CodezeroSystem {
  return bootAndRun((o) => CodezeroSystem.boot(o), args, write, trace, {});
}
