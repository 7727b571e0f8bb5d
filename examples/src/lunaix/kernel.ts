/**
 * The Lunaix-like kernel: its design, as a table of contents. Every line below picks one part
 * from an osbricks package; swapping a part is changing one line.
 *
 * ```
 *   part                   choice                                   swap it for
 *   ─────────────────────  ───────────────────────────────────────  ─────────────────────────────────
 *   physical frames        Linux-style buddy over the e820 map      new BitmapAllocator(...) (jsix)
 *   copy-on-write          Mach-style shadow chains                 "refcount" (xv6 page counts)
 *   scheduling             round robin, 10-tick quantum (Lunaix)    --policy cfs | mlfq | stride | …
 *   system calls           POSIX + pthreads + file system + lunadbg  a personality of your own
 *   processes vs threads   separate (POSIX, from @osbricks/kernel)
 *   program loading        exec and posix_spawn by path in /bin      (spawn: no copy, as Lunaix)
 *   user stacks            guard page below every stack (loader, pthreads)
 *   mmap placement         the hint if free, else first fit above it (Lunaix's hinted placement)
 *   console                16550 UART on COM1, /dev/ttyS0
 *   kernel threads         continuations of pid 0 (kstatd)
 * ```
 *
 * Related: `boot.ts` (the boot sequence that builds all this), `personality.ts`, `fs/`,
 * `programs/`, docs/tour-lunaix.md.
 */
import { Kernel, type KernelEvent, ProgramRegistry, type Tracer } from "@osbricks/kernel";
import {
  CfsPolicy,
  FifoPolicy,
  LotteryPolicy,
  MlfqPolicy,
  RoundRobinPolicy,
  type SchedPolicy,
  StridePolicy,
  Xorshift32,
} from "@osbricks/sched";
import { BuddyAllocator } from "@osbricks/vm";
import type { Vfs } from "./fs/vfs.js";
import type { Machine } from "./machine.js";
import { type Inspector, lunaixPersonality } from "./personality.js";
import {
  catMain,
  echoMain,
  killMain,
  lsMain,
  mkdirMain,
  rmdirMain,
  rmMain,
  upperMain,
  wcMain,
} from "./programs/coreutils.js";
import {
  crashMain,
  deadlockMain,
  forkcowMain,
  forkloopMain,
  fsdemoMain,
  memdemoMain,
  prodconsMain,
  STACK_PAGES,
  sigdemoMain,
} from "./programs/demos.js";
import { initMain, shMain } from "./programs/sh.js";

/** The scheduler tick, in cycles (1 µs at the nominal 1 GHz). */
export const TICK = 1000;

/** Scheduling policies by the name `--policy` takes; each makes one run queue per CPU. */
export const POLICIES: Readonly<Record<string, (cpu: number, seed: number) => SchedPolicy>> = {
  rr: () => new RoundRobinPolicy({ quantum: 10 * TICK }),
  cfs: () =>
    new CfsPolicy({ targetLatency: 24 * TICK, minGranularity: 3 * TICK, wakeupGranularity: 4 * TICK }),
  mlfq: () =>
    new MlfqPolicy({ levels: 3, quantum: [5 * TICK, 10 * TICK, 20 * TICK], boostPeriod: 1000 * TICK }),
  fifo: () => new FifoPolicy(),
  stride: () => new StridePolicy({ quantum: 10 * TICK }),
  // Each CPU draws from its own stream, derived from the boot seed (so --seed changes the draws).
  lottery: (cpu, seed) =>
    new LotteryPolicy({
      quantum: 10 * TICK,
      random: new Xorshift32((seed * 2654435761 + cpu + 1) >>> 0 || 1),
    }),
};

/** Lunaix schedules round robin. */
export const DEFAULT_POLICY = "rr";

/** The programs of `/bin`: path → entry point. exec and spawn load them by path. */
export const BIN = {
  "/bin/init": initMain,
  "/bin/sh": shMain,
  "/bin/echo": echoMain,
  "/bin/cat": catMain,
  "/bin/wc": wcMain,
  "/bin/upper": upperMain,
  "/bin/ls": lsMain,
  "/bin/mkdir": mkdirMain,
  "/bin/rm": rmMain,
  "/bin/rmdir": rmdirMain,
  "/bin/kill": killMain,
  "/bin/forkcow": forkcowMain,
  "/bin/forkloop": forkloopMain,
  "/bin/prodcons": prodconsMain,
  "/bin/memdemo": memdemoMain,
  "/bin/fsdemo": fsdemoMain,
  "/bin/sigdemo": sigdemoMain,
  "/bin/crash": crashMain,
  "/bin/deadlock": deadlockMain,
} as const;

/** The program registry holding {@link BIN} (the images behind `/bin`'s executable inodes). */
export function lunaixPrograms(): ProgramRegistry {
  const reg = new ProgramRegistry();
  for (const [name, main] of Object.entries(BIN)) reg.register({ name, main, stackPages: STACK_PAGES });
  return reg;
}

/** What the kernel is built from: the machine, its file system, its inspector, its tracer. */
export interface LunaixParts {
  readonly machine: Machine;
  readonly fs: Vfs;
  readonly inspect: Inspector;
  readonly tracer: Tracer<KernelEvent>;
  /** Check every invariant after every trap. */
  readonly paranoid: boolean;
}

/**
 * Assemble the kernel: the table of contents in code.
 *
 * @throws KernelArgumentError (from `@osbricks/kernel`) for a machine it cannot run on.
 */
export function lunaixKernel(parts: LunaixParts): Kernel {
  const { machine } = parts;
  return new Kernel({
    programs: lunaixPrograms(), //                              /bin
    cpus: machine.cpus,
    memoryMap: machine.memoryMap, //                             the firmware's e820 map: only usable RAM is handed out
    allocator: ({ frames }) => new BuddyAllocator({ frames }), // Linux's buddy; or new BitmapAllocator({ frames })
    cow: "shadow", //                                            Mach shadow chains; or "refcount"
    policy: (cpu) => POLICIES[machine.policy]!(cpu, machine.seed), // round robin; or --policy
    personality: lunaixPersonality(parts.fs, parts.inspect), //  POSIX + pthreads + VFS + lunadbg
    tick: TICK,
    seed: machine.seed,
    tracer: parts.tracer,
    paranoid: parts.paranoid,
  });
}
