/**
 * Booting the jsix-like kernel, and running its demo: the part of a kernel's start-up that is
 * about this design.
 *
 * ```
 *   firmware   e820 map (../lunaix/machine.ts, the same simulated PC) ──▶ memory: line
 *   kernel     new Kernel(...) (kernel.ts): buddy frames, per-CPU APIC timers, run queues, the
 *              jsix personality (29 calls, 4 object types of its own) ─▶ cpus:, kernel:, types: lines
 *   srv.init   process 1, started with the system handle (every capability) and its own; the
 *              initrd is the program list ──────────────────────────────▶ srv.init: line
 *   user space srv.init builds srv.logger (which prints the kernel log: every line after the boot
 *              lines comes through it), the locator, the demos ─────────▶ [pid] lines
 *   summary    objects created / destroyed by type, handles live, round trips, signals, futex
 *              waits and wakes, VMA maps and unmaps, pages faulted, refusals, leaks
 * ```
 *
 * There is no shell: `--script` is refused by the command line (`../boot.ts`). Everything is
 * deterministic: the same options give the same bytes and the same trace.
 *
 * Related: `kernel.ts`, `observer.ts`, `../boot.ts` (the command line), docs/tour-jsix.md.
 */
import type { Kernel } from "@osbricks/kernel";
import {
  bootAndRun,
  furthestCycle,
  type MachineArgs,
  machineLines,
  runToEnd,
  summaryHead,
  summaryTail,
} from "../boot-run.js";
import { POLICY_NAMES } from "../lunaix/boot.js";
import { type Machine, type MachineOptions, makeMachine } from "../lunaix/machine.js";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { jsixSyscalls } from "./abi.js";
import { JSIX_DEFAULT_POLICY, jsixKernel } from "./kernel.js";
import { JsixObserver } from "./observer.js";
import type { JsixCounters, JsixState } from "./personality.js";
import { INITRD } from "./programs/protocol.js";

/** Options of {@link JsixSystem.boot}. */
export interface JsixOptions extends MachineOptions {
  /** Receives console output, one line at a time (with its newline). Required. */
  readonly output: (text: string) => void;
  /** Where Chrome trace events go. Default none. */
  readonly trace?: ChromeTraceWriter;
  /** Check every invariant (the kernel's and the jsix state's) after every trap (slow). Default false. */
  readonly paranoid?: boolean;
}

/** The final figures of a run. */
export interface JsixSummary extends JsixCounters {
  readonly outcome: string;
  /** Objects alive at the end, by type name. */
  readonly live: Readonly<Record<string, number>>;
  /** Handles open in live processes' tables at the end. */
  readonly handlesLive: number;
  readonly pagesFaulted: number;
  readonly syscalls: number;
  readonly switches: number;
  readonly kills: number;
  readonly cycles: number;
  readonly leaks: readonly string[];
}

/** A booted machine running the jsix-like kernel. */
export class JsixSystem {
  readonly kernel: Kernel;
  readonly machine: Machine;
  readonly observer: JsixObserver;
  /** The kernel's jsix state (its objects and counters). */
  readonly state: JsixState;
  private readonly out: (text: string) => void;
  private outcome = "not run";

  private constructor(o: JsixOptions) {
    this.machine = makeMachine({ ...o, policy: o.policy ?? JSIX_DEFAULT_POLICY }, POLICY_NAMES);
    this.out = o.output;
    const trace = o.trace ?? null;
    this.observer = new JsixObserver(
      (l) => this.log(l),
      trace,
      (tid) => this.kernel.threads.get(tid)?.process.image ?? "?",
    );
    let state: JsixState | null = null;
    this.kernel = jsixKernel({
      machine: this.machine,
      tracer: this.observer,
      paranoid: o.paranoid ?? false,
      serial: (line) => this.log(line),
      onState: (s) => {
        state = s;
      },
    });
    this.state = state!;
    if (o.paranoid === true) {
      const k = this.kernel;
      const check = k.checkInvariants.bind(k);
      k.checkInvariants = () => {
        check();
        this.state.checkInvariants();
      };
    }
    this.observer.nameLanes(this.machine.cpus);
  }

  /** One console line. */
  log(line: string): void {
    this.out(`${line}\n`);
  }

  /**
   * Power on: print what the kernel set up, start srv.init with the system handle.
   * @throws MachineConfigError (from `../lunaix/machine.ts`) for a machine that cannot be built.
   */
  static boot(o: JsixOptions): JsixSystem {
    const s = new JsixSystem(o);
    const k = s.kernel;
    const m = s.machine;
    const st = s.state;
    machineLines((l) => s.log(l), "jsix-like kernel", k, m, jsixSyscalls);
    // jsix's caps: the type's own, then those that are generic rights of the same meaning.
    const generic: Record<string, string> = { vma: "map=map ", event: "signal=signal " };
    for (const type of [st.systemType, st.vmaType, st.mailboxType, st.eventType]) {
      const own = type.rightNames.map((n) => `${n} `).join("");
      const signals = type.signalNames.length === 0 ? "" : `; signals ${type.signalNames.join(" ")}`;
      s.log(
        `types: ${type.name} (type ${st.typeCode(type)}): caps ${own}${generic[type.name] ?? ""}clone=duplicate transfer wait${signals}`,
      );
    }
    s.log(
      `types: process (type ${st.typeCode(k.processType)}): caps kill=manage create_thread=execute clone=duplicate transfer wait; signals terminated`,
    );
    s.log(
      `types: thread (type ${st.typeCode(k.threadType)}): caps kill=manage clone=duplicate transfer wait; signals terminated`,
    );
    const init = k.boot("srv.init", ["srv.init", "0"]);
    st.adopt(init);
    st.created("process");
    st.created("thread");
    const sys = init.handleTable.create(st.system, st.systemType.defaultRights);
    if (sys.kind !== "ok") throw new Error("jsix boot: no room for srv.init's system handle");
    const handles = init.handleTable
      .list()
      .map((h) => `${h.handle} ${h.type} koid 0x${st.koidOf(h.object).toString(16)}`)
      .join(", ");
    s.log(`srv.init: process ${init.pid}; handles: ${handles}; initrd: ${INITRD.join(" ")}`);
    return s;
  }

  /** Run until every process has exited (or nothing can run); returns the kernel's outcome. */
  run(): string {
    this.outcome = runToEnd(this.kernel, this.observer);
    return this.outcome;
  }

  /** Simulated cycles so far (the furthest CPU clock). */
  get cycles(): number {
    return furthestCycle(this.kernel);
  }

  /** The run's figures. */
  summary(): JsixSummary {
    const o = this.observer.counters;
    const live: Record<string, number> = {};
    for (const obj of this.kernel.objects.liveObjects())
      if (obj.alive) live[obj.type.name] = (live[obj.type.name] ?? 0) + 1;
    let handlesLive = 0;
    for (const p of this.kernel.processes.values()) if (p.phase === "live") handlesLive += p.handleTable.size;
    return {
      ...this.state.counters,
      outcome: this.outcome,
      live,
      handlesLive,
      pagesFaulted: o.faultsResolved,
      syscalls: o.syscalls,
      switches: o.switches,
      kills: o.kills,
      cycles: this.cycles,
      leaks: this.outcome === "all-exited" ? this.kernel.resourceLeaks() : [],
    };
  }

  /** Print the final summary. */
  printSummary(): void {
    const s = this.summary();
    const byType = (r: Readonly<Record<string, number>>) =>
      ["process", "thread", "vma", "mailbox", "event", "system"].map((t) => `${t} ${r[t] ?? 0}`).join(", ");
    for (const l of [
      ...summaryHead(s.outcome),
      `objects created:       ${byType(s.created)}`,
      `objects alive at end:  ${byType(s.live)}`,
      `handles live:          ${s.handlesLive} (in live processes' tables)`,
      `mailbox round trips:   ${s.roundTrips}`,
      `signals raised:        ${s.signalsRaised}`,
      `futex:                 ${s.futexWaits} waits, ${s.futexWakes} wakes`,
      `VMA:                   ${s.vmaMaps} maps, ${s.vmaUnmaps} unmaps`,
      `pages faulted:         ${s.pagesFaulted}`,
      `capability refusals:   ${s.denied} (j6_err_denied)`,
      `kernel log:            ${s.logLines} lines`,
      ...summaryTail(s, this.machine.cpus),
    ])
      this.log(l);
  }
}

/**
 * Boot, run the demo, print the summary: what `pnpm run boot jsix` does.
 * @example
 * ```ts
 * const lines: string[] = [];
 * bootJsix({ seed: 1, cpus: 2, mem: 256 * 2 ** 20 }, (t) => lines.push(t));
 * ```
 */
export function bootJsix(
  args: MachineArgs,
  write: (text: string) => void,
  trace?: ChromeTraceWriter,
  paranoid = false,
): JsixSystem {
  return bootAndRun((o) => JsixSystem.boot(o), args, write, trace, { paranoid });
}
