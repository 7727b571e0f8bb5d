/**
 * The microkernel personality: the L4-style system-call table of `abi.ts`, one handler room per
 * concept, and the little state the kernel keeps for them.
 *
 * ```
 *   trap {nr, args} ── L4Dispatcher ── unknown nr / wrong count ─▶ -ENOSYS / -EINVAL (L4 codes)
 *                          │
 *                          ├── l4_ipc                 calls/ipc.ts     endpoints by capability
 *                          ├── l4_thread_control      calls/thread.ts  tasks, threads, pagers
 *                          ├── l4_map, l4_unmap       calls/map.ts     the pager's pool → clients
 *                          ├── l4_capability_control  calls/cap.ts     derive, grant, revoke
 *                          └── l4_getid, l4_time, l4_kdebug   calls/misc.ts
 * ```
 *
 * What the kernel keeps beyond the core's processes, threads and handle tables
 * ({@link CodezeroState}): the endpoint object type, how many UTCBs each space has handed out,
 * and the counters of the boot summary. Everything else (which pages a task may have, which
 * client may call which server) is in user-level servers and in the capabilities they hold.
 *
 * Invariants ({@link CodezeroState.checkInvariants}): every live task's pager, if any, is an
 * endpoint; pages mapped ≥ pages unmapped; a task not yet started (a stopped process) runs no thread.
 *
 * Related: `abi.ts`, `calls/`, `kernel.ts`.
 */

import { defineIpcTypes, Endpoint, type EndpointObject, type IpcObjectTypes } from "@osbricks/ipc";
import {
  Errno,
  type Kernel,
  KernelInvariantError,
  type Personality,
  type Process,
  SyscallDispatcher,
  type Thread,
} from "@osbricks/kernel";
import type { ObjectType } from "@osbricks/objects";
import { codezeroSyscalls, L4Error } from "./abi.js";
import { capabilityCalls } from "./calls/cap.js";
import { ipcCalls } from "./calls/ipc.js";
import { mapCalls } from "./calls/map.js";
import { miscCalls } from "./calls/misc.js";
import { threadCalls } from "./calls/thread.js";

/** What the microkernel counted (the boot summary's figures). */
export interface MicrokernelCounters {
  /** Messages delivered: every request a receiver took and every reply a caller got. */
  ipcMessages: number;
  /** Page faults the kernel turned into messages that a pager received. */
  faultsForwarded: number;
  /** Of which protection faults (MR5's P bit: a write to a page mapped read-only, copy-on-write). */
  protectionFaults: number;
  /** Pages pagers mapped into clients with l4_map. */
  pagesMapped: number;
  /** Pages pagers took back with l4_unmap. */
  pagesUnmapped: number;
  /** Calls refused for a missing or insufficient capability (ECAP, EPERM). */
  capRefusals: number;
  /** Tasks created with l4_thread_control. */
  tasks: number;
}

/** Options of {@link CodezeroState}. */
export interface CodezeroStateOptions {
  /** Receives `l4_kdebug` lines: the task id and its text. Default: dropped. */
  readonly kdebug?: (task: number, text: string) => void;
}

/** The microkernel's own state (see the banner); one per kernel. */
export class CodezeroState {
  /** The kernel these calls run in. */
  readonly k: Kernel;
  /** The ipc object types defined in the kernel's object space (channel, endpoint, notification). */
  readonly types: IpcObjectTypes;
  /** The endpoint object type: the only type `l4_ipc` accepts. */
  readonly endpointType: ObjectType<EndpointObject>;
  /**
   * Replies name no endpoint: a one-shot reply capability is the caller's, not the endpoint's
   * (`@osbricks/ipc` Endpoint.reply). A reply without a receive phase goes through this one.
   */
  readonly replier: Endpoint;
  /** The boot summary's figures. */
  readonly counters: MicrokernelCounters = {
    ipcMessages: 0,
    faultsForwarded: 0,
    protectionFaults: 0,
    pagesMapped: 0,
    pagesUnmapped: 0,
    capRefusals: 0,
    tasks: 0,
  };
  /** UTCBs handed out per space (the main thread has index 0). */
  private readonly utcbs = new WeakMap<Process, number>();
  /** Where `l4_kdebug` lines go. */
  readonly kdebug: (task: number, text: string) => void;

  /** @param k the kernel being built (the personality is called from its constructor). */
  constructor(k: Kernel, options: CodezeroStateOptions = {}) {
    this.k = k;
    this.types = defineIpcTypes(k.objects);
    this.endpointType = this.types.endpoint;
    this.replier = new Endpoint(k.ipc, { name: "reply" });
    this.kdebug = options.kdebug ?? (() => {});
  }

  /** The next UTCB index of `p`'s space, or -1 when its UTCB area is full. */
  takeUtcb(p: Process, max: number): number {
    const n = this.utcbs.get(p) ?? 1;
    if (n >= max) return -1;
    this.utcbs.set(p, n + 1);
    return n;
  }

  /** Count a refusal for a capability reason; returns `result` unchanged. */
  refused(result: number): number {
    if (result === -L4Error.ECAP || result === -L4Error.EPERM) this.counters.capRefusals++;
    return result;
  }

  /** @throws KernelInvariantError describing the first broken invariant. */
  checkInvariants(): void {
    const c = this.counters;
    if (c.pagesUnmapped > c.pagesMapped)
      throw new KernelInvariantError(
        `codezero: ${c.pagesUnmapped} pages unmapped but only ${c.pagesMapped} mapped`,
      );
    for (const p of this.k.processes.values()) {
      if (p.phase === "live" && p.pager !== null && !(p.pager instanceof Endpoint))
        throw new KernelInvariantError(`codezero: task ${p.pid}'s pager is not an endpoint`);
      // A task created and not yet run is a stopped process: all its threads are suspended.
      if (p.phase === "live" && p.pid !== 0 && p.stopped && p.threads.some((t) => t.runState === "running"))
        throw new KernelInvariantError(`codezero: task ${p.pid} is not started but one of its threads runs`);
    }
  }
}

/**
 * The generic dispatcher refuses an unknown number with -ENOSYS and a wrong argument count or an
 * out-of-range register with -EINVAL (POSIX numbers). This kernel speaks L4 codes only, so those
 * two are translated; handlers return L4 codes themselves and never 22 or 38.
 */
class L4Dispatcher extends SyscallDispatcher<Thread, typeof codezeroSyscalls.decls> {
  override dispatch(ctx: Thread, nr: unknown, args: readonly unknown[]): number {
    const r = super.dispatch(ctx, nr, args);
    if (r === -Errno.ENOSYS) return -L4Error.ENOSYS;
    if (r === -Errno.EINVAL) return -L4Error.EINVAL;
    return r;
  }
}

/**
 * The personality a `Kernel` is built with; `onState` receives the state once the kernel exists
 * (the boot code reads its counters).
 * @example
 * ```ts
 * let state: CodezeroState | null = null;
 * const k = new Kernel({ programs, personality: codezeroPersonality({}, (s) => { state = s; }) });
 * ```
 */
export function codezeroPersonality(
  options: CodezeroStateOptions = {},
  onState: (state: CodezeroState) => void = () => {},
): Personality {
  return (k) => {
    const s = new CodezeroState(k, options);
    onState(s);
    const handlers = {
      ...ipcCalls(s),
      ...threadCalls(s),
      ...mapCalls(s),
      ...capabilityCalls(s),
      ...miscCalls(s),
    };
    return new L4Dispatcher(codezeroSyscalls, handlers) as unknown as ReturnType<Personality>;
  };
}
