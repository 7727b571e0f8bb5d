/**
 * The Codezero-like microkernel: its design, as a table of contents. Every line picks one part
 * from an osbricks package; swapping a part is changing one line.
 *
 * ```
 *   part                   choice                                        swap it for
 *   ─────────────────────  ────────────────────────────────────────────  ──────────────────────────────
 *   physical frames        Linux-style buddy over the e820 map           new BitmapAllocator(...)
 *   page faults            forwarded as IPC to the task's user-level     a pager of your own (servers/)
 *                          pager (mm0), protection faults included
 *                          (MR5 = the x86 error code); the kernel
 *                          resolves only faults inside areas it made
 *   copy-on-write          in mm0, not in the kernel: fork is an IPC     another bookkeeping in
 *                          request to mm0, which keeps Mach shadow       servers/cow.ts (eager copy,
 *                          chains of its pool pages (servers/cow.ts)     per-page reference counts)
 *   scheduling             round robin, 10-tick quantum (Codezero's      --policy cfs | mlfq | stride | …
 *                          scheduler is a round robin too)
 *   system calls           8 L4-style calls (abi.ts): ipc, thread        a personality of your own
 *                          control, map/unmap, capability control,
 *                          getid, time, kdebug
 *   IPC                    rendezvous endpoints, MRs in the UTCB,        @osbricks/ipc's Endpoint options
 *                          one-shot reply capabilities, timeouts
 *   authority              handle tables with rights + the derivation    (the kernel core's per-task
 *                          tree (grant, derive, revoke)                  SlotHandleTable)
 *   servers                mm0 (root pager: faults, fork, exit, wait),   programs in servers/
 *                          kv (key-value, as fs0)
 *   first task             root: creates the servers and the demos       programs/root.ts
 * ```
 *
 * Related: `boot.ts` (the boot sequence), `personality.ts`, `abi.ts`, docs/tour-codezero.md.
 */
import { Kernel, type KernelEvent, ProgramRegistry, type Tracer } from "@osbricks/kernel";
import { BuddyAllocator } from "@osbricks/vm";
import { POLICIES, TICK } from "../lunaix/kernel.js";
import type { Machine } from "../lunaix/machine.js";
import { type CodezeroState, codezeroPersonality } from "./personality.js";
import { capdemoMain, clientMain, pagedemoMain, wildMain } from "./programs/clients.js";
import { forkdemoMain, forkedProgram, forkkidMain } from "./programs/fork.js";
import { rootMain } from "./programs/root.js";
import { kvMain } from "./servers/kv.js";
import { mm0Main } from "./servers/mm0.js";

/** Codezero schedules round robin. */
export const CODEZERO_DEFAULT_POLICY = "rr";

/** The boot image's programs, by the name `l4_thread_control(CREATE)` takes. */
export const CODEZERO_PROGRAMS = {
  root: rootMain,
  mm0: mm0Main,
  kv: kvMain,
  client: clientMain,
  pagedemo: pagedemoMain,
  capdemo: capdemoMain,
  wild: wildMain,
  forkdemo: forkdemoMain,
  forkkid: forkedProgram(forkkidMain),
} as const;

/** The program registry holding {@link CODEZERO_PROGRAMS}. */
export function codezeroPrograms(): ProgramRegistry {
  const reg = new ProgramRegistry();
  for (const [name, main] of Object.entries(CODEZERO_PROGRAMS)) reg.register({ name, main });
  return reg;
}

/** What the kernel is built from. */
export interface CodezeroParts {
  readonly machine: Machine;
  readonly tracer: Tracer<KernelEvent>;
  /** Check every invariant after every trap. */
  readonly paranoid: boolean;
  /** Where `l4_kdebug` lines go. */
  readonly kdebug: (task: number, text: string) => void;
  /** Receives the microkernel's state once the kernel exists. */
  readonly onState: (state: CodezeroState) => void;
}

/**
 * Assemble the kernel: the table of contents in code.
 * @throws KernelArgumentError (from `@osbricks/kernel`) for a machine it cannot run on.
 */
export function codezeroKernel(parts: CodezeroParts): Kernel {
  const { machine } = parts;
  return new Kernel({
    programs: codezeroPrograms(), //                               the boot image
    cpus: machine.cpus,
    memoryMap: machine.memoryMap, //                                the firmware's e820 map
    allocator: ({ frames }) => new BuddyAllocator({ frames }), //  Linux's buddy; or a BitmapAllocator
    cow: "shadow", //                                               the VM's own; no kernel call forks (mm0 does)
    policy: (cpu) => POLICIES[machine.policy]!(cpu, machine.seed), // round robin; or --policy
    personality: codezeroPersonality({ kdebug: parts.kdebug }, parts.onState), // the L4 calls
    tick: TICK,
    seed: machine.seed,
    tracer: parts.tracer,
    paranoid: parts.paranoid,
  });
}
