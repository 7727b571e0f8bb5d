// A grinder for the jsix personality (xv6's grind.c in spirit): several processes — the bench's
// first one, two empty-then-started children and a second thread of the first — make shaped
// random j6_* calls through the dispatcher. Arguments are mostly the caller's own live handles
// (any type, so wrong-type refusals come free), sometimes stale (closed) handles, random cap
// masks, the caller's scratch page, and odd integers. After every trap:
//   - the kernel did not throw, and the result is a j6 status, a value, BLOCKED or NORETURN;
//   - JsixState.checkInvariants() holds;
//   - a refusal (j6_err_invalid_arg / denied / insufficient / not_ready, would_block) changed
//     nothing the bench's snapshot sees (handle tables, areas, objects, VMA mappings, counters).
// Direct dispatch has no running thread, so a call that would park its caller is made as a poll
// (timeout 0) and j6_mailbox_call / j6_thread_sleep are left to the running-kernel tests
// (jsix-lifetime, jsix-timeouts).
// Every call's successful path is counted and a floor asserted, so the grinder provably reaches
// the handlers' bodies and not only the dispatcher's refusals.
import { SYSCALL_BLOCKED, SYSCALL_NORETURN, type Thread } from "@osbricks/kernel";
import { PROT_READ, PROT_WRITE } from "@osbricks/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { J6Status, jsixSyscalls } from "../src/jsix/abi.js";
import { benchEntry, jbench, PAGE, SCRATCH } from "./jsix-harness.js";

/** Calls that can park the caller: direct dispatch has no running thread, so these only poll. */
const TIMEOUT_ARG: Partial<Record<Name, number>> = {
  j6_object_wait: 2,
  j6_object_wait_many: 4,
  j6_mailbox_respond: 2,
  j6_event_wait: 1,
  j6_futex_wait: 2,
};
/** Calls that always park (or may end a caller): left to the running-kernel tests. */
const PARKING = new Set<Name>(["j6_mailbox_call", "j6_thread_sleep"]);

type Name = keyof typeof jsixSyscalls.decls;
const NAMES = Object.keys(jsixSyscalls.decls) as Name[];
/** Calls that would end a caller outright; made only by non-root threads, and rarely. */
const ENDINGS = new Set<Name>(["j6_process_exit", "j6_thread_exit"]);
const CODES = new Set<number>(Object.values(J6Status).map((c) => -c));
const REFUSALS = new Set<number>(
  [
    J6Status.err_invalid_arg,
    J6Status.err_denied,
    J6Status.err_insufficient,
    J6Status.err_not_ready,
    J6Status.would_block,
    J6Status.exists,
  ].map((c) => -c),
);

/** What the grinder reads of a declared argument. */
interface Decl {
  readonly name: string;
  readonly kind: string;
  readonly objectType?: string;
}

type Arg =
  | { readonly kind: "live"; readonly i: number }
  | { readonly kind: "stale"; readonly i: number }
  | { readonly kind: "mask"; readonly v: number }
  | { readonly kind: "addr"; readonly off: number }
  | { readonly kind: "map"; readonly page: number }
  | { readonly kind: "lit"; readonly v: number };

interface Step {
  readonly caller: number;
  readonly name: Name;
  readonly args: readonly Arg[];
}

const argArb: fc.Arbitrary<Arg> = fc.oneof(
  { arbitrary: fc.nat(31).map((i) => ({ kind: "live" as const, i })), weight: 6 },
  { arbitrary: fc.nat(15).map((i) => ({ kind: "stale" as const, i })), weight: 1 },
  { arbitrary: fc.integer().map((v) => ({ kind: "mask" as const, v })), weight: 1 },
  {
    arbitrary: fc.constantFrom(0, 4, 64, PAGE - 40).map((off) => ({ kind: "addr" as const, off })),
    weight: 2,
  },
  { arbitrary: fc.nat(7).map((page) => ({ kind: "map" as const, page })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(-2, -1, 0, 1, 2, 3, 7, 100, PAGE, 3 * PAGE, 2 ** 31 - 1, -(2 ** 31))
      .map((v) => ({ kind: "lit" as const, v })),
    weight: 2,
  },
);

const stepArb: fc.Arbitrary<Step> = fc.record({
  caller: fc.nat(3),
  name: fc.oneof(
    { arbitrary: fc.constantFrom(...NAMES), weight: 3 },
    // the calls whose valid path needs two right arguments at once, a little more often
    {
      arbitrary: fc.constantFrom<Name>(
        "j6_object_wait",
        "j6_object_wait_many",
        "j6_vma_map",
        "j6_vma_unmap",
        "j6_process_give_handle",
        "j6_system_serial_write",
        "j6_thread_create",
        "j6_event_signal",
      ),
      weight: 1,
    },
  ),
  args: fc.array(argArb, { minLength: 5, maxLength: 5 }),
});

/** A small VMA, a mailbox and an event for every caller at the start, so valid paths are near. */
function busyBench() {
  const b = jbench();
  const self = b.root.handleTable.list().find((h) => h.type === "process")!.handle;
  const callers: Thread[] = [b.rootThread];
  for (let i = 0; i < 2; i++) {
    const p = b.call("j6_process_create", []);
    const th = b.call("j6_thread_create", [p, benchEntry("t"), i]);
    expect(th).toBeGreaterThan(0);
    const proc = b.root.handleTable.lookup(p, null, 0);
    if (proc.kind !== "ok") throw new Error("no process");
    const child = proc.object as typeof b.root;
    child.vm.map({
      length: PAGE,
      prot: PROT_READ | PROT_WRITE,
      placement: { kind: "fixed", va: SCRATCH, replace: false },
      name: "[scratch]",
    });
    callers.push(child.threads[0]!);
  }
  expect(b.call("j6_thread_create", [self, benchEntry("t"), 9])).toBeGreaterThan(0);
  callers.push(b.root.threads[1]!);
  for (const [i, t] of callers.entries()) {
    const ev = b.call("j6_event_create", [], t);
    expect(b.call("j6_event_signal", [ev, 0b101, 0], t)).toBe(0); // a first event_wait finds bits
    // a wait_many list (the event, then the caller's own process) at each 64-byte slot of scratch
    const self = t.process.handleTable.list().find((h) => h.type === "process")!.handle;
    for (let j = 0; j < 8; j++) b.poke(SCRATCH + 64 * j, [ev, self], t);
    expect(b.call("j6_mailbox_create", [], t)).toBeGreaterThan(0);
    expect(b.call("j6_vma_create_map", [PAGE, 0x3800_0000 + i * PAGE, 1], t)).toBeGreaterThan(0);
  }
  return { b, callers };
}

interface GrindResult {
  readonly ok: Map<Name, number>;
  readonly refused: number;
}

/**
 * The value of fuzz argument `a` for declared argument `spec`: a "live" pick is shaped by the
 * declaration (a handle of the declared type, a pointer into the scratch page, a page address to
 * map at, a size of a few pages, the idle program's entry), so valid paths are common; the other
 * kinds are the same whatever the declaration says, so refusals are common too.
 */
function argValue(
  spec: Decl,
  a: Arg,
  handles: readonly { readonly handle: number; readonly type: string }[],
  stale: readonly number[],
): number {
  switch (a.kind) {
    case "live": {
      const isHandle = spec.kind === "handle" || spec.name === "h" || spec.name === "orig";
      if (isHandle) {
        const want = spec.objectType ?? "";
        const typed = handles.filter((h) => want === "" || h.type === want);
        const pool = typed.length > 0 && a.i % 8 !== 7 ? typed : handles; // 1 in 8: any type
        return pool.length === 0 ? 0 : pool[a.i % pool.length]!.handle;
      }
      if (spec.kind === "ptr") return SCRATCH + 64 * (a.i % 8);
      if (spec.kind === "addr") return 0x3000_0000 + (a.i % 8) * PAGE;
      if (spec.kind === "size") return [8, 40, PAGE, 2 * PAGE][a.i % 4]!;
      if (spec.name === "entry") return benchEntry("t");
      if (spec.name === "mask") return a.i % 2 === 0 ? 0x7f80_0000 : 1 << 8; // event bits; terminated
      return a.i % 4;
    }
    case "stale":
      return stale.length === 0 ? 0x7777 : stale[a.i % stale.length]!;
    case "mask":
      return a.v | 0;
    case "addr":
      return SCRATCH + a.off;
    case "map":
      return 0x3000_0000 + a.page * PAGE;
    case "lit":
      return a.v;
  }
}

function grind(steps: readonly Step[]): GrindResult {
  const { b, callers } = busyBench();
  const stale: number[] = [];
  const ok = new Map<Name, number>();
  let refused = 0;
  for (const s of steps) {
    const t = callers[s.caller]!;
    if (t.process.phase !== "live" || t.runState === "blocked" || t.runState === "exited") continue;
    if (!b.k.threads.has(t.tid)) continue;
    // an ending only now and then (fuzz argument 4, unused by these calls, a literal or a mask), and never the bench's first thread
    const last = s.args[4];
    const rare = last?.kind === "lit" || last?.kind === "mask";
    if (ENDINGS.has(s.name) && (t === b.rootThread || !rare)) continue;
    if (PARKING.has(s.name)) continue;
    if (s.name === "j6_process_kill" && !rare) continue; // only sometimes
    const handles = t.process.handleTable.list();
    const decl = jsixSyscalls.decls[s.name].args as readonly Decl[];
    const callArgs = decl.map((spec, j) => argValue(spec, s.args[j]!, handles, stale));
    const ti = TIMEOUT_ARG[s.name];
    if (ti !== undefined) callArgs[ti] = 0;
    // a handle_close's victim becomes a stale handle for later steps
    const before = b.snapshot();
    let r: number;
    try {
      r = b.call(s.name, callArgs, t);
    } catch (e) {
      throw new Error(`${s.name}(${callArgs.join(", ")}) by tid ${t.tid} threw: ${String(e)}`);
    }
    if (r === SYSCALL_BLOCKED || r === SYSCALL_NORETURN || r >= 0) {
      ok.set(s.name, (ok.get(s.name) ?? 0) + 1);
      if (s.name === "j6_handle_close" && r === 0) stale.push(callArgs[0]!);
    } else {
      if (!CODES.has(r)) throw new Error(`${s.name}(${callArgs.join(", ")}) returned ${r}, not a j6 status`);
      if (REFUSALS.has(r)) {
        refused++;
        const after = b.snapshot();
        if (after !== before)
          throw new Error(`${s.name}(${callArgs.join(", ")}) refused with ${-r} but changed:\n${after}`);
      }
    }
    // (Kernel.checkInvariants is not called: outside k.run, direct dispatch charges CPU time that
    // no thread's stint accounts for, which the core's clock invariant rightly flags.)
    b.state.checkInvariants();
  }
  return { ok, refused };
}

describe("the jsix grinder", () => {
  it("never throws, keeps every invariant after every trap, and refusals change nothing", () => {
    const reached = new Map<Name, number>();
    let refusedTotal = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 40, maxLength: 120 }), (steps) => {
        const r = grind(steps);
        for (const [n, c] of r.ok) reached.set(n, (reached.get(n) ?? 0) + c);
        refusedTotal += r.refused;
      }),
      { numRuns: 60 },
    );
    // The floor: every call's valid path is reached but those no direct poll can complete
    // (a call needs a running thread to park; respond and futex_wait only succeed after one).
    const unreachable = new Set<Name>([
      "j6_mailbox_call",
      "j6_thread_sleep",
      "j6_mailbox_respond",
      "j6_futex_wait",
    ]);
    // rare by design (an ending) or needing a signal up at the poll: once is enough
    const once = new Set<Name>([
      "j6_process_exit",
      "j6_thread_exit",
      "j6_process_kill",
      "j6_object_wait",
      "j6_object_wait_many",
    ]);
    const missing = NAMES.filter((n) => !unreachable.has(n) && (reached.get(n) ?? 0) < (once.has(n) ? 1 : 3));
    expect(
      missing,
      `valid paths reached too rarely; all: ${JSON.stringify(Object.fromEntries(reached))}`,
    ).toEqual([]);
    expect(refusedTotal).toBeGreaterThan(500);
  });
});
