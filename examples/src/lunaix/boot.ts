/**
 * Booting the Lunaix-like kernel, and running it: the part of a real kernel's `start_kernel`
 * that is about this design, plus the host's side of the serial line.
 *
 * ```
 *   firmware      e820 map (machine.ts) ─────────────────────────▶ printed as BIOS-e820 lines
 *   console       16550 UART on COM1 up first, so printk works from the first line
 *   kernel        new Kernel(...) (kernel.ts): frames (buddy over the map), kernel page tables,
 *                 guarded kernel-stack cache, object space, VM system, per-CPU APIC timers,
 *                 run queues ─────────────────────────────────────▶ Memory:, buddyinfo, smp:, sched: lines
 *   file system   ramfs on /: /bin (one executable inode per program), /dev/ttyS0, /dev/null, /tmp
 *   kthreads      kstatd: samples free memory and runnable threads (trace counters, low-water mark)
 *   init          /bin/init as pid 1 ─▶ opens the console, spawns /bin/sh
 * ```
 *
 * The run loop hands the CPU back to the host whenever the shell waits at its prompt with
 * nothing else runnable; the host then types the next line (a script's, or a person's) and calls
 * {@link LunaixSystem.runUntilIdle} again. Everything is deterministic: the same options and the
 * same input lines give the same bytes on the console and the same trace.
 *
 * Nothing here uses Node: output goes to a callback, so the kernel runs in a browser as well.
 *
 * Related: `kernel.ts` (the design), `machine.ts`, `serial.ts`, `observer.ts`,
 * `../boot.ts` (the command line).
 */

import type { Kernel, UserCode } from "@osbricks/kernel";
import { BuddyAllocator, SlabCache } from "@osbricks/vm";
import { formatSize } from "../cli/size.js";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { INODE_BYTES, Vfs } from "./fs/vfs.js";
import { type InspectTarget, inspect } from "./inspect.js";
import { BIN, DEFAULT_POLICY, lunaixKernel, POLICIES, TICK } from "./kernel.js";
import { LineSink } from "./line-sink.js";
import { type Machine, type MachineOptions, makeMachine } from "./machine.js";
import { KernelObserver, type RunCounters, TRACE_PID } from "./observer.js";
import { lunaixStubs } from "./personality.js";
import { SerialConsole, VEOF, VINTR, VSUSP } from "./serial.js";

/** How often kstatd samples, in cycles. */
export const KSTATD_PERIOD = 200 * TICK;
/** A command that runs longer than this (simulated cycles) is reported and stopped (a watchdog). */
export const WATCHDOG_CYCLES = 20_000_000_000;

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** Options of {@link LunaixSystem.boot}. */
export interface LunaixOptions extends MachineOptions {
  /** Receives console output, a line (or a prompt) at a time. Required. */
  readonly output: (text: string) => void;
  /** The console's initial ECHO mode: echo typed lines (a script's transcript). Default true; `stty -echo` changes it. */
  readonly echo?: boolean;
  /** The console's initial TOSTOP mode: background jobs that write to it are stopped (SIGTTOU). Default false; `stty tostop` changes it. */
  readonly tostop?: boolean;
  /** Where Chrome trace events go. Default none. */
  readonly trace?: ChromeTraceWriter;
  /** Check every invariant after every trap, and the file system's whenever the run loop returns (slow). Default false. */
  readonly paranoid?: boolean;
}

/** Why {@link LunaixSystem.runUntilIdle} returned. */
export type IdleReason =
  /** The shell waits for a line. */
  | "input"
  /** init has exited: the machine is halted. */
  | "halted"
  /** User threads are blocked for good with nobody reading the console (a deadlock). */
  | "hung";

/** The final figures of a run. */
export interface RunSummary extends RunCounters {
  /** Forks (a subset of `processes`; `Kernel.forkStats`). */
  readonly forks: number;
  /**
   * Values fork replayed to rebuild its children, in all: a generator cannot be copied, so a
   * child's continuation is rebuilt from its parent's history (the kernel README's "fork by
   * replay"; a checkpoint bounds it).
   */
  readonly forkReplayed: number;
  readonly cowCopies: number;
  readonly cycles: number;
  readonly lowestFreeFrames: number;
  readonly leaks: readonly string[];
}

/** The scheduling policies `--policy` accepts. */
export const POLICY_NAMES: readonly string[] = Object.keys(POLICIES);

/** A booted machine running the Lunaix-like kernel. */
export class LunaixSystem {
  readonly kernel: Kernel;
  readonly fs = new Vfs();
  readonly console: SerialConsole;
  readonly observer: KernelObserver;
  readonly machine: Machine;
  private buddy: BuddyAllocator | null = null;
  /** The file system's inode records (a slab cache over the kernel's frames), once mounted. */
  private inodeCache: SlabCache | null = null;
  private halted = false;
  /** Kernel threads by tid, for `ps` and the trace. */
  private readonly kthreads = new Map<number, string>();
  private lowestFree = Number.POSITIVE_INFINITY;
  private readonly trace: ChromeTraceWriter | null;

  private constructor(options: LunaixOptions) {
    this.machine = makeMachine({ ...options, policy: options.policy ?? DEFAULT_POLICY }, POLICY_NAMES);
    this.trace = options.trace ?? null;
    this.console = new SerialConsole({
      sink: new LineSink(options.output),
      echo: options.echo ?? true,
      tostop: options.tostop ?? false,
    });
    this.observer = new KernelObserver(
      (line) => this.printk(line),
      this.trace,
      (tid) => this.threadName(tid),
    );
    this.kernel = lunaixKernel({
      machine: this.machine,
      fs: this.fs,
      inspect: (cmd) => inspect(this.inspectTarget(), cmd),
      tracer: this.observer,
      paranoid: options.paranoid ?? false,
    });
    this.console.connect(this.kernel); // ^C and ^Z signal the foreground process group
    const f = this.kernel.frames;
    this.buddy = f instanceof BuddyAllocator ? f : null; // buddyinfo needs its free lists
  }

  /**
   * Power on, boot, and run until the shell's first prompt.
   * @throws MachineConfigError for options the machine cannot have.
   */
  static boot(options: LunaixOptions): LunaixSystem {
    const sys = new LunaixSystem(options);
    sys.startKernel();
    sys.runUntilIdle();
    return sys;
  }

  private inspectTarget(): InspectTarget {
    return {
      kernel: this.kernel,
      buddy: this.buddy,
      fs: this.fs,
      slabs: this.inodeCache ? [this.inodeCache] : [],
      reserved: this.kernel.reservedFrames,
      kthreads: this.kthreads,
    };
  }

  /** A kernel log line, stamped with simulated time (seconds at the nominal 1 GHz), as dmesg shows it. */
  printk(line: string): void {
    const ns = this.kernel === undefined ? 0 : this.kernel.now;
    const s = Math.floor(ns / 1e9);
    const us = Math.floor((ns % 1e9) / 1000);
    this.console.printk(`[${String(s).padStart(5)}.${String(us).padStart(6, "0")}] ${line}`);
  }

  private threadName(tid: number): string {
    const t = this.kernel.threads.get(tid);
    if (t === undefined) return `tid ${tid}`;
    return t.process.pid === 0
      ? `kstatd (tid ${tid})`
      : `${t.process.image} (pid ${t.process.pid}, tid ${tid})`;
  }

  private startKernel(): void {
    const k = this.kernel;
    const m = this.machine;
    this.printk(
      `Lunaix-like kernel (osbricks) on ${m.cpus} CPU(s), ${formatSize(m.mem)} RAM, seed ${m.seed}`,
    );
    this.printk("BIOS-provided physical RAM map:");
    for (const r of m.memoryMap) {
      const end = r.base + r.length - 1;
      this.printk(
        `BIOS-e820: [mem 0x${r.base.toString(16).padStart(16, "0")}-0x${end.toString(16).padStart(16, "0")}] ${r.type}`,
      );
    }
    // As Linux's mem_init line: available/total, and where the difference went, so the three
    // figures add up (available + kernel + reserved = total).
    const reserved = k.reservedFrames;
    const free = k.frames.freeFrames();
    const kernel = m.frames - reserved - free;
    this.printk(
      `Memory: ${free * 4}K/${m.frames * 4}K available (${kernel * 4}K kernel page tables and data, ${reserved * 4}K reserved: firmware ranges, holes, frame 0)`,
    );
    if (this.buddy) this.printk(`buddy: ${this.buddy.buddyinfo().trim()}`);
    this.printk(
      `paging: kernel page tables at CR3=0x${k.kernelMapper.root.toString(16)} (4-level); guarded kernel stacks from the upper half`,
    );
    this.printk(`vm: copy-on-write by ${k.vm.strategy.name} objects; hinted mmap placement`);
    this.printk(
      `smp: ${m.cpus} CPU(s) up; local APIC timer in TSC-deadline mode, tick ${TICK} cycles (tickless when idle)`,
    );
    this.printk(
      `sched: ${k.sched.policyOf(k.cpus[0]!.cpuId).name} policy, one run queue per CPU, idle stealing`,
    );
    // Slab caches: the file system's inode records, carved from buddy frames.
    this.inodeCache = new SlabCache({ name: "inode_cache", objectSize: INODE_BYTES, frames: k.frames });
    const st = this.inodeCache.stats();
    this.printk(
      `slab: inode_cache, ${st.objectSize}-byte objects, ${st.objectsPerSlab} per order-${st.slabOrder} slab (kernel stacks: vm's guarded stack cache)`,
    );
    // The root file system in RAM: /bin from the program registry, devices, scratch space.
    this.fs.mount({ memory: k.memory, frames: k.frames, inodes: this.inodeCache });
    this.fs.mkdir("/bin");
    this.fs.mkdir("/dev");
    this.fs.mkdir("/tmp");
    for (const path of Object.keys(BIN)) this.fs.installProgram(path, path);
    this.fs.mknod("/dev/ttyS0", this.console);
    this.fs.mknod("/dev/null", {
      name: "null",
      waiters: [],
      read: () => new Uint8Array(0),
      write: (b) => b.length,
    });
    this.printk(
      `vfs: ramfs on /, ${Object.keys(BIN).length} programs in /bin; /dev/ttyS0 is COM1 (16550A, 16-byte FIFO)`,
    );
    if (k.paranoid) this.printk("paranoid: every invariant is checked after every trap");
    this.observer.nameLanes(m.cpus);
    // init first, so it is pid 1 (ids are shared by processes and threads, as Linux's are).
    const init = k.boot("/bin/init", ["init"]);
    const kstatd = k.spawnKernelThread(this.kstatd());
    this.kthreads.set(kstatd.tid, "kstatd");
    this.printk(`kthread: kstatd started (tid ${kstatd.tid}), samples memory every ${KSTATD_PERIOD} cycles`);
    this.printk(`Run /bin/init as init process (pid ${init.pid})`);
  }

  /** kstatd: a kernel thread (a continuation of pid 0) that samples memory and load until init exits. */
  private kstatd(): () => UserCode<void> {
    const self = this;
    return function* kstatd(): UserCode<void> {
      const k = self.kernel;
      for (;;) {
        const free = k.frames.freeFrames();
        self.lowestFree = Math.min(self.lowestFree, free);
        let runnable = 0;
        for (const c of k.cpus) runnable += k.sched.load(c.cpuId);
        self.trace?.counter("free frames", TRACE_PID, k.now, { free });
        self.trace?.counter("runnable threads", TRACE_PID, k.now, { runnable });
        const init = k.processes.get(1);
        if (init === undefined || init.phase !== "live") return; // init gone: the machine halts
        yield* lunaixStubs.nanosleep(KSTATD_PERIOD);
      }
    };
  }

  /**
   * Run until the shell waits for input, the machine halts, or it hangs. The kernel says when user
   * space is idle (`run({ stopWhenIdle: true })`: every user thread blocked, no user timer, only
   * kstatd's left); then a reader waiting on the console means "feed it a line" (a writer waiting
   * for output stopped by ^S: "type ^Q"), and neither means nothing can ever wake user space: a hang.
   */
  runUntilIdle(): IdleReason {
    if (this.halted) return "halted";
    const k = this.kernel;
    // The watchdog counts from the CPU with the lowest clock, as the run loop's limit does.
    let earliest = Number.POSITIVE_INFINITY;
    for (const c of k.cpus) earliest = Math.min(earliest, c.time);
    const watchdog = earliest + WATCHDOG_CYCLES;
    for (;;) {
      const r = k.run({ stopWhenIdle: true, maxCycles: watchdog });
      if (k.paranoid) {
        this.fs.checkInvariants();
        this.inodeCache?.checkInvariants();
      }
      if (r.outcome === "all-exited") {
        this.halt();
        return "halted";
      }
      const init = k.processes.get(1);
      if (init === undefined || init.phase !== "live") {
        // init exits last (after the shell), and then the run ends by itself ("all-exited") once
        // kstatd notices. Any other outcome means user processes outlived init: a fault in init
        // killed it (`kill -9 1` cannot: the kernel drops default-action signals to init, as
        // Linux does). Linux panics then (kernel/exit.c, find_child_reaper); so do we, and shut
        // the machine down rather than run an orphaned user space nobody can reap.
        this.printk(
          `Kernel panic - not syncing: Attempted to kill init! exitcode=0x${hex8(this.initStatus())}`,
        );
        this.console.printk(inspect(this.inspectTarget(), "ps"));
        k.shutdown();
        k.run();
        this.halt();
        return "halted";
      }
      // A reader waits for input, or a writer for output stopped by ^S to restart (^Q): either
      // way the host's next keys can wake user space.
      if (r.outcome === "idle" && (this.console.readerWaiting || this.console.writerWaiting)) {
        this.console.flush();
        return "input";
      }
      this.printk(
        r.outcome === "limit"
          ? `watchdog: no prompt after ${WATCHDOG_CYCLES} cycles; shutting down`
          : "hung: every user thread is blocked or stopped and nothing can wake them; shutting down",
      );
      this.console.printk(inspect(this.inspectTarget(), "ps"));
      k.shutdown();
      k.run();
      this.halt();
      return "hung";
    }
  }

  /** init's wait status once it has exited (the kernel reaps it: its parent is pid 0). */
  private initStatus(): number {
    const init = this.kernel.processes.get(1);
    if (init !== undefined && init.phase !== "live") return init.exitStatus;
    return this.kernel.life.reapedByKernel.find((r) => r.pid === 1)?.status ?? 0;
  }

  /**
   * The host types a line and presses Enter, which sends CR (^M) as a terminal's does; the
   * console's ICRNL, on by default, makes it the line's NL.
   */
  type(line: string): void {
    this.console.hostInput(`${line}\r`);
  }

  /**
   * The host types ^D (after `pending`, the part of a line typed so far, if any): the read in
   * progress ends without a newline, and with nothing typed it returns end of file once — `cat`
   * ends, the shell goes on; ^D at the shell's own prompt ends the shell, as it logs a user out.
   */
  endOfFile(pending = ""): void {
    this.console.hostInput(`${pending}${String.fromCharCode(VEOF)}`);
  }

  /**
   * The host types ^C: the line discipline sends SIGINT to the terminal's foreground process group
   * (the job the shell waits for, or the shell at its prompt, which starts a new line).
   */
  interrupt(): void {
    this.console.hostInput(String.fromCharCode(VINTR));
  }

  /** The host types ^Z: SIGTSTP to the foreground process group; the shell reports the job stopped. */
  suspend(): void {
    this.console.hostInput(String.fromCharCode(VSUSP));
  }

  /** The host hangs up the line: the shell reads end of file and exits. */
  hangup(): void {
    this.console.hangup();
  }

  /**
   * One line of a script, as {@link LunaixSystem.runScript} and the web page's demo button type
   * it: a line that is exactly `^C`, `^Z` or `^D` is that key, any other line is typed and Enter
   * pressed. Does not run the machine.
   */
  typeScriptLine(line: string): void {
    if (line === "^C") this.interrupt();
    else if (line === "^Z") this.suspend();
    else if (line === "^D") this.endOfFile();
    else this.type(line);
  }

  /**
   * Type each line at the prompt, then hang up and run to the halt. A line that is exactly `^C`,
   * `^Z` or `^D` is that key instead (a script can interrupt, stop, or end the input of a job).
   */
  runScript(lines: readonly string[]): IdleReason {
    let why: IdleReason = this.runUntilIdle();
    for (const line of lines) {
      if (why !== "input") break;
      this.typeScriptLine(line);
      why = this.runUntilIdle();
    }
    if (why === "input") {
      this.hangup();
      why = this.runUntilIdle();
    }
    return why;
  }

  private halt(): void {
    if (this.halted) return;
    this.halted = true;
    // Unmount the root file system and drop its slab cache: every frame should now be free.
    this.fs.unmount();
    this.inodeCache?.destroy();
    this.observer.finish(this.cycles);
    this.console.flush();
  }

  /** Simulated cycles so far (the furthest CPU clock). */
  get cycles(): number {
    let c = this.kernel.now;
    for (const cpu of this.kernel.cpus) c = Math.max(c, cpu.time);
    return c;
  }

  /** The run's figures (meaningful once halted: leaks are only checked then). */
  summary(): RunSummary {
    const k = this.kernel;
    return {
      ...this.observer.counters,
      forks: k.forkStats.forks,
      forkReplayed: k.forkStats.replayed,
      cowCopies: k.vm.strategy.stats().copies,
      cycles: this.cycles,
      lowestFreeFrames: Number.isFinite(this.lowestFree) ? this.lowestFree : k.frames.freeFrames(),
      leaks: this.halted ? k.resourceLeaks() : [],
    };
  }

  /** Print the final summary on the console. */
  printSummary(): void {
    const s = this.summary();
    const lines = [
      "---- summary ----",
      `processes run:       ${s.processes} (${s.execs} exec)`,
      `forks:               ${s.forks} (replaying ${s.forkReplayed} recorded values to rebuild the children)`,
      `page faults handled: ${s.faultsHandled} (${s.segfaults} became SIGSEGV)`,
      `COW copies:          ${s.cowCopies}`,
      `context switches:    ${s.switches}`,
      `system calls:        ${s.syscalls}`,
      `crashes contained:   ${s.crashes}`,
      `simulated time:      ${s.cycles} cycles (${(s.cycles / 1e6).toFixed(3)} ms at 1 GHz) on ${this.machine.cpus} CPU(s)`,
      `lowest free memory:  ${s.lowestFreeFrames} frames (${s.lowestFreeFrames * 4} KiB)`,
      `leaks after halt:    ${s.leaks.length === 0 ? "none (every frame, object and slot returned)" : s.leaks.join("; ")}`,
    ];
    for (const l of lines) this.console.printk(l);
    this.console.flush();
  }
}
