// A grinder for the thread library (xv6's grind.c, for pthreads): fast-check draws, for a few
// threads, random sequences of library calls — locks of all three kinds (in a global order, so
// no run can deadlock by design), trylocks, unlocks of held and unheld mutexes, timed waits,
// signals, broadcasts, rwlocks, keys, once, nested create/join/detach — and every run must end
// with no crash, every thread gone, each call's result one POSIX allows, the mutex words sane at
// every step (those the thread holds), and the kernel's invariants intact (paranoid runs).
import { compute, Errno, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkMutex,
  condBroadcast,
  condSignal,
  condTimedWait,
  getSpecific,
  keyCreate,
  MutexKind,
  MutexLayout,
  mutexInit,
  mutexLock,
  mutexTryLock,
  mutexUnlock,
  now,
  once,
  type Pthread,
  rwlockRdlock,
  rwlockUnlock,
  rwlockWrlock,
  setSpecific,
} from "../src/index.js";
import { boot } from "./boot.js";

const MUTEXES = 3; // m0 NORMAL, m1 RECURSIVE, m2 ERRORCHECK
type Op =
  | { readonly k: "lock" | "trylock" | "unlock"; readonly i: number }
  | { readonly k: "timedwait"; readonly cycles: number }
  | { readonly k: "signal" | "broadcast" | "once" | "child" | "detached" | "specific" }
  | { readonly k: "rd" | "wr" }
  | { readonly k: "work"; readonly cycles: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constantFrom("lock" as const, "trylock" as const, "unlock" as const),
    i: fc.nat(MUTEXES - 1),
  }),
  fc.record({ k: fc.constant("timedwait" as const), cycles: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ k: fc.constantFrom("signal" as const, "broadcast" as const, "once" as const) }),
  fc.record({ k: fc.constantFrom("child" as const, "detached" as const, "specific" as const) }),
  fc.record({ k: fc.constantFrom("rd" as const, "wr" as const) }),
  fc.record({ k: fc.constant("work" as const), cycles: fc.integer({ min: 0, max: 500 }) }),
);

interface Grind {
  readonly threads: readonly (readonly Op[])[];
  readonly cpus: number;
  readonly tick: number;
  readonly seed: number;
}

function grind(
  g: Grind,
  paranoid: boolean,
): { bad: string[]; outcome: string; status: number; crashes: number } {
  const bad: string[] = [];
  let onceRuns = 0;
  const b = boot(
    function* (self) {
      const base = yield* libc.sbrk(256);
      const m = (i: number) => base + 16 * i; // three mutexes
      const cond = base + 64; // used with m0
      const rw = base + 96;
      const onceWord = base + 128;
      yield* mutexInit(m(0), MutexKind.NORMAL);
      yield* mutexInit(m(1), MutexKind.RECURSIVE);
      yield* mutexInit(m(2), MutexKind.ERRORCHECK);
      const { key } = yield* keyCreate(self, function* () {
        yield* compute(1);
      });
      const leaf = function* (t: Pthread, n: number): UserCode<number> {
        yield* compute(n % 300);
        yield* setSpecific(t, key, n + 1);
        return (yield* getSpecific(t, key)) === n + 1 ? 0 : 1;
      };
      // A snapshot of four words is only consistent while nobody else can change them: for a
      // mutex this thread holds. Then the words must say exactly what the thread believes.
      const check = function* (t: Pthread, i: number, times: number, what: string) {
        const s = {
          lock: yield* mem.load32(m(i) + MutexLayout.LOCK),
          owner: yield* mem.load32(m(i) + MutexLayout.OWNER),
          kind: yield* mem.load32(m(i) + MutexLayout.KIND),
          count: yield* mem.load32(m(i) + MutexLayout.COUNT),
        };
        try {
          checkMutex(s);
        } catch (e) {
          bad.push(`${what}: ${(e as Error).message}`);
        }
        if (s.lock === 0) bad.push(`${what}: m${i} held ${times}× but its lock word is 0`);
        if (i > 0 && (s.owner !== t.tid || s.count !== times))
          bad.push(`${what}: m${i} held ${times}× but owner=${s.owner} (me ${t.tid}) count=${s.count}`);
      };
      const run = function* (t: Pthread, idx: number): UserCode<number> {
        const ops = g.threads[idx]!;
        const held = [0, 0, 0]; // how many times this thread holds m_i
        const top = () => (held[2]! > 0 ? 2 : held[1]! > 0 ? 1 : held[0]! > 0 ? 0 : -1);
        let rwHeld = false;
        for (const op of ops) {
          const tag = `thread ${idx} ${op.k}`;
          switch (op.k) {
            case "lock": {
              // Lock order: only above every mutex held; relocking is allowed for m1 (RECURSIVE)
              // and m2 (ERRORCHECK: EDEADLK), never for m0 (NORMAL would self-deadlock).
              const i = op.i;
              if (i < top() || (i === 0 && held[0]! > 0) || (i === top() && i !== 0 && held[i]! === 0)) break;
              const r = yield* mutexLock(t, m(i));
              const want = held[i]! > 0 ? (i === 1 ? 0 : Errno.EDEADLK) : 0;
              if (r !== want) bad.push(`${tag} m${i}: ${r}, want ${want}`);
              if (r === 0) held[i]!++;
              break;
            }
            case "trylock": {
              const i = op.i;
              if (i === 0 && held[0]! > 0) break; // NORMAL: EBUSY, fine, but keep the count simple
              const r = yield* mutexTryLock(t, m(i));
              if (r === 0) held[i]!++;
              else if (r !== Errno.EBUSY) bad.push(`${tag} m${i}: ${r}`);
              else if (held[i]! > 0 && i === 1) bad.push(`${tag} m1: EBUSY for its owner`);
              break;
            }
            case "unlock": {
              const i = op.i;
              if (i === 0 && held[0] === 0) break; // undefined for NORMAL
              const r = yield* mutexUnlock(t, m(i));
              const want = held[i]! > 0 ? 0 : Errno.EPERM;
              if (r !== want) bad.push(`${tag} m${i}: ${r}, want ${want}`);
              if (r === 0) held[i]!--;
              break;
            }
            case "timedwait": {
              // Only with m0 held alone (waiting with other locks held could block their owners' peers forever).
              if (held[0] !== 1 || held[1] !== 0 || held[2] !== 0) break;
              const r = yield* condTimedWait(t, cond, m(0), (yield* now()) + op.cycles);
              if (r !== 0 && r !== Errno.ETIMEDOUT) bad.push(`${tag}: ${r}`);
              break;
            }
            case "signal":
              yield* condSignal(cond);
              break;
            case "broadcast":
              yield* condBroadcast(cond);
              break;
            case "once":
              yield* once(t, onceWord, function* () {
                onceRuns++;
                yield* compute(100);
              });
              break;
            case "child": {
              if (top() >= 0) break; // children are joined at once: never while holding a lock
              const c = yield* t.create(leaf, idx * 100 + ops.length);
              if (c.error === 0) {
                const j = yield* t.join(c.thread);
                if (j.error !== 0 || j.value !== 0) bad.push(`${tag}: join ${j.error}/${j.value}`);
              } else if (c.error !== Errno.EAGAIN) bad.push(`${tag}: create ${c.error}`);
              break;
            }
            case "detached": {
              const c = yield* t.create(leaf, idx, { detached: true });
              if (c.error !== 0 && c.error !== Errno.EAGAIN) bad.push(`${tag}: ${c.error}`);
              break;
            }
            case "specific": {
              yield* setSpecific(t, key, idx + 7);
              if ((yield* getSpecific(t, key)) !== idx + 7) bad.push(`${tag}: lost its value`);
              break;
            }
            case "rd":
            case "wr": {
              if (rwHeld) {
                const r = yield* rwlockUnlock(t, rw);
                if (r !== 0) bad.push(`${tag}: unlock ${r}`);
                rwHeld = false;
              } else if (top() < 0) {
                const r = op.k === "rd" ? yield* rwlockRdlock(t, rw) : yield* rwlockWrlock(t, rw);
                if (r !== 0) bad.push(`${tag}: ${r}`);
                rwHeld = r === 0;
              }
              break;
            }
            default:
              yield* compute(op.cycles);
          }
          for (let i = 0; i < MUTEXES; i++) if (held[i]! > 0) yield* check(t, i, held[i]!, tag);
        }
        if (rwHeld) yield* rwlockUnlock(t, rw);
        for (let i = MUTEXES - 1; i >= 0; i--)
          while (held[i]! > 0 && (yield* mutexUnlock(t, m(i))) === 0) held[i]!--;
        return 0;
      };
      const ts: number[] = [];
      for (let i = 1; i < g.threads.length; i++) ts.push((yield* self.create(run, i)).thread);
      yield* run(self, 0);
      for (const t of ts) yield* self.join(t);
      return 0;
    },
    { cpus: g.cpus, tick: g.tick, seed: g.seed, paranoid, maxThreads: 24 },
  );
  if (onceRuns > 1) bad.push(`once ran ${onceRuns} times`);
  return { bad, outcome: b.run.outcome, status: b.status, crashes: b.kernel.crashes.length };
}

const grindArb: fc.Arbitrary<Grind> = fc.record({
  threads: fc.array(fc.array(opArb, { maxLength: 25 }), { minLength: 1, maxLength: 4 }),
  cpus: fc.integer({ min: 1, max: 3 }),
  tick: fc.oneof(fc.integer({ min: 10, max: 60 }), fc.integer({ min: 60, max: 2000 })),
  seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
});

describe("grind", () => {
  it("random library calls by up to 4 threads: no crash, every result allowed, everyone finishes (50 runs)", () => {
    fc.assert(
      fc.property(grindArb, (g) => {
        const r = grind(g, false);
        expect(r.bad).toEqual([]);
        expect(r.crashes).toBe(0);
        expect(r.outcome).toBe("all-exited");
        expect(r.status).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it("the same, with every kernel invariant checked after every trap (10 runs)", () => {
    fc.assert(
      fc.property(grindArb, (g) => {
        const r = grind(g, true);
        expect(r.bad).toEqual([]);
        expect(r.outcome).toBe("all-exited");
      }),
      { numRuns: 10, seed: 0x6121d },
    );
  });
});
