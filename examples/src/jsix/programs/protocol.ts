/**
 * What the jsix-like kernel's programs agree on: the boot image (initrd) in entry order — the
 * numbers `j6_thread_create` takes —, the service locator's protocol, the demo service's, and the
 * addresses the demos map VMAs at.
 *
 * ```
 *   entry  program       role
 *   ─────  ────────────  ───────────────────────────────────────────────────────────────
 *   0      srv.init      first process: builds the others; its second thread is the locator
 *   1      srv.logger    drains the kernel log (system has_log) to the serial console
 *   2      srv.echo      a service: registers with the locator, answers ECHO calls
 *   3      echo-client   finds srv.echo through the locator, counts round trips
 *   4      vma-demo      a VMA shared with srv.init: same frames, unmap, resize
 *   5      wait-demo     object_wait_many on a child process and an event
 *   6      sleeper       wait-demo's child: signals the event, sleeps, exits
 *   7      cap-demo      a handle cloned without resize: j6_err_denied
 *   8      channel-demo  the user-space channel library (`../lib/channel/`): a producer and the
 *                        consumer it builds stream 64 messages through two shared VMAs
 * ```
 *
 * {@link INITRD} is the one list: the boot log prints it, `../kernel.ts` registers its programs
 * in its order, and every entry number is {@link entryOf} a name in it — none is written by hand,
 * so appending a program cannot shift another's.
 *
 * Related: `init.ts`, `../kernel.ts` (registers the programs).
 */

/** The boot image, in entry order (see the banner): a program's entry is its index here. */
export const INITRD = [
  "srv.init",
  "srv.logger",
  "srv.echo",
  "echo-client",
  "vma-demo",
  "wait-demo",
  "sleeper",
  "cap-demo",
  "channel-demo",
] as const;

/** The name of a program of the boot image. */
export type InitrdName = (typeof INITRD)[number];

/**
 * A program's entry number: its index in {@link INITRD}, what `j6_thread_create` takes.
 * @example entryOf("srv.logger") // 1
 */
export function entryOf(name: InitrdName): number {
  return INITRD.indexOf(name);
}

/** srv.init's thread roles (`j6_thread_create`'s arg for srv.init's own program). */
export const InitRole = { MAIN: 0, LOCATOR: 1 } as const;

/**
 * The service locator's message tags (jsix's `j6_proto_sl_*` and `j6_proto_base_status`). The
 * layout follows jsix's `srv.init/service_locator.cpp`: one data word (the protocol id), at most
 * one handle.
 *
 * ```
 *   request                          reply
 *   ───────────────────────────────  ─────────────────────────────────────────────────────────────
 *   REGISTER  data[0]=id, handle=H   STATUS data[0]=0 (ok): the locator keeps H
 *                                    STATUS -j6_err_invalid_arg: no handle came with it
 *                                    STATUS -j6_status_exists: id taken; H is closed (first wins)
 *   FIND      data[0]=id             RESULT handle = a clone of H (send|transfer), or none (-1)
 *   QUIT      (srv.init only)        STATUS 0; the locator thread exits
 *   any other tag                    STATUS -j6_err_invalid_arg; the locator goes on
 * ```
 */
export const LocatorTag = {
  /** data[0] = protocol id; the message's handle = the service's mailbox. Reply: STATUS. */
  REGISTER: 1,
  /** data[0] = protocol id. Reply: RESULT with a handle, or with none for an unknown id. */
  FIND: 2,
  /** srv.init's main thread to the locator thread: stop (ours; jsix's locator never stops). */
  QUIT: 3,
  /** A reply whose data[0] is a j6 status: 0 or `-J6Status.x` (jsix's `j6_proto_base_status`). */
  STATUS: 0x10,
  /** FIND's reply: the handle found, or none (jsix's `j6_proto_sl_result`). */
  RESULT: 0x11,
} as const;

/** Protocol ids services register under (jsix uses 64-bit hashes of names; ours are small). */
export const Proto = { ECHO: 0xec40 } as const;

/** srv.echo's tags. */
export const EchoTag = { ECHO: 1, QUIT: 2, REPLY: 0x21 } as const;

/** Where srv.init maps the shared VMA in its own space, and where vma-demo sees it. */
export const VMA_DEMO_INIT_ADDR = 0x2100_0000;
/** Where srv.init maps the VMA into vma-demo (a different address: the same frames). */
export const VMA_DEMO_CHILD_ADDR = 0x3000_0000;
/** Round trips echo-client makes. */
export const ECHO_ROUNDS = 8;
/** How long the sleeper sleeps before signalling, and again before exiting (cycles). */
export const SLEEPER_NAP = 20_000;
