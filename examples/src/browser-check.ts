/**
 * The entry of the browser check (`pnpm run check:browser`, `scripts/browser-check.mjs`): bundled
 * for the browser with every `@osbricks/*` package and law suite in it, loaded into headless
 * Chromium, and asked for two things:
 *
 * - the console of the demo that `pnpm start` runs (the script comes in as text), which the check
 *   compares line by line with Node's: the whole stack, hardware model to shell, in a page;
 * - the console of the second kernel (`pnpm run boot codezero`), compared the same way, and of
 *   the third (`pnpm run boot jsix`, {@link jsixConsole});
 * - a run of every package's law suites against our implementations, as a student's browser lab
 *   would run them (fixed seeds, fewer runs than the test suite: this is about the environment,
 *   not coverage).
 *
 * Nothing here or below it may touch Node: the bundle is built for the browser platform, where an
 * import of a Node module does not resolve. It imports every package's main and `/laws` entry
 * point, so every module of every package is in the bundle.
 */
import {
  decodeEntry,
  encodeEntry,
  Mapper,
  PhysicalMemory,
  Pic8259,
  StackFrameSource,
} from "@osbricks/hw-x86";
import { entryCodecLaws, interruptControllerLaws, mapperLaws } from "@osbricks/hw-x86/laws";
import { channelRead, channelWrite, createChannel, Endpoint, Futex, Notification } from "@osbricks/ipc";
import { channelLaws, endpointLaws, futexLaws, futexRequeueLaws, notificationLaws } from "@osbricks/ipc/laws";
import { Console, Kernel, posixSyscalls } from "@osbricks/kernel";
import { countingDispatch, fileOperationsLaws, grindLaws, syscallDispatchLaws } from "@osbricks/kernel/laws";
import { SimulatedWaitHost, SlotHandleTable } from "@osbricks/objects";
import { handleTableLaws, waitLaws } from "@osbricks/objects/laws";
import { futexLock, nptlCondVar, nptlSemaphore } from "@osbricks/runtime";
import { condVarLaws, lockLaws, semaphoreLaws } from "@osbricks/runtime/laws";
import { CfsPolicy, RoundRobinPolicy } from "@osbricks/sched";
import { policyLaws } from "@osbricks/sched/laws";
import {
  BitmapAllocator,
  BuddyAllocator,
  FirstFitRanges,
  PageTree,
  RefcountCow,
  ShadowCow,
  SlabCache,
  VirtualBuddy,
} from "@osbricks/vm";
import {
  cowStrategyLaws,
  frameAllocatorLaws,
  objectCacheLaws,
  pageTreeLaws,
  virtualRangeLaws,
} from "@osbricks/vm/laws";
import { parseBootArgs } from "./cli/args.js";
import { bootCodezero } from "./codezero/boot.js";
import { bootJsix } from "./jsix/boot.js";
import { POLICY_NAMES } from "./lunaix/boot.js";
import { bootScripted, KERNELS, scriptLines } from "./scripted.js";

/**
 * Boot the default kernel with the boot command line `argv` (as `pnpm run boot` parses it), type
 * `script` into its shell and return everything it printed.
 */
export function demoConsole(script: string, argv: readonly string[] = []): string {
  const args = parseBootArgs(argv, { kernels: KERNELS, policies: POLICY_NAMES });
  let out = "";
  bootScripted(args, scriptLines(script), (text) => {
    out += text;
  });
  return out;
}

/**
 * Boot the second kernel, the Codezero-like microkernel, with the boot command line `argv` (as
 * `pnpm run boot codezero` parses it; it has no shell, so nothing is typed) and return everything
 * its console printed: the boot log, the servers' and clients' lines, the summary.
 */
export function codezeroConsole(argv: readonly string[] = ["codezero"]): string {
  return shellessConsole(argv, bootCodezero);
}

/**
 * Boot the third kernel, the jsix-like one, with the boot command line `argv` (as `pnpm run boot
 * jsix` parses it; no shell either) and return everything its console printed.
 */
export function jsixConsole(argv: readonly string[] = ["jsix"]): string {
  return shellessConsole(argv, bootJsix);
}

/** Parse `argv`, boot a kernel without a shell through `boot`, and return all it printed. */
function shellessConsole(
  argv: readonly string[],
  boot: (args: ReturnType<typeof parseBootArgs>, write: (text: string) => void) => unknown,
): string {
  const args = parseBootArgs(argv, { kernels: KERNELS, policies: POLICY_NAMES });
  let out = "";
  boot(args, (text) => {
    out += text;
  });
  return out;
}

/** One law suite run against one of our implementations. */
export interface SuiteRun {
  readonly suite: string;
  readonly laws: number;
}

/** A law of any package (each package has its own `Law` type, of the same shape). */
interface AnyLaw {
  readonly name: string;
  check(): void;
}

/**
 * Run every package's law suites (every suite, some with two of our implementations) against
 * our implementations, with fast-check seed `seed`; throws on the first violation, naming the
 * suite and the law.
 */
export function lawSuites(seed = 1): SuiteRun[] {
  const runs = { numRuns: 20, seed };
  const suites: [string, readonly AnyLaw[]][] = [
    ["hw-x86 entry codec", entryCodecLaws({ encode: encodeEntry, decode: decodeEntry }, runs)],
    ["hw-x86 mapper", mapperLaws(freshMapper, { ...runs, modelRuns: 20 })],
    [
      "hw-x86 interrupt controller (8259A)",
      interruptControllerLaws(() => new Pic8259({ levelLines: [3, 5] }), { ...runs, modelRuns: 20 }),
    ],
    [
      "objects handle table",
      handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity }), runs),
    ],
    [
      "objects waiting",
      waitLaws(() => {
        const host = new SimulatedWaitHost();
        return { host, advanceTo: (t) => host.advanceTo(t) };
      }, runs),
    ],
    [
      "vm frame allocator (buddy)",
      frameAllocatorLaws(() => new BuddyAllocator({ frames: 256, maxOrder: 6 }), runs),
    ],
    [
      "vm frame allocator (bitmap)",
      frameAllocatorLaws(() => new BitmapAllocator({ frames: 256, maxOrder: 7 }), runs),
    ],
    [
      "vm object cache (slab)",
      objectCacheLaws(() => {
        const frames = new BuddyAllocator({ frames: 64, maxOrder: 5 });
        return { frames, cache: new SlabCache({ name: "law", objectSize: 96, frames }) };
      }, runs),
    ],
    ["vm page tree", pageTreeLaws(() => new PageTree({ keyBits: 18 }), runs)],
    [
      "vm virtual ranges (buddy)",
      virtualRangeLaws(() => new VirtualBuddy({ base: 0x40_0000, pages: 64, maxOrder: 5 }), runs),
    ],
    [
      "vm virtual ranges (first fit)",
      virtualRangeLaws(() => new FirstFitRanges({ base: 0x40_0000, size: 64 * 4096 }), runs),
    ],
    ["vm copy-on-write (shadow chains)", cowStrategyLaws(() => new ShadowCow(), { ...runs, maxSteps: 30 })],
    [
      "vm copy-on-write (page refcounts)",
      cowStrategyLaws(() => new RefcountCow(), { ...runs, maxSteps: 30 }),
    ],
    ["sched round robin", policyLaws(() => new RoundRobinPolicy({ quantum: 4 }), runs)],
    ["sched CFS", policyLaws(() => new CfsPolicy(), { ...runs, shares: "nice" })],
    ["ipc endpoint", endpointLaws((threads, order) => new Endpoint(threads, { order }), runs)],
    ["ipc channel", channelLaws({ create: createChannel, write: channelWrite, read: channelRead }, runs)],
    ["ipc notification", notificationLaws((threads) => new Notification(threads), runs)],
    ["ipc futex", futexLaws((threads, memory) => new Futex(threads, memory), runs)],
    ["ipc futex requeue", futexRequeueLaws((threads, memory) => new Futex(threads, memory), runs)],
    ["kernel file operations (console)", fileOperationsLaws(() => new Console(), runs)],
    [
      "kernel system-call dispatch",
      syscallDispatchLaws(posixSyscalls, () => countingDispatch(posixSyscalls), runs),
    ],
    [
      "kernel grind",
      grindLaws(
        (programs, seed, paranoid) =>
          new Kernel({
            programs,
            paranoid,
            cpus: 1 + (seed % 3),
            seed,
            memoryFrames: 2048,
            maxProcesses: 64,
          }),
        { runs: 6 },
      ),
    ],
    ["runtime lock (futex)", lockLaws(() => futexLock, runs)],
    ["runtime condition variable (NPTL)", condVarLaws(() => nptlCondVar, runs)],
    ["runtime semaphore (NPTL)", semaphoreLaws(() => nptlSemaphore, runs)],
  ];
  return suites.map(([suite, laws]) => {
    for (const law of laws) {
      try {
        law.check();
      } catch (e) {
        throw new Error(
          `${suite}: law "${law.name}" violated: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    return { suite, laws: laws.length };
  });
}

/**
 * A mapper over 16 MiB of RAM and 1,023 table frames, as the hw-x86 tests make one, handed over
 * with its memory so that the law that walks the tables as the MMU does runs in the browser too.
 */
function freshMapper(): { mapper: Mapper; memory: PhysicalMemory } {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  return { mapper: new Mapper({ memory, frames: new StackFrameSource(1, 1024) }), memory };
}
