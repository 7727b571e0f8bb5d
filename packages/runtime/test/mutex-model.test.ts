// Model-based test of the mutex kinds: fast-check draws a sequence of operations by two threads
// (main and a helper that executes commands sent through a futex mailbox); each result is compared
// with a naive model {owner, count}, and the mutex words are checked after every step. Commands
// whose outcome POSIX leaves undefined or that would block (a lock held by the other thread) are
// skipped, as fast-check's `check()` skips commands that do not apply to the model.
import { Errno, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkMutex,
  futexWait,
  futexWake,
  MutexKind,
  MutexLayout,
  mutexDestroy,
  mutexInit,
  mutexLock,
  mutexTryLock,
  mutexUnlock,
  type Pthread,
} from "../src/index.js";
import { boot } from "./boot.js";

const Op = { LOCK: 1, TRYLOCK: 2, UNLOCK: 3, DESTROY: 4 } as const;
const OP_NAMES = ["", "lock", "trylock", "unlock", "destroy"];
type Cmd = { readonly actor: 0 | 1; readonly op: number };

interface Model {
  owner: -1 | 0 | 1;
  count: number;
}

/** The model's answer, or null when the command does not apply (undefined behaviour or blocking). */
function predict(kind: number, m: Model, c: Cmd): number | null {
  const mine = m.owner === c.actor;
  switch (c.op) {
    case Op.LOCK:
      if (m.owner === -1) return 0;
      if (!mine) return null; // would block
      if (kind === MutexKind.RECURSIVE) return 0;
      return kind === MutexKind.ERRORCHECK ? Errno.EDEADLK : null; // NORMAL: self-deadlock
    case Op.TRYLOCK:
      if (m.owner === -1) return 0;
      return mine && kind === MutexKind.RECURSIVE ? 0 : Errno.EBUSY;
    case Op.UNLOCK:
      if (kind === MutexKind.NORMAL) return mine ? 0 : null; // undefined for NORMAL
      return mine ? 0 : Errno.EPERM;
    default:
      return m.owner === -1 ? 0 : Errno.EBUSY;
  }
}

function apply(kind: number, m: Model, c: Cmd, r: number): void {
  if (r !== 0) return;
  if (c.op === Op.LOCK || c.op === Op.TRYLOCK) {
    if (m.owner === -1) {
      m.owner = c.actor;
      m.count = 1;
    } else if (kind === MutexKind.RECURSIVE) m.count++;
  } else if (c.op === Op.UNLOCK) {
    m.count--;
    if (m.count === 0) m.owner = -1;
  }
}

function* execute(self: Pthread, m: number, op: number): UserCode<number> {
  if (op === Op.LOCK) return yield* mutexLock(self, m);
  if (op === Op.TRYLOCK) return yield* mutexTryLock(self, m);
  if (op === Op.UNLOCK) return yield* mutexUnlock(self, m);
  return yield* mutexDestroy(m);
}

/** Run the commands; returns the first mismatch as text, or null. */
function runModel(kind: number, cmds: readonly Cmd[], modelKind: number = kind): string | null {
  let failure: string | null = null;
  const b = boot(function* (self) {
    const base = yield* libc.sbrk(64);
    const m = base;
    const box = base + 32; // [cmd][result]; cmd 0 = empty, -1 = quit
    yield* mutexInit(m, kind);
    const helper = yield* self.create(function* (t) {
      for (;;) {
        let c = yield* mem.load32(box);
        while (c === 0) {
          yield* futexWait(box, 0);
          c = yield* mem.load32(box);
        }
        if (c === 0xffff_ffff) return 0;
        yield* mem.store32(box + 4, yield* execute(t, m, c));
        yield* mem.store32(box, 0);
        yield* futexWake(box, 1);
      }
    });
    const tids = [self.tid, yield* mem.load32(helper.thread)];
    const model: Model = { owner: -1, count: 0 };
    for (const [i, c] of cmds.entries()) {
      const expected = predict(modelKind, model, c);
      if (expected === null) continue;
      let r: number;
      if (c.actor === 0) r = yield* execute(self, m, c.op);
      else {
        yield* mem.store32(box, c.op);
        yield* futexWake(box, 1);
        for (let v = yield* mem.load32(box); v !== 0; v = yield* mem.load32(box)) yield* futexWait(box, v);
        r = yield* mem.load32(box + 4);
      }
      if (r !== expected) {
        failure = `step ${i}: actor ${c.actor} ${OP_NAMES[c.op]} returned ${r}, the model says ${expected}`;
        break;
      }
      apply(modelKind, model, c, r);
      const s = {
        lock: yield* mem.load32(m + MutexLayout.LOCK),
        owner: yield* mem.load32(m + MutexLayout.OWNER),
        kind: yield* mem.load32(m + MutexLayout.KIND),
        count: yield* mem.load32(m + MutexLayout.COUNT),
      };
      try {
        checkMutex(s);
      } catch (e) {
        failure = `step ${i}: ${(e as Error).message}`;
        break;
      }
      const held = model.owner !== -1;
      const ownerOk = kind === MutexKind.NORMAL || s.owner === (held ? tids[model.owner] : 0);
      const countOk = kind === MutexKind.NORMAL || s.count === model.count;
      if ((s.lock !== 0) !== held || !ownerOk || !countOk) {
        failure = `step ${i}: words lock=${s.lock} owner=${s.owner} count=${s.count}, model owner=${model.owner} count=${model.count}`;
        break;
      }
    }
    yield* mem.store32(box, 0xffff_ffff);
    yield* futexWake(box, 1);
    // The helper may still hold the mutex; joining it is all that is left.
    yield* self.join(helper.thread);
    return 0;
  });
  expect(b.kernel.crashes).toEqual([]);
  expect(b.run.outcome).toBe("all-exited");
  return failure;
}

const cmdArb = fc.record({
  actor: fc.constantFrom<0 | 1>(0, 1),
  op: fc.integer({ min: Op.LOCK, max: Op.DESTROY }),
});

describe("mutex against a model", () => {
  for (const [name, kind] of Object.entries(MutexKind)) {
    it(`${name}: every result and every word match the model (two threads, 40 runs)`, () => {
      fc.assert(
        fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 30 }), (cmds) => {
          const f = runModel(kind, cmds);
          if (f !== null) throw new Error(f);
        }),
        { numRuns: 40 },
      );
    });
  }

  it("the model test can fail: a RECURSIVE mutex judged by the ERRORCHECK model is caught at the relock", () => {
    const f = runModel(
      MutexKind.RECURSIVE,
      [
        { actor: 0, op: Op.LOCK },
        { actor: 0, op: Op.LOCK },
      ],
      MutexKind.ERRORCHECK,
    );
    expect(f).toBe(`step 1: actor 0 lock returned 0, the model says ${Errno.EDEADLK}`);
  });
});
