/**
 * The entry of the browser check (`pnpm run check:browser`, `scripts/browser-check.mjs`): bundled
 * for the browser with every `@osbricks/*` package and law suite in it, loaded into headless
 * Chromium, and asked for two things:
 *
 * - the console of the demo that `pnpm start` runs (the script comes in as text), which the check
 *   compares line by line with Node's: the whole stack, hardware model to shell, in a page;
 * - a run of the law suites a student would run in a browser lab against our implementations
 *   (fixed seeds, fewer runs than the test suite: this is about the environment, not coverage).
 *
 * Nothing here or below it may touch Node: the bundle is built for the browser platform, where an
 * import of a Node module does not resolve.
 */
import { decodeEntry, encodeEntry, Pic8259 } from "@osbricks/hw-x86";
import { entryCodecLaws, interruptControllerLaws } from "@osbricks/hw-x86/laws";
import { Futex, Notification } from "@osbricks/ipc";
import { futexLaws, notificationLaws } from "@osbricks/ipc/laws";
import * as kernel from "@osbricks/kernel";
import * as kernelLaws from "@osbricks/kernel/laws";
import { SlotHandleTable } from "@osbricks/objects";
import { handleTableLaws } from "@osbricks/objects/laws";
import * as runtime from "@osbricks/runtime";
import * as runtimeLaws from "@osbricks/runtime/laws";
import { CfsPolicy, RoundRobinPolicy } from "@osbricks/sched";
import { policyLaws } from "@osbricks/sched/laws";
import { BitmapAllocator, BuddyAllocator, RefcountCow, ShadowCow } from "@osbricks/vm";
import { cowStrategyLaws, frameAllocatorLaws } from "@osbricks/vm/laws";
import { parseBootArgs } from "./cli/args.js";
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
 * Run a selection of the packages' law suites against our implementations, with fast-check seed
 * `seed`; throws on the first violation, naming the suite and the law.
 */
export function lawSuites(seed = 1): SuiteRun[] {
  const runs = { numRuns: 20, seed };
  const suites: [string, readonly AnyLaw[]][] = [
    ["hw-x86 entry codec", entryCodecLaws({ encode: encodeEntry, decode: decodeEntry }, runs)],
    [
      "hw-x86 interrupt controller (8259A)",
      interruptControllerLaws(() => new Pic8259({ levelLines: [3, 5] }), { ...runs, modelRuns: 20 }),
    ],
    [
      "vm frame allocator (buddy)",
      frameAllocatorLaws(() => new BuddyAllocator({ frames: 256, maxOrder: 6 }), runs),
    ],
    [
      "vm frame allocator (bitmap)",
      frameAllocatorLaws(() => new BitmapAllocator({ frames: 256, maxOrder: 7 }), runs),
    ],
    ["vm copy-on-write (shadow chains)", cowStrategyLaws(() => new ShadowCow(), { ...runs, maxSteps: 30 })],
    [
      "vm copy-on-write (page refcounts)",
      cowStrategyLaws(() => new RefcountCow(), { ...runs, maxSteps: 30 }),
    ],
    [
      "objects handle table",
      handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity }), runs),
    ],
    ["sched round robin", policyLaws(() => new RoundRobinPolicy({ quantum: 4 }), runs)],
    ["sched CFS", policyLaws(() => new CfsPolicy(), { ...runs, shares: "nice" })],
    ["ipc notification", notificationLaws((threads) => new Notification(threads), runs)],
    ["ipc futex", futexLaws((threads, memory) => new Futex(threads, memory), runs)],
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
 * Every package's entry points, so that the bundle takes in (and the browser platform resolves)
 * every module of every package, the ones the demo and the suites above do not reach included.
 */
export const packages = { kernel, kernelLaws, runtime, runtimeLaws };
