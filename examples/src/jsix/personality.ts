/**
 * The jsix personality: the `j6_*` system-call table of `abi.ts`, one handler room per object
 * type, and the state the kernel keeps for them.
 *
 * ```
 *   trap {nr, args} ── J6Dispatcher ── argument checks (abi.ts kinds) ──▶ -j6_err_invalid_arg
 *                          │          handle args: type + [cap:x] ──────▶ -j6_err_invalid_arg / -j6_err_denied
 *                          ├── j6_object_*          calls/object.ts   koid, wait, wait_many
 *                          ├── j6_handle_*          calls/handle.ts   list, clone, close
 *                          ├── j6_log, j6_system_*  calls/system.ts   the kernel log
 *                          ├── j6_process_*         calls/process.ts  create (empty), kill, exit, give_handle
 *                          ├── j6_thread_*          calls/thread.ts   create (start a program), exit, sleep
 *                          ├── j6_vma_*             calls/vma.ts      one VM object, many spaces
 *                          ├── j6_mailbox_*         calls/mailbox.ts  call / respond with reply tags
 *                          ├── j6_event_*           calls/event.ts    8 signal bits
 *                          └── j6_futex_*           calls/futex.ts    the kernel's futex table
 * ```
 *
 * Every handle argument is resolved by {@link JsixState.resolve} before a handler runs: the
 * handle must name an object of the declared type carrying the declared capability (jsix's
 * `[cap:x]`); otherwise the call returns `j6_err_invalid_arg` (no such handle, wrong type) or
 * `j6_err_denied` (the capability is missing), and nothing has changed.
 *
 * **Entries are programs.** jsix's `thread_create` takes an entry address in the target
 * process, where srv.init has loaded an ELF image. Our programs are generators, not bytes, so the
 * entry is the index of a program in the boot image (the initrd: {@link JsixState.programs});
 * the first thread of an empty process loads that program's text and stack into the space
 * (`Lifecycle.startEmpty`). Everything else srv.init does to build a process (map VMAs into it,
 * give it handles) is as in jsix.
 *
 * **No wait(), no zombies.** jsix has no waitpid: a parent learns of a child's end by waiting on
 * its process object's signal. Every jsix process ignores SIGCHLD, so the kernel core reaps it at
 * exit; its process object lives on while a handle names it, showing `terminated`.
 *
 * Invariants ({@link JsixState.checkInvariants}): no object of ours alive without a handle or a
 * kernel reference (the system object) or a live thread/process referencing it; no VMA mapped in
 * a dead space, and every VMA mapping is an area of that space linking the VMA's VM object;
 * koids unique; mailbox reply tags unique; counters consistent (unmaps ≤ maps).
 *
 * Related: `abi.ts`, `objects.ts`, `calls/`, `kernel.ts`.
 */
import {
  Errno,
  type Kernel,
  KernelInvariantError,
  type Personality,
  type Process,
  SIG_IGN,
  Sig,
  SyscallDispatcher,
  type Thread,
} from "@osbricks/kernel";
import type { KernelObject, ObjectType } from "@osbricks/objects";
import { J6_TYPE_CAPS, J6_TYPE_SIGNALS, J6ObjectType, J6Status, jsixSyscalls, makeKoid } from "./abi.js";
import { eventCalls } from "./calls/event.js";
import { futexCalls } from "./calls/futex.js";
import { handleCalls } from "./calls/handle.js";
import { mailboxCalls } from "./calls/mailbox.js";
import { objectCalls } from "./calls/object.js";
import { processCalls } from "./calls/process.js";
import { systemCalls } from "./calls/system.js";
import { threadCalls } from "./calls/thread.js";
import { vmaCalls } from "./calls/vma.js";
import { EventObject, MailboxObject, SystemObject, VmaObject } from "./objects.js";

/** What the kernel counted (the boot summary's figures). */
export interface JsixCounters {
  /** Objects created, by type name. */
  readonly created: Record<string, number>;
  /** Objects destroyed, by type name. */
  readonly destroyed: Record<string, number>;
  /** Mailbox calls answered (a call and its response). */
  roundTrips: number;
  /** Signal bits raised on objects by calls (event_signal) and by the kernel (has_log, has_message). */
  signalsRaised: number;
  /** Threads that slept in j6_futex_wait, and threads j6_futex_wake woke. */
  futexWaits: number;
  futexWakes: number;
  /** j6_vma_map / create_map, and j6_vma_unmap. */
  vmaMaps: number;
  vmaUnmaps: number;
  /** Calls refused for a missing capability (j6_err_denied). */
  denied: number;
  /** Lines written to the kernel log. */
  logLines: number;
}

/** Options of {@link JsixState}. */
export interface JsixStateOptions {
  /** The boot image: program names in entry order (`j6_thread_create`'s entry is an index). */
  readonly programs: readonly string[];
  /** The serial console: receives each line `j6_system_serial_write` sends. Default: dropped. */
  readonly serial?: (line: string) => void;
}

/** The type of a `j6_*` handle argument's resolution. */
export type Resolution = { readonly object: unknown } | { readonly errno: number };

/** The jsix kernel's own state (see the banner); one per kernel. */
export class JsixState {
  readonly k: Kernel;
  readonly systemType: ObjectType<SystemObject>;
  readonly vmaType: ObjectType<VmaObject>;
  readonly mailboxType: ObjectType<MailboxObject>;
  readonly eventType: ObjectType<EventObject>;
  /** The one system object; the kernel holds a reference, so it never dies. */
  readonly system: SystemObject;
  /** The boot image, by entry index. */
  readonly programs: readonly string[];
  /** The boot summary's figures. */
  readonly counters: JsixCounters = {
    created: {},
    destroyed: {},
    roundTrips: 0,
    signalsRaised: 0,
    futexWaits: 0,
    futexWakes: 0,
    vmaMaps: 0,
    vmaUnmaps: 0,
    denied: 0,
    logLines: 0,
  };
  /** Live VMAs (the invariant check walks them). */
  readonly vmas = new Set<VmaObject>();
  /** Live mailboxes. */
  readonly mailboxes = new Set<MailboxObject>();
  /** Threads whose timed wait expired: their call, run again, returns j6_err_timed_out. */
  readonly expired = new WeakSet<Thread>();
  private readonly typeCodes = new Map<ObjectType, number>();
  /** The serial console (see {@link JsixStateOptions.serial}). */
  readonly serial: (line: string) => void;

  /** @param k the kernel being built (the personality is called from its constructor). */
  constructor(k: Kernel, options: JsixStateOptions) {
    this.k = k;
    this.programs = options.programs;
    this.serial = options.serial ?? (() => {});
    const define = <T extends KernelObject>(name: keyof typeof J6_TYPE_CAPS): ObjectType<T> =>
      k.objects.defineType<T>({
        name,
        rights: [...J6_TYPE_CAPS[name]],
        signals: [...J6_TYPE_SIGNALS[name]],
      });
    this.systemType = define<SystemObject>("system");
    this.vmaType = define<VmaObject>("vma");
    this.mailboxType = define<MailboxObject>("mailbox");
    this.eventType = define<EventObject>("event");
    this.typeCodes.set(this.systemType, J6ObjectType.system);
    this.typeCodes.set(this.vmaType, J6ObjectType.vma);
    this.typeCodes.set(this.mailboxType, J6ObjectType.mailbox);
    this.typeCodes.set(this.eventType, J6ObjectType.event);
    this.typeCodes.set(k.processType, J6ObjectType.process);
    this.typeCodes.set(k.threadType, J6ObjectType.thread);
    this.system = new SystemObject(k.objects, this.systemType);
    this.system.retain(); // the kernel's own reference: the log outlives every handle
    this.created("system");
  }

  /** jsix's type code of an object type (0 for a type this personality does not know). */
  typeCode(type: ObjectType): number {
    return this.typeCodes.get(type) ?? J6ObjectType.none;
  }

  /** The jsix koid of an object: type << 24 | serial. */
  koidOf(o: KernelObject): number {
    return makeKoid(this.typeCode(o.type), o.koid);
  }

  /** Count an object created. */
  created(type: string): void {
    this.counters.created[type] = (this.counters.created[type] ?? 0) + 1;
  }

  /** Count an object destroyed. */
  destroyed(type: string): void {
    this.counters.destroyed[type] = (this.counters.destroyed[type] ?? 0) + 1;
  }

  /** Append a line to the kernel log and raise the system object's has_log. */
  klog(line: string): void {
    this.system.log.push(line);
    this.counters.logLines++;
    const bit = this.systemType.signal("has_log");
    if ((this.system.signals & bit) === 0) {
      this.system.assertSignals(bit);
      this.counters.signalsRaised++;
    }
  }

  /** A jsix process: SIGCHLD ignored (no zombies; see the banner). */
  adopt(p: Process): void {
    p.sigActions[Sig.SIGCHLD] = { handler: SIG_IGN, mask: 0, flags: 0 };
  }

  /**
   * Resolve a handle argument (the dispatcher's resolver): type and capability, else the j6
   * error. Counts `j6_err_denied` refusals.
   */
  resolve(t: Thread, handle: number, typeName: string | undefined, rights: number): Resolution {
    const type =
      typeName === undefined || typeName === "" ? null : (this.k.objects.typeNamed(typeName) ?? null);
    const r = t.process.handleTable.lookup(handle, type, rights);
    if (r.kind === "ok") return { object: r.object };
    return { errno: this.refusal(r.kind) };
  }

  /** The j6 error of a handle-table refusal. */
  refusal(kind: string): number {
    if (kind === "access-denied") {
      this.counters.denied++;
      return -J6Status.err_denied;
    }
    if (kind === "table-full") return -J6Status.err_insufficient;
    return -J6Status.err_invalid_arg;
  }

  /** @throws KernelInvariantError describing the first broken invariant (see the banner). */
  checkInvariants(): void {
    const c = this.counters;
    if (c.vmaUnmaps > c.vmaMaps)
      throw new KernelInvariantError(`jsix: ${c.vmaUnmaps} VMA unmaps but only ${c.vmaMaps} maps`);
    for (const vma of this.vmas) {
      if (!vma.alive || vma.handleCount === 0)
        throw new KernelInvariantError(`jsix: ${vma} is tracked but has no handle (alive: ${vma.alive})`);
      for (const m of vma.mappings) {
        if (m.process.phase !== "live" || m.process.addressSpace === null)
          throw new KernelInvariantError(`jsix: ${vma} is mapped in dead process ${m.process.pid}`);
        const area = m.process.addressSpace.findArea(m.va);
        if (area === undefined || area.object !== vma.vmObject)
          throw new KernelInvariantError(
            `jsix: ${vma} says it is at 0x${m.va.toString(16)} in process ${m.process.pid}, but no area there links it`,
          );
      }
      if (new Set(vma.mappings.map((m) => m.process)).size !== vma.mappings.length)
        throw new KernelInvariantError(`jsix: ${vma} is mapped twice in one process`);
    }
    for (const mb of this.mailboxes) {
      if (!mb.alive) throw new KernelInvariantError(`jsix: ${mb} is tracked but dead`);
      for (const call of [...mb.queued, ...mb.inFlight.values()])
        if (call.caller.runState !== "blocked")
          throw new KernelInvariantError(
            `jsix: ${mb} holds a call of thread ${call.caller.tid}, which is not blocked`,
          );
      for (const [tag, call] of mb.inFlight)
        if (call.replyTag !== tag)
          throw new KernelInvariantError(`jsix: ${mb} reply tag ${tag} files another call`);
    }
    const koids = new Set<number>();
    for (const o of this.k.objects.liveObjects()) {
      const koid = this.koidOf(o);
      if (koids.has(koid)) throw new KernelInvariantError(`jsix: koid 0x${koid.toString(16)} is not unique`);
      koids.add(koid);
      const ours = o instanceof VmaObject || o instanceof MailboxObject || o instanceof EventObject;
      if (ours && o.alive && o.handleCount === 0 && o.refCount === 0)
        throw new KernelInvariantError(`jsix: ${o} is alive with no handle and no reference`);
    }
  }
}

/**
 * The generic dispatcher refuses a malformed trap with POSIX numbers (ENOSYS, EINVAL, EBADF,
 * EFAULT). This kernel speaks j6 status codes only: those are translated here, and since every
 * j6 code is ≥ 0x100 and every errno < 0x100, no handler's result is ever mistaken for one.
 */
class J6Dispatcher extends SyscallDispatcher<Thread, typeof jsixSyscalls.decls> {
  override dispatch(ctx: Thread, nr: unknown, args: readonly unknown[]): number {
    const r = super.dispatch(ctx, nr, args);
    if (r >= 0 || r <= -0x100) return r;
    if (r === -Errno.ENOSYS) return -J6Status.err_nyi;
    if (r === -Errno.EPERM) return -J6Status.err_denied;
    return -J6Status.err_invalid_arg; // EINVAL, EBADF, EFAULT: an argument the kernel cannot use
  }
}

/**
 * The personality a `Kernel` is built with; `onState` receives the state once the kernel exists.
 * @example
 * ```ts
 * let state: JsixState | null = null;
 * const k = new Kernel({ programs, personality: jsixPersonality({ programs: ["srv.init"] }, (s) => { state = s; }) });
 * ```
 */
export function jsixPersonality(
  options: JsixStateOptions,
  onState: (state: JsixState) => void = () => {},
): Personality {
  return (k) => {
    const s = new JsixState(k, options);
    onState(s);
    const handlers = {
      ...objectCalls(s),
      ...handleCalls(s),
      ...systemCalls(s),
      ...processCalls(s),
      ...threadCalls(s),
      ...vmaCalls(s),
      ...mailboxCalls(s),
      ...eventCalls(s),
      ...futexCalls(s),
    };
    const dispatcher = new J6Dispatcher(jsixSyscalls, handlers, {
      resolveHandle: (t, handle, spec) => {
        const r = s.resolve(t, handle, spec.objectType, spec.rights ?? 0);
        return "object" in r ? { object: r.object } : { errno: r.errno };
      },
    });
    return dispatcher as unknown as ReturnType<Personality>;
  };
}
