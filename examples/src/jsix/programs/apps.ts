/**
 * The demo programs: each shows one trait of the design and says what it saw (through `j6_log`:
 * its lines reach the console through srv.logger).
 *
 * | program       | shows                                                                        |
 * | ------------- | ---------------------------------------------------------------------------- |
 * | `srv.echo`    | a service: registers its mailbox with the locator (a second registration is  |
 * |               | refused: j6_status_exists), answers ECHO calls                               |
 * | `echo-client` | the locator's refusals (an unknown tag, an unknown id), then finds srv.echo  |
 * |               | through it and makes {@link ECHO_ROUNDS} round trips                         |
 * | `vma-demo`    | a VMA shared with srv.init: same frames, grown by resize in both spaces, still |
 * |               | mapped here after srv.init unmapped it from itself                           |
 * | `wait-demo`   | object_wait_many on a child process and an event: the event first, then exit |
 * | `sleeper`     | wait-demo's child: signals the event, sleeps, exits                          |
 * | `cap-demo`    | a VMA handle cloned without resize: the resize refused (j6_err_denied), the  |
 * |               | map through it allowed, the resize through the original allowed             |
 *
 * Each finds its handles with `findHandle(type, i)` in the order srv.init gave them.
 *
 * Related: `init.ts` (who builds them and gives what), `protocol.ts`.
 */
import { mem, type UserCode } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import {
  capBit,
  EVENT_SIGNAL_SHIFT,
  J6_FOREVER,
  J6_HANDLE_INVALID,
  J6Cap,
  J6ObjectType,
  J6Status,
  j6StatusName,
  Msg,
} from "../abi.js";
import { call, field, findHandle, hex, j6, log, receive, respond, scratch, word } from "../lib.js";
import { TERMINATED } from "./init.js";
import {
  ECHO_ROUNDS,
  EchoTag,
  entryOf,
  LocatorTag,
  Proto,
  SLEEPER_NAP,
  VMA_DEMO_CHILD_ADDR,
} from "./protocol.js";

const PAGE = 4096;
/** A tag the locator's protocol does not have: echo-client sends it to see the refusal. */
const UNKNOWN_TAG = 0x7f;
/** A protocol id nobody registers: echo-client looks it up to see the empty RESULT. */
const UNREGISTERED = 0xdead;
/** FINDs echo-client makes before it gives up on srv.echo, and the nap between two (cycles). */
const FIND_TRIES = 100;
const FIND_NAP = 10_000;

/** srv.echo: register with the locator, then answer ECHO(x, y) with (2x + 1, y) until QUIT. */
export function* echoMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const locator = yield* findHandle(buf, J6ObjectType.mailbox);
  const mb = yield* j6.j6_mailbox_create();
  const forLocator = yield* j6.j6_handle_clone(
    mb,
    capBit("mailbox", "send") | Right.TRANSFER | Right.DUPLICATE,
  );
  yield* call(buf, locator, LocatorTag.REGISTER, [Proto.ECHO], forLocator);
  const reg = yield* locatorStatus(buf);
  yield* log(buf, `srv.echo: registered protocol ${hex(Proto.ECHO)} with the locator: ${j6StatusName(reg)}`);
  // A second registration of the same id: refused, and the locator closes the handle it was sent.
  const again = yield* j6.j6_handle_clone(mb, capBit("mailbox", "send") | Right.TRANSFER);
  yield* call(buf, locator, LocatorTag.REGISTER, [Proto.ECHO], again);
  yield* log(
    buf,
    `srv.echo: registering ${hex(Proto.ECHO)} again: ${j6StatusName(yield* locatorStatus(buf))}`,
  );
  let served = 0;
  let r = yield* receive(buf, mb);
  while (r === 0) {
    const tag = yield* field(buf, Msg.TAG);
    if (tag === EchoTag.QUIT) {
      yield* respond(buf, mb, EchoTag.REPLY, [served], -1, 0);
      break;
    }
    const x = yield* word(buf, 0);
    const y = yield* word(buf, 1);
    served++;
    r = yield* respond(buf, mb, EchoTag.REPLY, [2 * x + 1, y]);
  }
  yield* log(buf, `srv.echo: served ${served} calls; exiting`);
  return 0;
}

/** The status a locator's STATUS reply carries (in the message block), or j6_err_unexpected for another tag. */
function* locatorStatus(buf: number): UserCode<number> {
  if ((yield* field(buf, Msg.TAG)) !== LocatorTag.STATUS) return -J6Status.err_unexpected;
  return yield* word(buf, 0);
}

/** A FIND of `proto` at the locator: the handle it answered with, or -1 (none, or not a RESULT). */
function* find(buf: number, locator: number, proto: number): UserCode<number> {
  const r = yield* call(buf, locator, LocatorTag.FIND, [proto]);
  if (r !== 0 || (yield* field(buf, Msg.TAG)) !== LocatorTag.RESULT) return J6_HANDLE_INVALID;
  return yield* field(buf, Msg.HANDLE);
}

/**
 * echo-client: a tag the locator does not know (refused, the locator serves on), a FIND of an id
 * nobody registered (no handle), a FIND of srv.echo; then ECHO_ROUNDS calls, each answer checked;
 * then QUIT srv.echo.
 */
export function* echoClientMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const locator = yield* findHandle(buf, J6ObjectType.mailbox);
  yield* call(buf, locator, UNKNOWN_TAG, []);
  const refused = yield* locatorStatus(buf);
  const nobody = yield* find(buf, locator, UNREGISTERED);
  yield* log(
    buf,
    `echo-client: tag ${hex(UNKNOWN_TAG)} at the locator -> ${j6StatusName(refused)}; FIND ${hex(UNREGISTERED)} -> ${nobody === J6_HANDLE_INVALID ? "no handle" : `handle ${hex(nobody)}`}`,
  );
  // srv.echo starts beside us and may not have registered yet: try again after a nap, as jsix's
  // srv.logger does when it looks up the uart driver's stream (100 tries, 10 ms apart).
  let echo = J6_HANDLE_INVALID;
  for (let i = 0; i < FIND_TRIES && echo === J6_HANDLE_INVALID; i++) {
    if (i > 0) yield* j6.j6_thread_sleep(FIND_NAP);
    echo = yield* find(buf, locator, Proto.ECHO);
  }
  yield* log(
    buf,
    `echo-client: FIND ${hex(Proto.ECHO)} -> ${echo === J6_HANDLE_INVALID ? "no handle" : `handle ${hex(echo)}`}`,
  );
  if (echo === J6_HANDLE_INVALID) return 1;
  let trips = 0;
  let wrong = 0;
  for (let i = 0; i < ECHO_ROUNDS; i++) {
    if ((yield* call(buf, echo, EchoTag.ECHO, [i, 1000 + i])) === 0) trips++;
    if ((yield* word(buf, 0)) !== 2 * i + 1 || (yield* word(buf, 1)) !== 1000 + i) wrong++;
  }
  yield* log(
    buf,
    `echo-client: ${trips} round trips with srv.echo, ${wrong === 0 ? "every answer right" : `${wrong} wrong answers`}`,
  );
  yield* call(buf, echo, EchoTag.QUIT, []);
  yield* j6.j6_handle_close(echo);
  return wrong === 0 && trips === ECHO_ROUNDS ? 0 : 1;
}

/** vma-demo: its half of srv.init's shared-VMA demo (init.ts `vmaDemo`). */
export function* vmaDemoMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const vma = yield* findHandle(buf, J6ObjectType.vma, 0); // srv.init's: given before this scratch VMA
  if (vma < 0) return 1;
  const wrote = yield* findHandle(buf, J6ObjectType.event, 0);
  const unmapped = yield* findHandle(buf, J6ObjectType.event, 1);
  const seen = yield* mem.load32(VMA_DEMO_CHILD_ADDR);
  yield* mem.store32(VMA_DEMO_CHILD_ADDR + 4, 0xcafe_0001);
  const grown = yield* j6.j6_vma_resize(vma, 2 * PAGE);
  yield* mem.store32(VMA_DEMO_CHILD_ADDR + PAGE, 0xcafe_0002);
  yield* log(
    buf,
    `vma-demo: at ${hex(VMA_DEMO_CHILD_ADDR)} reads ${hex(seen)} written by srv.init; wrote 0xcafe0001; resize to ${grown} bytes; wrote 0xcafe0002 on page 1`,
  );
  yield* j6.j6_event_signal(wrote, 1, 0);
  yield* j6.j6_event_wait(unmapped, J6_FOREVER);
  const still = yield* mem.load32(VMA_DEMO_CHILD_ADDR + 4);
  yield* log(buf, `vma-demo: srv.init unmapped it; here it is still mapped: reads ${hex(still)}`);
  return seen === 0x600d_f00d && still === 0xcafe_0001 && grown === 2 * PAGE ? 0 : 1;
}

/** wait-demo: a child (sleeper) and an event; object_wait_many on both, twice. */
export function* waitDemoMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const ev = yield* j6.j6_event_create();
  const child = yield* j6.j6_process_create();
  const forChild = yield* j6.j6_handle_clone(ev, J6Cap.event_signal | Right.DUPLICATE | Right.TRANSFER);
  yield* j6.j6_process_give_handle(child, forChild);
  yield* j6.j6_handle_close(forChild);
  const th = yield* j6.j6_thread_create(child, entryOf("sleeper"), 0);
  yield* j6.j6_handle_close(th);
  const list = buf + 64;
  const out = buf + 72;
  yield* mem.store32(list, child);
  yield* mem.store32(list + 4, ev);
  const bit0 = 1 << EVENT_SIGNAL_SHIFT;
  const first = yield* j6.j6_object_wait_many(list, 2, TERMINATED | bit0, out, J6_FOREVER);
  const firstSig = yield* mem.load32(out);
  yield* log(
    buf,
    `wait-demo: object_wait_many([child, event]) -> index ${first} (${first === 1 ? "the event" : "the child"}), signals ${hex(firstSig)}`,
  );
  yield* j6.j6_event_wait(ev, 0); // take the bit
  const second = yield* j6.j6_object_wait_many(list, 2, TERMINATED | bit0, out, J6_FOREVER);
  const secondSig = yield* mem.load32(out);
  yield* log(
    buf,
    `wait-demo: again -> index ${second} (${second === 0 ? "the child exited" : "the event"}), signals ${hex(secondSig)}`,
  );
  yield* j6.j6_handle_close(child);
  yield* j6.j6_handle_close(ev);
  return first === 1 && second === 0 ? 0 : 1;
}

/** sleeper: nap, raise event bit 0, nap, exit. */
export function* sleeperMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const ev = yield* findHandle(buf, J6ObjectType.event);
  yield* j6.j6_thread_sleep(SLEEPER_NAP);
  yield* j6.j6_event_signal(ev, 1, 0);
  yield* j6.j6_thread_sleep(SLEEPER_NAP);
  return 0;
}

/** cap-demo: clone a VMA handle without resize; the refused call changes nothing. */
export function* capDemoMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const self = yield* findHandle(buf, J6ObjectType.process);
  const vma = yield* j6.j6_vma_create(PAGE, 1);
  const weak = yield* j6.j6_handle_clone(vma, ~capBit("vma", "resize"));
  const r1 = yield* j6.j6_vma_resize(weak, 2 * PAGE);
  yield* log(
    buf,
    `cap-demo: handle ${hex(weak)} cloned from ${hex(vma)} without resize: vma_resize -> ${j6StatusName(r1)}`,
  );
  const r2 = yield* j6.j6_vma_map(weak, self, 0x3800_0000);
  const r3 = yield* j6.j6_vma_resize(vma, 2 * PAGE);
  yield* log(
    buf,
    `cap-demo: vma_map through it -> ${j6StatusName(r2)}; vma_resize through the original -> ${r3} bytes (it was 1 page: the refusal changed nothing)`,
  );
  return r1 < 0 && r2 === 0 && r3 === 2 * PAGE ? 0 : 1;
}
