/**
 * The kernel objects this personality adds to the core's `process` and `thread`: jsix's system,
 * vma, mailbox and event. Each is an `@osbricks/objects` KernelObject, so handles, capabilities,
 * signals, koids and lifetimes are that package's; this file holds what each type keeps.
 *
 * ```
 *   type     keeps                                          signals             dies when
 *   ───────  ─────────────────────────────────────────────  ──────────────────  ───────────────────
 *   system   the kernel log: a queue of lines               has_log             never (the kernel
 *                                                                                holds a reference)
 *   vma      one VM object (a 64-ary page tree of frames),  —                   last handle closed;
 *            its size, and every (process, address) it is                       its mappings stay
 *            mapped at: jsix's "VMA in many spaces"                             until unmapped or the
 *                                                                                space dies
 *   mailbox  callers queued, servers waiting, calls in      has_message         last handle closed:
 *            flight by reply tag                                                 every waiter gets
 *                                                                                j6_status_closed
 *   event    its 8 bits are the object's user signals      (the 8 bits)        last handle closed
 * ```
 *
 * Invariants (checked by {@link VmaObject.checkInvariants} and `JsixState.checkInvariants`): a
 * VMA's mappings name live processes only, each at an area that links the VMA's VM object; a
 * mailbox's reply tags are unique and its queues hold live threads only.
 *
 * Related: `personality.ts` (the types' definitions), `calls/` (the calls on them).
 */
import type { Process, Thread } from "@osbricks/kernel";
import { KernelObject, type ObjectSpace, type ObjectType } from "@osbricks/objects";
import type { VmObject } from "@osbricks/vm";

/** The system object: the kernel log (jsix's g_logger) behind the has_log signal. */
export class SystemObject extends KernelObject {
  /** Lines not yet taken by `j6_system_get_log`, oldest first. */
  readonly log: string[] = [];
}

/** Where a VMA is mapped in one process. */
export interface VmaMapping {
  readonly process: Process;
  readonly va: number;
}

/** A VMA: a shareable range of pages (one VM object), mapped into any number of spaces. */
export class VmaObject extends KernelObject {
  /** Size in pages (the mapped length everywhere; the VM object may be larger). */
  pages: number;
  /** Every process it is mapped in, and where (one mapping per process, as jsix's vma_map). */
  readonly mappings: VmaMapping[] = [];

  /**
   * @param vmObject the VM object holding its frames; this VMA holds one link to it, dropped
   *   when the VMA is destroyed.
   */
  constructor(
    space: ObjectSpace,
    type: ObjectType,
    readonly vmObject: VmObject,
    pages: number,
    readonly writable: boolean,
    onDestroy: (vma: VmaObject) => void,
  ) {
    super(space, type, { hooks: { onDestroy: (o) => onDestroy(o as VmaObject) } });
    this.pages = pages;
  }

  /** The mapping in `p`, if any. */
  mappingIn(p: Process): VmaMapping | undefined {
    return this.mappings.find((m) => m.process === p);
  }
}

/** A call waiting in a mailbox: its caller, and where its message block is. */
export interface PendingCall {
  readonly caller: Thread;
  /** The caller's message block address. */
  readonly msg: number;
  /** The block as the caller wrote it (10 int32). */
  readonly words: Int32Array;
  /** The reply tag the kernel gave it (never 0). */
  readonly replyTag: number;
}

/** A server waiting in `j6_mailbox_respond` for the next call. */
export interface WaitingServer {
  readonly server: Thread;
  readonly msg: number;
}

/** A mailbox: synchronous call / respond, with reply tags (jsix 2022's mailbox). */
export class MailboxObject extends KernelObject {
  /** Calls no server has taken yet, in arrival order. */
  readonly queued: PendingCall[] = [];
  /** Servers waiting for a call, in arrival order. */
  readonly servers: WaitingServer[] = [];
  /** Calls a server has taken and not answered, by reply tag. */
  readonly inFlight = new Map<number, PendingCall>();
  /** Set when the last handle closed: calls fail with j6_status_closed. */
  closed = false;
  private nextTag = 1;

  /** A fresh reply tag (1..2^31-1, then wraps to 1; never one in flight). */
  takeTag(): number {
    for (;;) {
      const tag = this.nextTag;
      this.nextTag = tag >= 0x7fff_ffff ? 1 : tag + 1;
      if (!this.inFlight.has(tag)) return tag;
    }
  }
}

/** An event: 8 bits (the object's user signals), raised by `j6_event_signal`. */
export class EventObject extends KernelObject {}
