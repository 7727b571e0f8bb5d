/**
 * The jsix-like kernel: its design, as a table of contents. Every line picks one part from an
 * osbricks package; swapping a part is changing one line.
 *
 * ```
 *   part                   choice                                        swap it for
 *   ─────────────────────  ────────────────────────────────────────────  ──────────────────────────────
 *   physical frames        Linux-style buddy over the e820 map           new BitmapAllocator(...)
 *   kernel objects         @osbricks/objects: koids, handles with        (the kernel core's per-process
 *                          capabilities, signals, observers              SlotHandleTable)
 *   object types           system, vma, mailbox, event (objects.ts)      more types in personality.ts
 *                          + the core's process and thread
 *   system calls           29 j6_* calls as data (abi.ts), each checked  a personality of your own
 *                          for handle type and [cap:x] before it runs
 *   shared memory          VMAs: one VM object (64-ary page tree),       @osbricks/vm's MapOptions
 *                          mapped into many spaces (calls/vma.ts)        (private + copy-on-write)
 *   IPC                    mailboxes: call / respond with reply tags     @osbricks/ipc Endpoint
 *                          (calls/mailbox.ts)                            (L4 rendezvous, codezero/)
 *   user synchronisation   futexes keyed by physical address             @osbricks/ipc Futex options
 *                          (@osbricks/ipc Futex)
 *   waiting                object_wait[_many] on signals                 —
 *                          (@osbricks/objects wait)
 *   scheduling             round robin, 10-tick quantum                  --policy cfs | mlfq | stride | …
 *   first process          srv.init: builds every other process,         programs/init.ts
 *                          runs the service locator
 * ```
 *
 * Related: `boot.ts` (the boot sequence), `personality.ts`, `abi.ts`, docs/tour-jsix.md.
 */
import { Kernel, type KernelEvent, ProgramRegistry, type Tracer } from "@osbricks/kernel";
import { BuddyAllocator } from "@osbricks/vm";
import { POLICIES, TICK } from "../lunaix/kernel.js";
import type { Machine } from "../lunaix/machine.js";
import { type JsixState, jsixPersonality } from "./personality.js";
import {
  capDemoMain,
  echoClientMain,
  echoMain,
  sleeperMain,
  vmaDemoMain,
  waitDemoMain,
} from "./programs/apps.js";
import { channelDemoProgram } from "./programs/channel-demo.js";
import { initMain } from "./programs/init.js";
import { loggerMain } from "./programs/logger.js";
import { entryOf, INITRD, type InitrdName } from "./programs/protocol.js";

/** jsix's scheduler is a round robin of priority queues; ours, by default, a plain round robin. */
export const JSIX_DEFAULT_POLICY = "rr";

/** The boot image's programs, by name: one for each name of `INITRD` (the type says so). */
export const JSIX_PROGRAMS: Readonly<Record<InitrdName, typeof initMain>> = {
  "srv.init": initMain,
  "srv.logger": loggerMain,
  "srv.echo": echoMain,
  "echo-client": echoClientMain,
  "vma-demo": vmaDemoMain,
  "wait-demo": waitDemoMain,
  sleeper: sleeperMain,
  "cap-demo": capDemoMain,
  "channel-demo": channelDemoProgram(entryOf("channel-demo")),
};

/** The program registry of the boot image: {@link JSIX_PROGRAMS} in `INITRD`'s order, so entry = index. */
export function jsixPrograms(): ProgramRegistry {
  const reg = new ProgramRegistry();
  for (const name of INITRD) reg.register({ name, main: JSIX_PROGRAMS[name] });
  return reg;
}

/** What the kernel is built from. */
export interface JsixParts {
  readonly machine: Machine;
  readonly tracer: Tracer<KernelEvent>;
  /** Check every invariant after every trap. */
  readonly paranoid: boolean;
  /** The serial console: one line per call. */
  readonly serial: (line: string) => void;
  /** Receives the kernel's jsix state once the kernel exists. */
  readonly onState: (state: JsixState) => void;
}

/**
 * Assemble the kernel: the table of contents in code.
 * @throws KernelArgumentError (from `@osbricks/kernel`) for a machine it cannot run on.
 */
export function jsixKernel(parts: JsixParts): Kernel {
  const { machine } = parts;
  return new Kernel({
    programs: jsixPrograms(), //                                    the initrd
    cpus: machine.cpus,
    memoryMap: machine.memoryMap, //                                the firmware's e820 map
    allocator: ({ frames }) => new BuddyAllocator({ frames }), //  Linux's buddy; or a BitmapAllocator
    cow: "shadow", //                                               no fork in jsix; the VM's default
    policy: (cpu) => POLICIES[machine.policy]!(cpu, machine.seed), // round robin; or --policy
    personality: jsixPersonality({ programs: INITRD, serial: parts.serial }, parts.onState), // the j6 calls
    tick: TICK,
    seed: machine.seed,
    tracer: parts.tracer,
    paranoid: parts.paranoid,
  });
}
