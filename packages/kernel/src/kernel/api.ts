/**
 * The kernel's options, cost model, trace events and run results.
 *
 * A kernel is assembled from choices (CPUs, memory, scheduling policy, system-call personality,
 * page-fault handling) and everything else comes from this package. An example kernel therefore
 * reads as a table of contents:
 *
 * ```ts
 * const k = new Kernel({
 *   programs,                                   // what exec can load
 *   cpus: 2,
 *   policy: () => new CfsPolicy(),              // @osbricks/sched
 *   personality: posixPersonality,              // the system-call table and its handlers
 *   paranoid: true,                             // checkInvariants() after every trap
 * });
 * k.boot("init");
 * k.run();
 * ```
 *
 * Related: `kernel.ts`.
 */
import type { BootMemoryRegion, PhysicalMemory } from "@osbricks/hw-x86";
import type { SchedPolicy } from "@osbricks/sched";
import type { FrameAllocator } from "@osbricks/vm";
import type { Thread } from "../process/thread.js";
import type { ProgramRegistry } from "../program/registry.js";
import type { SyscallDispatcher } from "../syscalls/dispatch.js";
import type { SyscallDecls } from "../syscalls/table.js";
import type { Kernel } from "./kernel.js";

/** The structural tracer every osbricks package accepts. */
export interface Tracer<E extends { readonly type: string }> {
  emit(event: E): void;
}

/** Trace events of the kernel core. `cycle` is the simulated time of the CPU that caused it. */
export type KernelEvent =
  | {
      readonly type: "kernel.syscall";
      readonly cycle: number;
      readonly cpu: number;
      readonly pid: number;
      readonly tid: number;
      readonly nr: number;
      readonly name: string;
      readonly args: readonly number[];
      /** The result register; SYSCALL_BLOCKED (-65536) when the call parked the thread, SYSCALL_NORETURN (-65537) when it did not return (exit, exec). */
      readonly result: number;
    }
  | {
      readonly type: "kernel.fault";
      readonly cycle: number;
      readonly cpu: number;
      readonly pid: number;
      readonly tid: number;
      readonly va: number;
      readonly access: string;
      readonly outcome: string;
    }
  | {
      readonly type: "kernel.switch";
      readonly cycle: number;
      readonly cpu: number;
      readonly from: number | null;
      readonly to: number | null;
    }
  | {
      readonly type: "kernel.signal";
      readonly cycle: number;
      readonly pid: number;
      readonly tid: number;
      readonly sig: number;
      readonly action: string;
    }
  | {
      readonly type: "kernel.process";
      readonly cycle: number;
      readonly event: "spawn" | "fork" | "exec" | "exit" | "reap" | "reparent";
      readonly pid: number;
      readonly ppid: number;
      readonly detail: string;
      /**
       * For a fork: how many recorded values were replayed to rebuild the child (the forking
       * thread's histories, from each frame's entry or last checkpoint; 0 for `clone(fn, arg)`).
       */
      readonly replayed?: number;
    }
  | {
      readonly type: "kernel.thread";
      readonly cycle: number;
      readonly event: "create" | "exit";
      readonly pid: number;
      readonly tid: number;
    }
  | {
      readonly type: "kernel.crash";
      readonly cycle: number;
      readonly pid: number;
      readonly tid: number;
      readonly message: string;
    };

/** Simulated cycles charged per event (a coarse cost model; compute(n) charges n). */
export interface CycleCosts {
  /** syscall entry and exit, plus dispatch. Default 100. */
  readonly syscall: number;
  /** One user memory access that hits (translation + cache). Default 2. */
  readonly memory: number;
  /** One 4 KiB of a byte-range copy, charged pro rata (a 12-byte copy costs ⌈12 · 256 / 4096⌉ = 1). Default 256. */
  readonly copyPage: number;
  /** A page fault's entry, handling and return. Default 800. */
  readonly fault: number;
  /** A context switch (save, pick, load CR3). Default 300. */
  readonly contextSwitch: number;
}

/** Default {@link CycleCosts}. */
export const DEFAULT_COSTS: CycleCosts = {
  syscall: 100,
  memory: 2,
  copyPage: 256,
  fault: 800,
  contextSwitch: 300,
};

/**
 * The machine's physical memory as the firmware describes it, handed to an allocator factory
 * (`KernelOptions.allocator`). After the factory returns, the kernel reserves in the fresh
 * allocator every frame the map does not call usable (and frame 0), as Linux's memblock keeps
 * firmware ranges away from the buddy allocator.
 */
export interface BootMemory {
  /** Frames the allocator covers, 0..frames-1: the end of the map's last usable range. */
  readonly frames: number;
  /** The simulated RAM behind those frames. */
  readonly memory: PhysicalMemory;
  /** The e820-style boot memory map (hw-x86's types). */
  readonly memoryMap: readonly BootMemoryRegion[];
}

/** A system-call personality: builds the dispatcher a kernel traps into. */
export type Personality = (kernel: Kernel) => SyscallDispatcher<Thread, SyscallDecls>;

/** Options of {@link Kernel}. */
export interface KernelOptions {
  /** The programs exec and spawn can load. Required. */
  readonly programs: ProgramRegistry;
  /** Simulated CPUs, 1..32. Default 1. */
  readonly cpus?: number;
  /** Physical memory in 4 KiB frames, all usable. Default 4096 (16 MiB); with a `memoryMap`, leave it out. */
  readonly memoryFrames?: number;
  /**
   * The firmware's e820-style boot memory map (build one with hw-x86's `buildBootMap`). The
   * allocator covers frames up to the end of the last usable range and never hands out a frame
   * that is not wholly inside a usable range. Default: `memoryFrames` of usable RAM from 0.
   */
  readonly memoryMap?: readonly BootMemoryRegion[];
  /** Makes one run-queue policy per CPU. Default: round robin with a 10 000-cycle quantum. */
  readonly policy?: (cpu: number) => SchedPolicy;
  /**
   * The physical frame allocator: `"buddy"` (Linux), `"bitmap"` (jsix), or a factory that gets
   * the boot memory and returns a fresh allocator of `boot.frames` frames (the kernel then
   * reserves what the map does not call usable). Default `"buddy"`.
   */
  readonly allocator?: "buddy" | "bitmap" | ((boot: BootMemory) => FrameAllocator);
  /** Copy-on-write strategy of private memory: `"shadow"` (Mach/Codezero chains) or `"refcount"` (xv6 page counts). Default `"shadow"`. */
  readonly cow?: "shadow" | "refcount";
  /** Timer period in cycles (the scheduler tick). Default 1000. */
  readonly tick?: number;
  /** The system-call personality. Default: POSIX (`posixPersonality`). */
  readonly personality?: Personality;
  /** Call every checkInvariants() after every trap. Default false. */
  readonly paranoid?: boolean;
  /** Receives kernel events. Default none. */
  readonly tracer?: Tracer<KernelEvent>;
  /** Seed of the kernel's random source (lottery policies, placement). Default 1. */
  readonly seed?: number;
  /** Cost model overrides. */
  readonly costs?: Partial<CycleCosts>;
  /** Most threads alive at once (the ipc layer's slot count). Default 512. */
  readonly maxThreads?: number;
  /** Most processes alive at once (zombies included). Default 256. */
  readonly maxProcesses?: number;
  /** Recorded resume values per frame for fork's replay; past it, fork returns ENOMEM. Default 2^20. */
  readonly forkHistoryLimit?: number;
}

/** Why {@link Kernel.run} returned. */
export type RunOutcome =
  /** Every user process has exited (and been reaped or is a zombie of pid 0). */
  | "all-exited"
  /** Threads remain but none can run and no timer is pending. */
  | "deadlock"
  /**
   * Asked for with `run({ stopWhenIdle: true })`: every user thread is blocked (or stopped) and
   * none has a timer of its own pending; only kernel threads' timers (if any) remain. Nothing in
   * user space changes until the host acts (types input into a device, sends a signal), so this
   * is when a host feeds input — or, when no device waits for any, calls it a hang.
   */
  | "idle"
  /** The cycle or step limit was reached. */
  | "limit";

/** What {@link Kernel.run} reports. */
export interface RunResult {
  readonly outcome: RunOutcome;
  /** Simulated cycles elapsed (the clock). */
  readonly cycles: number;
  /** Traps executed during this call. */
  readonly steps: number;
}

/** A crash report: a program threw a JavaScript exception (or yielded garbage) and was killed. */
export interface CrashReport {
  readonly pid: number;
  readonly tid: number;
  readonly image: string;
  readonly message: string;
  readonly cycle: number;
}
