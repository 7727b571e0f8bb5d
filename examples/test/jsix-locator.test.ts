// srv.init's service locator (examples/src/jsix/programs/init.ts) against the rules of jsix's
// srv.init/service_locator.cpp, each request made by a probe process that runs the locator as its
// own second thread; and the whole demo over any seed, CPU count and policy: echo-client always
// finds srv.echo (it retries while srv.echo has not registered yet), nothing leaks.
import { Kernel, type ProcessStart, ProgramRegistry, type UserCode } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { BuddyAllocator } from "@osbricks/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capBit,
  J6_FOREVER,
  J6_HANDLE_INVALID,
  J6ObjectType,
  J6Status,
  j6StatusName,
  Msg,
} from "../src/jsix/abi.js";
import { bootJsix } from "../src/jsix/boot.js";
import { JSIX_PROGRAMS } from "../src/jsix/kernel.js";
import { call, field, findHandle, j6, scratch, word } from "../src/jsix/lib.js";
import { type JsixState, jsixPersonality } from "../src/jsix/personality.js";
import { TERMINATED } from "../src/jsix/programs/init.js";
import { InitRole, LocatorTag } from "../src/jsix/programs/protocol.js";

interface Reply {
  /** The reply's tag, or the call's (negative) status if the call failed. */
  readonly tag: number;
  /** data[0]: a STATUS reply's status. */
  readonly status: number;
  readonly handle: number;
}

/** One request: tag, data words, and whether a handle goes with it (a send clone of a mailbox of the probe's). */
type Request = readonly [tag: number, words: readonly number[], withHandle: boolean | "no-clone"];

/** Run `requests` against a locator thread of the probe's own process; each reply, and the run's end. */
function probeLocator(requests: readonly Request[]): {
  replies: Reply[];
  outcome: string;
  leaks: readonly string[];
} {
  const replies: Reply[] = [];
  /** The requests, from a process of their own (a service's handle moves between processes). */
  function* client(): UserCode<number> {
    const buf = yield* scratch(0);
    const locator = yield* findHandle(buf, J6ObjectType.mailbox);
    const service = yield* j6.j6_mailbox_create(); // what gets registered
    for (const [tag, words, withHandle] of requests) {
      const caps = capBit("mailbox", "send") | Right.TRANSFER | (withHandle === true ? Right.DUPLICATE : 0);
      const h = withHandle === false ? J6_HANDLE_INVALID : yield* j6.j6_handle_clone(service, caps);
      const r = yield* call(buf, locator, tag, words, h);
      replies.push({
        tag: r === 0 ? yield* field(buf, Msg.TAG) : r,
        status: yield* word(buf, 0),
        handle: yield* field(buf, Msg.HANDLE),
      });
    }
    return 0;
  }
  /** srv.init's part: the locator's mailbox and thread, the client, then QUIT. */
  function* probe(): UserCode<number> {
    const buf = yield* scratch(0);
    const mb = yield* j6.j6_mailbox_create(); // the first mailbox of the process: the locator serves it
    const self = yield* findHandle(buf, J6ObjectType.process);
    const locator = yield* j6.j6_thread_create(self, 0, InitRole.LOCATOR);
    const p = yield* j6.j6_process_create();
    const c = yield* j6.j6_handle_clone(mb, capBit("mailbox", "send") | Right.DUPLICATE | Right.TRANSFER);
    yield* j6.j6_process_give_handle(p, c);
    yield* j6.j6_handle_close(c);
    yield* j6.j6_handle_close(yield* j6.j6_thread_create(p, 1, 0));
    yield* j6.j6_object_wait(p, TERMINATED, J6_FOREVER);
    yield* call(buf, mb, LocatorTag.QUIT, []);
    yield* j6.j6_object_wait(locator, TERMINATED, J6_FOREVER);
    for (const h of [p, locator, mb]) yield* j6.j6_handle_close(h);
    return 0;
  }
  // A thread runs its process's program: the probe is srv.init's main thread, its locator thread
  // srv.init's own code.
  const reg = new ProgramRegistry();
  reg.register({
    name: "srv.init",
    main: (start: ProcessStart) =>
      Number(start.argv[1]) === InitRole.LOCATOR ? JSIX_PROGRAMS["srv.init"](start) : probe(),
  });
  reg.register({ name: "client", main: client });
  let state: JsixState | null = null;
  const k = new Kernel({
    programs: reg,
    cpus: 1,
    allocator: ({ frames }) => new BuddyAllocator({ frames }),
    personality: jsixPersonality({ programs: ["srv.init", "client"], serial: () => {} }, (s) => {
      state = s;
    }),
  });
  const root = k.boot("srv.init", ["srv.init", "0"]);
  (state as JsixState | null)?.adopt(root); // a jsix process, as boot.ts makes srv.init
  const r = k.run({ maxSteps: 1_000_000 });
  (state as JsixState | null)?.checkInvariants();
  return { replies, outcome: r.outcome, leaks: r.outcome === "all-exited" ? k.resourceLeaks() : [] };
}

const { REGISTER, FIND, STATUS, RESULT } = LocatorTag;

describe("the service locator (the rules of jsix's service_locator.cpp)", () => {
  it("REGISTER answers STATUS ok and keeps the handle; FIND answers RESULT with a clone of it", () => {
    const r = probeLocator([
      [REGISTER, [0x11], true],
      [FIND, [0x11], false],
      [FIND, [0x11], false], // the locator keeps its handle: a second FIND gets another clone
    ]);
    expect(r.outcome).toBe("all-exited");
    expect(r.replies[0]).toMatchObject({ tag: STATUS, status: 0 });
    for (const f of r.replies.slice(1)) expect(f.tag).toBe(RESULT);
    expect(r.replies[1]!.handle).toBeGreaterThan(0);
    expect(r.replies[2]!.handle).toBeGreaterThan(0);
    expect(r.leaks).toEqual([]);
  });

  it("REGISTER without a handle is j6_err_invalid_arg and registers nothing", () => {
    const r = probeLocator([
      [REGISTER, [0x11], false],
      [FIND, [0x11], false],
    ]);
    expect(r.replies[0]).toMatchObject({ tag: STATUS, status: -J6Status.err_invalid_arg });
    expect(r.replies[1]).toMatchObject({ tag: RESULT, handle: J6_HANDLE_INVALID });
  });

  it("a second REGISTER of an id is j6_status_exists: the first stays, the second handle is closed, nothing leaks", () => {
    const r = probeLocator([
      [REGISTER, [0x11], true],
      [REGISTER, [0x11], true],
      [REGISTER, [0x22], true], // another id is still free
    ]);
    expect(r.replies.map((x) => [x.tag, j6StatusName(x.status)])).toEqual([
      [STATUS, "j6_status_ok"],
      [STATUS, "j6_status_exists"],
      [STATUS, "j6_status_ok"],
    ]);
    expect(r.outcome).toBe("all-exited");
    expect(r.leaks).toEqual([]);
  });

  it("a handle registered without clone cannot be handed out: FIND answers RESULT without a handle", () => {
    const r = probeLocator([
      [REGISTER, [0x11], "no-clone"],
      [FIND, [0x11], false],
    ]);
    expect(r.replies[0]).toMatchObject({ tag: STATUS, status: 0 });
    expect(r.replies[1]).toMatchObject({ tag: RESULT, handle: J6_HANDLE_INVALID });
    expect(r.leaks).toEqual([]);
  });

  it("FIND of an unknown id answers RESULT without a handle (jsix: status ok, handle invalid)", () => {
    const r = probeLocator([[FIND, [0xdead], false]]);
    expect(r.replies[0]).toMatchObject({ tag: RESULT, handle: J6_HANDLE_INVALID });
  });

  it("an unknown tag is j6_err_invalid_arg and the locator serves on (it used to stop)", () => {
    const r = probeLocator([
      [0x7f, [], false],
      [REGISTER, [0x11], true],
      [FIND, [0x11], false],
    ]);
    expect(r.replies[0]).toMatchObject({ tag: STATUS, status: -J6Status.err_invalid_arg });
    expect(r.replies[1]).toMatchObject({ tag: STATUS, status: 0 });
    expect(r.replies[2]!.tag).toBe(RESULT);
    expect(r.replies[2]!.handle).toBeGreaterThan(0);
    expect(r.outcome).toBe("all-exited");
  });
});

describe("the demo's locator traffic over any machine", () => {
  it("echo-client always finds srv.echo, whichever runs first; every run ends with nothing leaked", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom("rr", "cfs", "mlfq", "stride"),
        (seed, cpus, policy) => {
          let out = "";
          const sys = bootJsix({ seed, cpus, mem: 64 * 2 ** 20, policy }, (t) => {
            out += t;
          });
          const s = sys.summary();
          expect(s.outcome).toBe("all-exited");
          expect(s.leaks).toEqual([]);
          expect(out).toMatch(/echo-client: FIND 0xec40 -> handle 0x[0-9a-f]+$/m);
          expect(out).toMatch(/echo-client: 8 round trips with srv\.echo, every answer right/);
          expect(out).toMatch(/srv\.echo: registering 0xec40 again: j6_status_exists$/m);
        },
      ),
      { numRuns: 50 },
    );
  });
});
