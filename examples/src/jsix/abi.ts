/**
 * The jsix-like kernel's ABI: its system calls as data, its status codes, its object types with
 * their capabilities and signals, and the koid encoding. jsix generates all of this from
 * `definitions/syscalls.def` and `definitions/objects/*.def`; we write the same facts once, as a
 * TypeScript value, and derive the dispatcher, the user stubs (`lib.ts`) and the boot log from it.
 *
 * Every call is `object.method`: the first argument is the handle of the object it acts on, and
 * `[cap:x]` in jsix's def file is the capability that handle must carry. Ours checks type and
 * capability in the dispatcher, before the handler runs (`arg.handle(name, {type, rights})`):
 *
 * ```
 *   nr  call                    first arg      needs (cap)         does
 *   ──  ──────────────────────  ─────────────  ──────────────────  ──────────────────────────────────
 *    0  j6_log(buf, len)        —              —                   a line into the kernel log
 *    1  j6_object_koid(h)       any handle     —                   the object's koid (type << 24 | serial)
 *    2  j6_object_wait(h, mask, timeout)       wait                block until a signal of mask is up
 *    3  j6_object_wait_many(list, n, mask, out, timeout)  wait      the first of n objects to signal
 *    4  j6_handle_list(buf, cap)  —            —                   the caller's handles, descriptors
 *    5  j6_handle_clone(h, mask)  any handle   clone (DUPLICATE)   a new handle, caps & mask
 *    6  j6_handle_close(h)      any handle     —                   close; the last close ends the object
 *    7  j6_system_get_log(sys, buf, len)       system get_log      one kernel-log entry, or 0
 *    8  j6_process_create()     —              —                   an empty process (no thread, empty space)
 *    9  j6_process_kill(p)      process        kill (MANAGE)       stop all its threads; it exits
 *   10  j6_process_exit(code)   —              —                   the caller's process exits
 *   11  j6_process_give_handle(p, h)           p: transfer; h: clone+transfer    a copy of h into p's table
 *   12  j6_thread_create(p, entry, arg)        process create_thread (EXECUTE)  start a thread
 *   13  j6_thread_exit()        —              —                   the calling thread ends
 *   14  j6_thread_sleep(cycles) —              —                   sleep
 *   15  j6_vma_create(size, flags)             —                   a VMA: pages of zero-filled frames
 *   16  j6_vma_create_map(size, addr, flags)   —                   create, and map into the caller
 *   17  j6_vma_map(vma, p, addr) vma           vma map             map into p at addr
 *   18  j6_vma_unmap(vma, p)    vma            vma unmap           take it out of p's space
 *   19  j6_vma_resize(vma, size) vma           vma resize          grow or shrink, in every space
 *   20  j6_mailbox_create()     —              —                   a mailbox
 *   21  j6_mailbox_call(mb, msg) mailbox       mailbox send        send msg, wait for the reply
 *   22  j6_mailbox_respond(mb, msg)            mailbox receive     reply (msg.replyTag ≠ 0), then
 *                                                                  wait for the next message
 *   23  j6_event_create()       —              —                   an event: 8 signal bits
 *   24  j6_event_signal(ev, set, clear)        event signal        raise and lower bits
 *   25  j6_event_wait(ev, timeout) event       event wait          the bits up (then clears them)
 *   26  j6_futex_wait(addr, expected, timeout) —                   sleep while *addr == expected
 *   27  j6_futex_wake(addr, count)             —                   wake up to count sleepers
 *   28  j6_system_serial_write(sys, buf, len)  system change_iopl  bytes out of the serial port
 * ```
 *
 * `j6_system_serial_write` stands for what jsix's UART driver does once `j6_system_request_iopl`
 * gave it IOPL 3: `out` instructions to COM1. Our programs cannot execute port I/O, so the
 * capability that would grant the IOPL (change_iopl) grants this call instead; the machine's
 * serial port is the console the boot prints on.
 *
 * `j6_system_map_phys` is not here: the simulated PC has no device memory to map, and every
 * physical frame belongs to the buddy allocator; a VMA over frames someone else owns would break
 * the frame accounting the leak check relies on. `j6_system_bind_irq` likewise (no devices).
 *
 * **Results.** jsix returns a 64-bit `j6_status_t`, errors with the top bit set. Our registers
 * are int32: a call returns `>= 0` on success (a handle, a koid, a count, or 0) and
 * `-J6Status.x` otherwise. The codes start at 0x100 so that they can never be mistaken for the
 * generic dispatcher's errno values (< 0x100), which this personality translates (see
 * `personality.ts`): an unknown number is `j6_err_nyi`, a malformed argument `j6_err_invalid_arg`,
 * a handle of the wrong type or a closed one `j6_err_invalid_arg`, a missing capability `j6_err_denied`.
 *
 * **Koids.** jsix's koid is `type << 48 | serial` in 64 bits. Ours travels in one int32 register:
 * `type << 24 | serial`, 7 bits of type (bits 24..30, the sign bit stays 0) and 24 bits of serial
 * (the object space's koid, unique for the machine's life; 16 M objects per boot).
 * Worked: a mailbox (type 5) with serial 0x2a has koid 0x0500_002a = 83886122.
 *
 * **Messages.** `j6_mailbox_call` and `j6_mailbox_respond` take the address of a message block in
 * the caller's memory (jsix passes tag, data, handles and reply tag as separate in/out arguments;
 * one block keeps our calls at ≤ 5 int32 registers):
 *
 * ```
 *   msg + 0   tag         the message's label (user protocol: e.g. the locator's REGISTER/FIND)
 *   msg + 4   replyTag    respond: whose call this answers (0 = none); written on receive
 *   msg + 8   badge       written on receive: the koid of the calling process
 *   msg + 12  handle      a handle carried with the message (-1 = none); moved, not copied
 *   msg + 16  data[0..5]  six int32 words
 * ```
 *
 * Related: `kernel.ts` (the table of contents), `personality.ts` and `calls/` (the handlers),
 * `lib.ts` (the user side), docs/tour-jsix.md.
 */

import type { Process } from "@osbricks/kernel";
import { arg, defineSyscallTable } from "@osbricks/kernel";
import { type KernelObject, Right } from "@osbricks/objects";
import type { EventObject, MailboxObject, SystemObject, VmaObject } from "./objects.js";

/**
 * jsix's status codes (src/libraries/j6/include/j6/errors.h names them); returned negated.
 * `j6_status_*` are outcomes a caller expects, `j6_err_*` mistakes or refusals.
 */
export const J6Status = {
  /** The object (a mailbox) was closed while the caller waited. */
  closed: 0x101,
  /** The object was destroyed. */
  destroyed: 0x102,
  /** The thing created exists already (a mapping at that address, a registered service). */
  exists: 0x103,
  /** Nothing there and the caller asked not to block. */
  would_block: 0x104,
  /** No such system call (not yet implemented). */
  err_nyi: 0x181,
  /** The kernel found itself in a state it did not expect. */
  err_unexpected: 0x182,
  /** An argument is wrong: a bad handle, a handle of the wrong type, a bad size or address. */
  err_invalid_arg: 0x183,
  /** The object is not in a state to do that now (a process already started, not yet dead). */
  err_not_ready: 0x184,
  /** A buffer or a table is too small, or memory ran out. */
  err_insufficient: 0x185,
  /** A timeout expired. */
  err_timed_out: 0x186,
  /** The handle lacks the capability the call needs. */
  err_denied: 0x187,
} as const;

/** One of the {@link J6Status} codes. */
export type J6Status = (typeof J6Status)[keyof typeof J6Status];

const STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(J6Status).map(([name, code]) => [
    code,
    name.startsWith("err_") ? `j6_${name}` : `j6_status_${name}`,
  ]),
);

/**
 * The readable name of a result: `"j6_status_ok"` for success, `"j6_err_denied"` for an error.
 * @example j6StatusName(-J6Status.err_denied) === "j6_err_denied"
 */
export function j6StatusName(result: number): string {
  if (result >= 0) return "j6_status_ok";
  return STATUS_NAMES[-result] ?? `j6_status?${-result}`;
}

/** jsix's object type codes (the koid's top bits and `j6_handle_list`'s descriptors). */
export const J6ObjectType = {
  none: 0,
  system: 1,
  event: 2,
  process: 3,
  thread: 4,
  vma: 5,
  mailbox: 6,
} as const;

/** One of the {@link J6ObjectType} codes. */
export type J6ObjectType = (typeof J6ObjectType)[keyof typeof J6ObjectType];

/** Bits of serial in a koid. */
export const KOID_SERIAL_BITS = 24;
/** The largest serial a koid can carry. */
export const KOID_SERIAL_MASK = (1 << KOID_SERIAL_BITS) - 1;

/**
 * A jsix koid: the type in bits 24..30, the serial in bits 0..23.
 * @throws RangeError for a type outside 0..127 or a serial outside 0..2^24-1 (a kernel bug: the
 *   object space ran past 16 M objects).
 * @example makeKoid(J6ObjectType.mailbox, 0x2a) === 0x0600_002a
 */
export function makeKoid(type: number, serial: number): number {
  if (!Number.isInteger(type) || type < 0 || type > 127) throw new RangeError(`makeKoid: type ${type}`);
  if (!Number.isInteger(serial) || serial < 0 || serial > KOID_SERIAL_MASK)
    throw new RangeError(`makeKoid: serial ${serial} does not fit ${KOID_SERIAL_BITS} bits`);
  return (type << KOID_SERIAL_BITS) | serial;
}

/** The type code of a koid. */
export function koidType(koid: number): number {
  return koid >>> KOID_SERIAL_BITS;
}

/** The serial of a koid (the object space's koid). */
export function koidSerial(koid: number): number {
  return koid & KOID_SERIAL_MASK;
}

/**
 * Capabilities of the kernel's own types, by jsix's names. The kernel core defines `process`
 * and `thread` with generic rights only, so jsix's names map onto them; the types this
 * personality defines (system, vma, mailbox, event) carry type-specific rights named as in jsix
 * (see `personality.ts`, where they are defined, and {@link capBit}).
 *
 * ```
 *   jsix cap                  our right            on
 *   ────────────────────────  ───────────────────  ───────────────────────────────
 *   object clone              DUPLICATE            every type (j6_handle_clone)
 *   object transfer           TRANSFER             every type (give_handle, a message's handle)
 *   object wait               WAIT                 every type (object_wait[_many])
 *   process kill              MANAGE               process
 *   process create_thread     EXECUTE              process (also vma_map into it)
 *   thread kill               MANAGE               thread
 *   vma map                   MAP                  vma (a generic right of that name exists)
 *   event signal              SIGNAL               event (likewise)
 * ```
 */
export const J6Cap = {
  clone: Right.DUPLICATE,
  transfer: Right.TRANSFER,
  wait: Right.WAIT,
  process_kill: Right.MANAGE,
  process_create_thread: Right.EXECUTE,
  thread_kill: Right.MANAGE,
  vma_map: Right.MAP,
  event_signal: Right.SIGNAL,
} as const;

/**
 * The type-specific capabilities of the types this personality defines, in bit order (bit 16
 * upwards: `@osbricks/objects`' type rights). `capBit("vma", "resize")` = 1 << 17.
 */
export const J6_TYPE_CAPS = {
  system: ["get_log", "bind_irq", "map_phys", "change_iopl"],
  vma: ["unmap", "resize"],
  mailbox: ["send", "receive", "close"],
  event: [],
} as const;

/** The type signals of the types this personality defines, in bit order (bit 8 upwards). */
export const J6_TYPE_SIGNALS = {
  system: ["has_log"],
  vma: [],
  mailbox: ["has_message"],
  event: [],
} as const;

/** First bit of type-specific rights (`@osbricks/objects`). */
const TYPE_RIGHTS_SHIFT = 16;

/**
 * The right bit of a type-specific jsix capability.
 * @example capBit("mailbox", "receive") === 1 << 17
 */
export function capBit<T extends keyof typeof J6_TYPE_CAPS>(
  type: T,
  cap: (typeof J6_TYPE_CAPS)[T][number],
): number {
  const i = (J6_TYPE_CAPS[type] as readonly string[]).indexOf(cap);
  return 1 << (TYPE_RIGHTS_SHIFT + i);
}

/** The bits of an event (its user signals 0..7, `@osbricks/objects` bits 23..30), as user code sees them: bit i = signal i. */
export const EVENT_BITS = 8;
/** Where an event's bit 0 sits in the object's signal word. */
export const EVENT_SIGNAL_SHIFT = 23;

/** The timeout meaning "wait as long as it takes". */
export const J6_FOREVER = -1;

/** Byte offsets of a mailbox message block (see the banner). */
export const Msg = {
  TAG: 0,
  REPLY_TAG: 4,
  BADGE: 8,
  HANDLE: 12,
  DATA: 16,
  /** Data words a message carries. */
  WORDS: 6,
  /** Bytes of a whole block. */
  BYTES: 40,
} as const;

/** The handle value meaning "none" (jsix's `j6_handle_invalid`). */
export const J6_HANDLE_INVALID = -1;

/** Bytes of one `j6_handle_list` descriptor: handle, type code, caps (three int32). */
export const HANDLE_DESCRIPTOR_BYTES = 12;

/** VMA flags (jsix's vm_flags: write, exec, …): ours is write only; every VMA is readable. */
export const VmaFlags = { WRITE: 1 } as const;

/** Largest VMA, in bytes: 1 MiB (the page tree of one VM object; ample for the demos). */
export const MAX_VMA_BYTES = 1 << 20;

/** Longest line `j6_log` takes and `j6_system_get_log` returns. */
export const MAX_LOG_LINE = 240;

const i32 = (name: string, doc: string) => arg.int(name, { doc });
const anyHandle = (name: string, rights: number, doc: string) =>
  arg.handle<KernelObject>(name, { type: "", rights, doc });
const typed = <T>(name: string, type: string, rights: number, doc: string) =>
  arg.handle<T>(name, { type, rights, doc });

/**
 * The system-call table of the jsix personality (see the banner). Handle arguments carry the
 * type and the capability jsix's def files give them; an empty type name means "any type".
 */
export const jsixSyscalls = defineSyscallTable("jsix", {
  j6_log: {
    nr: 0,
    args: [arg.ptr("buf", { access: "in", len: "len", doc: "the text" }), arg.size("len")] as const,
    result: "zero",
    doc: "Write a line to the kernel log (area 'app'); srv.logger prints it.",
  },
  j6_object_koid: {
    nr: 1,
    args: [anyHandle("h", 0, "any handle")] as const,
    result: "int",
    doc: "The koid of the object behind h: type << 24 | serial.",
  },
  j6_object_wait: {
    nr: 2,
    args: [
      anyHandle("h", J6Cap.wait, "the object to wait on"),
      i32("mask", "the signals that end the wait (a bit set of the object's signals)"),
      i32("timeout", "cycles; -1 forever, 0 polls"),
    ] as const,
    result: "int",
    blocks: true,
    doc: "Block until one of the signals in mask is asserted on the object; returns the object's signals then.",
  },
  j6_object_wait_many: {
    nr: 3,
    args: [
      arg.ptr("handles", { access: "in", len: 64, doc: "up to 16 int32 handles" }),
      i32("count", "how many, 1..16"),
      i32("mask", "the signals that end the wait, for every object"),
      arg.ptr("out", {
        access: "out",
        len: 4,
        doc: "receives the signals of the object that ended the wait",
      }),
      i32("timeout", "cycles; -1 forever, 0 polls"),
    ] as const,
    result: "int",
    blocks: true,
    doc: "Block until one of the objects asserts a signal of mask; returns its index in the list and writes its signals to out.",
  },
  j6_handle_list: {
    nr: 4,
    args: [
      arg.ptr("buf", {
        access: "out",
        len: 12,
        nullable: true,
        doc: "descriptors: handle, type, caps (int32 each)",
      }),
      i32("cap", "descriptors buf has room for"),
    ] as const,
    result: "int",
    doc: "List the caller's handles in slot order; writes at most cap descriptors and returns how many there are (more than cap: call again with a bigger buffer, as jsix's j6_err_insufficient says).",
  },
  j6_handle_clone: {
    nr: 5,
    args: [
      i32("orig", "the handle to clone [cap:clone]; the handler looks it up: it needs the number"),
      i32("mask", "the capabilities to keep"),
    ] as const,
    result: "handle",
    doc: "A new handle to the same object carrying orig's capabilities & mask.",
  },
  j6_handle_close: {
    nr: 6,
    args: [i32("h", "the handle to close")] as const,
    result: "zero",
    doc: "Close the handle; the object ends when its last handle closes (and, for a process or thread, once it has exited).",
  },
  j6_system_get_log: {
    nr: 7,
    args: [
      typed<SystemObject>("sys", "system", capBit("system", "get_log"), "the system object, with get_log"),
      arg.ptr("buf", { access: "out", len: "len", doc: "receives one log entry's text" }),
      arg.size("len"),
    ] as const,
    result: "size",
    doc: "Take the oldest kernel-log entry into buf; returns its length (0: the log is empty and has_log is deasserted).",
  },
  j6_process_create: {
    nr: 8,
    args: [],
    result: "handle",
    doc: "An empty process: an empty address space, an empty handle table, no thread.",
  },
  j6_process_kill: {
    nr: 9,
    args: [typed<Process>("process", "process", J6Cap.process_kill, "a process handle with kill")] as const,
    result: "zero",
    doc: "Stop every thread of the process; it exits (status -1) and asserts exited.",
  },
  j6_process_exit: {
    nr: 10,
    args: [i32("result", "the exit code")] as const,
    result: "noreturn",
    doc: "The calling process exits.",
  },
  j6_process_give_handle: {
    nr: 11,
    args: [
      typed<Process>("process", "process", J6Cap.transfer, "the receiver, with transfer"),
      i32("h", "a handle of the caller's [cap:clone, cap:transfer]; looked up by the handler"),
    ] as const,
    result: "handle",
    doc: "Put a handle to h's object, with h's capabilities, into the process's table; returns the handle as the receiver sees it.",
  },
  j6_thread_create: {
    nr: 12,
    args: [
      typed<Process>("process", "process", J6Cap.process_create_thread, "the process, with create_thread"),
      i32("entry", "the index of a boot-image program (see personality.ts: our programs are generators)"),
      i32("arg", "the thread's argument (argv[1])"),
    ] as const,
    result: "handle",
    doc: "Start a thread in the process running the boot-image program `entry`; its first thread loads the program's text and stack into the process's space.",
  },
  j6_thread_exit: { nr: 13, args: [], result: "noreturn", doc: "The calling thread ends." },
  j6_thread_sleep: {
    nr: 14,
    args: [arg.int("cycles", { min: 0, doc: "how long" })] as const,
    result: "zero",
    blocks: true,
    doc: "Sleep for the given number of cycles.",
  },
  j6_vma_create: {
    nr: 15,
    args: [
      arg.size("size", { doc: "bytes, rounded up to pages, 1..1 MiB" }),
      i32("flags", "VmaFlags"),
    ] as const,
    result: "handle",
    doc: "A VMA: a shareable range of zero-filled pages, mapped nowhere yet.",
  },
  j6_vma_create_map: {
    nr: 16,
    args: [
      arg.size("size", { doc: "bytes, rounded up to pages" }),
      arg.addr("addr", { aligned: true, doc: "where in the caller's space" }),
      i32("flags", "VmaFlags"),
    ] as const,
    result: "handle",
    doc: "Create a VMA and map it into the caller at addr.",
  },
  j6_vma_map: {
    nr: 17,
    args: [
      typed<VmaObject>("vma", "vma", J6Cap.vma_map, "the VMA, with map"),
      typed<Process>("process", "process", J6Cap.process_create_thread, "where, with create_thread"),
      arg.addr("addr", { aligned: true, doc: "page-aligned address in that process" }),
    ] as const,
    result: "zero",
    doc: "Map the VMA into the process at addr: the same frames as everywhere else it is mapped.",
  },
  j6_vma_unmap: {
    nr: 18,
    args: [
      typed<VmaObject>("vma", "vma", capBit("vma", "unmap"), "the VMA, with unmap"),
      typed<Process>("process", "process", J6Cap.process_create_thread, "from where"),
    ] as const,
    result: "zero",
    doc: "Remove the VMA from the process's space; other spaces keep it.",
  },
  j6_vma_resize: {
    nr: 19,
    args: [
      typed<VmaObject>("vma", "vma", capBit("vma", "resize"), "the VMA, with resize"),
      arg.size("size", { doc: "new bytes" }),
    ] as const,
    result: "size",
    doc: "Grow or shrink the VMA in every space it is mapped in; returns the new size in bytes.",
  },
  j6_mailbox_create: { nr: 20, args: [], result: "handle", doc: "A mailbox." },
  j6_mailbox_call: {
    nr: 21,
    args: [
      typed<MailboxObject>("mb", "mailbox", capBit("mailbox", "send"), "the mailbox, with send"),
      arg.ptr("msg", { access: "inout", len: 40, doc: "the message block (abi.ts Msg)" }),
    ] as const,
    result: "zero",
    blocks: true,
    doc: "Send the message and block until the server responds; the reply overwrites the block.",
  },
  j6_mailbox_respond: {
    nr: 22,
    args: [
      typed<MailboxObject>("mb", "mailbox", capBit("mailbox", "receive"), "the mailbox, with receive"),
      arg.ptr("msg", { access: "inout", len: 40, doc: "the message block (abi.ts Msg)" }),
      i32("timeout", "cycles to wait for the next message; -1 forever, 0 polls"),
    ] as const,
    result: "zero",
    blocks: true,
    doc: "If msg.replyTag ≠ 0, answer that call with the block; then wait for the next message into it.",
  },
  j6_event_create: { nr: 23, args: [], result: "handle", doc: "An event with 8 signal bits, all down." },
  j6_event_signal: {
    nr: 24,
    args: [
      typed<EventObject>("ev", "event", J6Cap.event_signal, "the event, with signal"),
      arg.int("set", { min: 0, max: 255, doc: "bits to raise" }),
      arg.int("clear", { min: 0, max: 255, doc: "bits to lower" }),
    ] as const,
    result: "zero",
    doc: "Raise and lower event bits; waiters whose bits rise wake.",
  },
  j6_event_wait: {
    nr: 25,
    args: [
      typed<EventObject>("ev", "event", J6Cap.wait, "the event, with wait"),
      i32("timeout", "cycles; -1 forever"),
    ] as const,
    result: "int",
    blocks: true,
    doc: "Block until a bit is up; returns the bits and lowers them (jsix's event_wait).",
  },
  j6_futex_wait: {
    nr: 26,
    args: [
      arg.addr("addr", { doc: "a 4-byte aligned word of the caller's memory" }),
      i32("expected", "sleep only while *addr == expected"),
      i32("timeout", "cycles; -1 forever"),
    ] as const,
    result: "zero",
    blocks: true,
    doc: "Sleep while the word still holds expected (the check and the sleep are one step).",
  },
  j6_futex_wake: {
    nr: 27,
    args: [
      arg.addr("addr", { doc: "the word" }),
      arg.int("count", { min: 0, doc: "how many sleepers" }),
    ] as const,
    result: "int",
    doc: "Wake up to count threads sleeping on the word (0: all); returns how many woke.",
  },
  j6_system_serial_write: {
    nr: 28,
    args: [
      typed<SystemObject>(
        "sys",
        "system",
        capBit("system", "change_iopl"),
        "the system object, with change_iopl",
      ),
      arg.ptr("buf", { access: "in", len: "len", doc: "the bytes" }),
      arg.size("len"),
    ] as const,
    result: "zero",
    doc: "Write a line to the serial console (stands for the port writes of a driver with IOPL 3).",
  },
});
