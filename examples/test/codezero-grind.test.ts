// A grinder for the microkernel's system calls (xv6's grind.c in spirit): a task makes random
// calls — random numbers, and arguments drawn from the values that matter (its own handles, its
// UTCB, its pool, NIL, REPLY, small and huge integers) — while the kernel checks every invariant
// after every trap. No call may throw, and every result must be a success or a documented L4 code.
import { syscall, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapOp, L4Error, NIL, REPLY, ThreadOp, UTCB_BASE, utcbOf } from "../src/codezero/abi.js";
import { createTask, l4 } from "../src/codezero/lib.js";
import { POOL_BASE } from "../src/codezero/servers/protocol.js";
import { bench } from "./codezero-harness.js";

type Arg =
  | { readonly kind: "lit"; readonly v: number }
  | { readonly kind: "handle"; readonly i: number }
  | { readonly kind: "addr"; readonly v: number };

interface Call {
  readonly nr: number;
  readonly args: readonly Arg[];
}

const CODES = new Set<number>(Object.values(L4Error));

const argArb: fc.Arbitrary<Arg> = fc.oneof(
  fc
    .constantFrom(-2, -1, 0, 1, 2, 3, 4, 5, 6, 15, 16, 64, 65, 2 ** 31 - 1, -(2 ** 31))
    .map((v) => ({ kind: "lit" as const, v })),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => ({ kind: "lit" as const, v })),
  fc.nat(4).map((i) => ({ kind: "handle" as const, i })),
  fc
    .constantFrom(utcbOf(0), utcbOf(1), UTCB_BASE + 128, POOL_BASE, POOL_BASE + 4096, 0x4000_0000, 0x1000)
    .map((v) => ({ kind: "addr" as const, v })),
);

/** Any number, any arguments: the dispatcher's refusals (unknown call, wrong count). */
const randomCallArb: fc.Arbitrary<Call> = fc.record({
  nr: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 9 })),
  args: fc.array(argArb, { minLength: 0, maxLength: 6 }),
});

/**
 * A call with an operation in range and arguments that are mostly the grinder's own handles, so
 * every op of thread and capability control, and l4_map/l4_unmap on a task id it pages, is reached
 * (independent random arguments almost never pick an op and a valid handle together).
 */
const shapedCallArb: fc.Arbitrary<Call> = fc
  .tuple(
    fc.constantFrom(1, 2, 3, 4),
    fc.constantFrom(0, 1, 2, 3, 4, 5, 6),
    fc.array(
      fc.oneof(
        { arbitrary: argArb, weight: 1 },
        { arbitrary: fc.constantFrom(0, 1, 2, 3, 4).map((i) => ({ kind: "handle" as const, i })), weight: 2 },
      ),
      { minLength: 4, maxLength: 4 },
    ),
  )
  .map(([nr, first, rest]) => ({
    nr,
    args: [{ kind: "lit" as const, v: first }, ...rest].slice(0, nr === 3 ? 3 : nr === 4 ? 4 : 5),
  }));

const callArb: fc.Arbitrary<Call> = fc.oneof(
  { arbitrary: randomCallArb, weight: 1 },
  { arbitrary: shapedCallArb, weight: 3 },
);

describe("codezero grinder", () => {
  it("random calls never throw and return a success or an L4 code, with every invariant held", () => {
    fc.assert(
      fc.property(fc.array(callArb, { minLength: 1, maxLength: 25 }), (calls) => {
        const results: number[] = [];
        let created = -1;
        function* grinder(): UserCode<number> {
          // Three endpoints and a task to aim at, then the random calls (calls that block forever
          // simply end the run: a deadlock, which is an outcome, not a failure).
          // The last is a task the grinder created and pages (it holds READ on its pager endpoint),
          // so RUN, WAIT, DESTROY, ID, GRANT and l4_map/l4_unmap meet a real target too.
          const ep0 = yield* l4.l4_capability_control(CapOp.CREATE_ENDPOINT, 0, 0, 0);
          const handles = [
            ep0,
            yield* l4.l4_capability_control(CapOp.CREATE_ENDPOINT, 0, 0, 0),
            yield* l4.l4_capability_control(CapOp.DERIVE, 0, 0, 0),
            NIL,
            (created = yield* createTask(utcbOf(0), "t", ep0, 0)),
          ];
          for (const c of calls) {
            const args = c.args.map((a) =>
              a.kind === "lit" ? a.v : a.kind === "addr" ? a.v : (handles[a.i] ?? REPLY),
            );
            results.push(yield* syscall(c.nr, ...args));
          }
          return 0;
        }
        const b = bench({ grinder }, 8, true);
        const [p, n] = b.str("grinder");
        const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]);
        const id = b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]);
        // Give the grinder a UTCB page and a pool of its own, like the root task's.
        const grinderTask = b.k.processes.get(id)!;
        grinderTask.vm.map({
          length: 2 * 4096,
          prot: 3,
          sharing: "shared",
          placement: { kind: "fixed", va: POOL_BASE, replace: false },
        });
        b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]);
        const out = b.k.run({ maxSteps: 20_000 });
        expect(["all-exited", "deadlock", "limit"]).toContain(out.outcome);
        expect(created).toBeGreaterThan(0); // the target task exists, so the calls on it are really made
        for (const r of results) {
          expect(Number.isInteger(r)).toBe(true);
          if (r < 0) expect(CODES.has(-r), `result ${r}`).toBe(true);
        }
        expect(b.k.crashes).toEqual([]);
        b.state.checkInvariants();
        b.k.checkInvariants();
      }),
      { numRuns: 100 },
    );
  });
});
