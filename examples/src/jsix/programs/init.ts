/**
 * srv.init: the first process. The kernel starts it with two handles — the system object (every
 * capability) and itself — and the boot image's program list (the initrd, `protocol.ts`). Like
 * jsix's srv.init it builds every other process from outside, gives each the handles it needs
 * and nothing more, and runs the service locator, a mailbox where services register by protocol
 * id and clients look them up:
 *
 * ```
 *   srv.init ── main thread ─────────────────────────────────────────────────────────────────
 *     logger  = process_create; give(clone(sys, get_log|change_iopl|wait|transfer)),
 *               give(clone(stop, wait|transfer)); thread_create(logger, srv.logger)
 *     L       = mailbox_create; thread_create(self, srv.init, LOCATOR) ─▶ locator thread
 *     demos, one after the other, each built the same way, each waited for (object_wait on
 *       the process's `terminated`), each handle closed after
 *     QUIT to the locator; raise stop; wait for the logger; exit
 *   srv.init ── locator thread: respond loop on L
 *     REGISTER(proto, handle) → keep the handle (first wins);  FIND(proto) → a clone (send|transfer)
 * ```
 *
 * Related: `protocol.ts`, `logger.ts`, `apps.ts`, docs/tour-jsix.md.
 */
import { mem, type ProcessStart, type UserCode } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import {
  capBit,
  J6_FOREVER,
  J6_HANDLE_INVALID,
  J6Cap,
  J6ObjectType,
  J6Status,
  j6StatusName,
  Msg,
} from "../abi.js";
import {
  call,
  field,
  findHandle,
  handleList,
  hex,
  j6,
  log,
  receive,
  respond,
  scratch,
  word,
} from "../lib.js";
import {
  entryOf,
  InitRole,
  type InitrdName,
  LocatorTag,
  VMA_DEMO_CHILD_ADDR,
  VMA_DEMO_INIT_ADDR,
} from "./protocol.js";

const PAGE = 4096;
/** The process signal `terminated` (its type signal 0: bit 8). */
export const TERMINATED = 1 << 8;

/** srv.init's main: the builder (role MAIN) or the locator thread (role LOCATOR). */
export function* initMain(start: ProcessStart): UserCode<number> {
  if (Number(start.argv[1] ?? InitRole.MAIN) === InitRole.LOCATOR) return yield* locator();
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const sys = yield* findHandle(buf, J6ObjectType.system);
  const self = yield* findHandle(buf, J6ObjectType.process);
  yield* log(buf, `srv.init: system handle ${hex(sys)}, self ${hex(self)}; starting srv.logger`);

  // srv.logger: the system object with only what a log pump needs.
  const stop = yield* j6.j6_event_create();
  const logger = yield* j6.j6_process_create();
  yield* give(logger, sys, capBit("system", "get_log") | capBit("system", "change_iopl") | Right.WAIT);
  yield* give(logger, stop, Right.WAIT);
  const loggerThread = yield* j6.j6_thread_create(logger, entryOf("srv.logger"), 0);
  yield* j6.j6_handle_close(loggerThread);

  // The service locator: a mailbox, served by a second thread of this process.
  const locatorMb = yield* j6.j6_mailbox_create();
  const locatorThread = yield* j6.j6_thread_create(self, entryOf("srv.init"), InitRole.LOCATOR);
  yield* log(
    buf,
    `srv.init: service locator on mailbox ${hex(locatorMb)} (thread handle ${hex(locatorThread)})`,
  );

  // The mailbox demo: srv.echo registers with the locator, echo-client finds it there.
  const sendOnly = capBit("mailbox", "send");
  const echo = yield* build(buf, "srv.echo", [[locatorMb, sendOnly]]);
  const client = yield* build(buf, "echo-client", [[locatorMb, sendOnly]]);
  yield* finish(buf, client, "echo-client");
  yield* finish(buf, echo, "srv.echo");

  yield* vmaDemo(buf, self);
  yield* finish(buf, yield* build(buf, "wait-demo", []), "wait-demo");
  yield* finish(buf, yield* build(buf, "cap-demo", []), "cap-demo");
  yield* finish(buf, yield* build(buf, "channel-demo", []), "channel-demo");

  // Shut down: the locator, then the logger (after it has drained the log).
  yield* call(buf, locatorMb, LocatorTag.QUIT, []);
  yield* j6.j6_object_wait(locatorThread, TERMINATED, J6_FOREVER);
  yield* j6.j6_handle_close(locatorThread);
  yield* j6.j6_handle_close(locatorMb);
  yield* log(buf, "srv.init: every demo done; stopping srv.logger");
  yield* j6.j6_event_signal(stop, 1, 0);
  yield* j6.j6_object_wait(logger, TERMINATED, J6_FOREVER);
  yield* j6.j6_handle_close(logger);
  yield* j6.j6_handle_close(stop);
  return 0;
}

/** Give `p` a clone of `h` carrying only `caps` (plus clone and transfer, which giving needs); close the clone. */
function* give(p: number, h: number, caps: number): UserCode<number> {
  const c = yield* j6.j6_handle_clone(h, caps | Right.DUPLICATE | Right.TRANSFER);
  if (c < 0) return c;
  const r = yield* j6.j6_process_give_handle(p, c);
  yield* j6.j6_handle_close(c);
  return r;
}

/** Build a process running `name`: empty, then the handles (each a clone with `caps`), then its thread. */
function* build(
  buf: number,
  name: InitrdName,
  handles: readonly (readonly [number, number])[],
): UserCode<number> {
  const p = yield* j6.j6_process_create();
  for (const [h, caps] of handles) yield* give(p, h, caps);
  const th = yield* j6.j6_thread_create(p, entryOf(name), 0);
  yield* j6.j6_handle_close(th);
  const koid = yield* j6.j6_object_koid(p);
  yield* log(buf, `srv.init: started ${name} (process koid ${hex(koid)}, ${handles.length} handle(s) given)`);
  return p;
}

/** Wait until process `p` has exited, then close its handle: the process object ends. */
function* finish(buf: number, p: number, name: string): UserCode<void> {
  const sig = yield* j6.j6_object_wait(p, TERMINATED, J6_FOREVER);
  yield* j6.j6_handle_close(p);
  yield* log(buf, `srv.init: ${name} exited (signals ${hex(sig)}); its handle closed`);
}

/**
 * The shared-VMA demo, srv.init's half: one page written here, mapped into vma-demo at another
 * address; vma-demo writes and grows it; srv.init reads both pages through its own mapping, then
 * unmaps it from itself while vma-demo keeps reading its own.
 */
function* vmaDemo(buf: number, self: number): UserCode<void> {
  const vma = yield* j6.j6_vma_create_map(PAGE, VMA_DEMO_INIT_ADDR, 1);
  yield* mem.store32(VMA_DEMO_INIT_ADDR, 0x600d_f00d);
  const wrote = yield* j6.j6_event_create(); //  vma-demo → srv.init: "I wrote and grew it"
  const unmapped = yield* j6.j6_event_create(); // srv.init → vma-demo: "I unmapped mine"
  const p = yield* j6.j6_process_create();
  const m = yield* j6.j6_vma_map(vma, p, VMA_DEMO_CHILD_ADDR);
  yield* give(p, vma, capBit("vma", "resize"));
  yield* give(p, wrote, J6Cap.event_signal);
  yield* give(p, unmapped, Right.WAIT);
  const th = yield* j6.j6_thread_create(p, entryOf("vma-demo"), 0);
  yield* j6.j6_handle_close(th);
  yield* log(
    buf,
    `srv.init: VMA ${hex(vma)} mapped here at ${hex(VMA_DEMO_INIT_ADDR)} and into vma-demo at ${hex(VMA_DEMO_CHILD_ADDR)}: ${j6StatusName(m)}`,
  );
  yield* j6.j6_event_wait(wrote, J6_FOREVER);
  const w1 = yield* mem.load32(VMA_DEMO_INIT_ADDR + 4);
  const w2 = yield* mem.load32(VMA_DEMO_INIT_ADDR + PAGE);
  yield* log(
    buf,
    `srv.init: through its own mapping reads ${hex(w1)} (page 0) and ${hex(w2)} (page 1, grown by vma-demo's resize): the same frames`,
  );
  const u = yield* j6.j6_vma_unmap(vma, self);
  yield* log(buf, `srv.init: unmapped the VMA from itself: ${j6StatusName(u)}`);
  yield* j6.j6_event_signal(unmapped, 1, 0);
  yield* finish(buf, p, "vma-demo");
  for (const h of [vma, wrote, unmapped]) yield* j6.j6_handle_close(h);
}

/**
 * The service locator thread of srv.init, on the first mailbox srv.init made (the protocol:
 * `LocatorTag` in `protocol.ts`). Differences from jsix's, each on purpose:
 * - a second REGISTER of an id is refused with `j6_status_exists` and its handle closed; jsix's
 *   map inserts it beside the first (answering ok), where a FIND never reaches it — the first wins
 *   there too, and its handle leaks (its source says the map "should be a multimap");
 * - FIND hands out a clone with send and transfer only; jsix sends the registered handle itself
 *   (so a service must register a handle with clone, or FIND finds no handle to give);
 * - QUIT stops it, so that the demo can end with nothing alive; jsix's locator runs forever.
 */
function* locator(): UserCode<number> {
  const buf = yield* scratch(1);
  if (buf < 0) return 1;
  const mb = yield* findHandle(buf, J6ObjectType.mailbox);
  const services = new Map<number, number>();
  let r = yield* receive(buf, mb);
  while (r === 0) {
    const tag = yield* field(buf, Msg.TAG);
    const proto = yield* word(buf, 0);
    if (tag === LocatorTag.REGISTER) {
      const h = yield* field(buf, Msg.HANDLE);
      let status = 0;
      if (h === J6_HANDLE_INVALID) status = -J6Status.err_invalid_arg;
      else if (services.has(proto)) {
        status = -J6Status.exists;
        yield* j6.j6_handle_close(h); // first wins; the second's handle is not kept
      } else services.set(proto, h);
      yield* log(buf, `srv.init/locator: REGISTER ${hex(proto)}: ${j6StatusName(status)}`);
      r = yield* respond(buf, mb, LocatorTag.STATUS, [status]);
    } else if (tag === LocatorTag.FIND) {
      const h = services.get(proto);
      const c =
        h === undefined
          ? J6_HANDLE_INVALID
          : yield* j6.j6_handle_clone(h, capBit("mailbox", "send") | Right.TRANSFER);
      r = yield* respond(buf, mb, LocatorTag.RESULT, [], c < 0 ? J6_HANDLE_INVALID : c);
    } else if (tag === LocatorTag.QUIT) {
      yield* respond(buf, mb, LocatorTag.STATUS, [0], J6_HANDLE_INVALID, 0); // answer, wait for nothing
      break;
    } else {
      yield* log(buf, `srv.init/locator: unknown tag ${hex(tag)}: j6_err_invalid_arg`);
      r = yield* respond(buf, mb, LocatorTag.STATUS, [-J6Status.err_invalid_arg]);
    }
  }
  for (const h of services.values()) yield* j6.j6_handle_close(h);
  const left = (yield* handleList(buf)).length;
  yield* log(
    buf,
    `srv.init/locator: stopping (${services.size} service(s) forgotten, srv.init holds ${left} handles)`,
  );
  return yield* j6.j6_thread_exit();
}
