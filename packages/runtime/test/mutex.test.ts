// End-to-end tests of the three mutex kinds and their POSIX error codes.
import { compute, Errno, libc, mem, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  checkMutex,
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

/** Run `body` in init with a fresh mutex of `kind`; collect what it pushes. */
function withMutex(
  kind: number,
  body: (self: Pthread, m: number, out: number[]) => UserCode<void>,
  cpus = 1,
): number[] {
  const out: number[] = [];
  const b = boot(
    function* (self) {
      const m = yield* libc.sbrk(64);
      yield* mutexInit(m, kind);
      yield* body(self, m, out);
      return 0;
    },
    { cpus },
  );
  expect(b.kernel.crashes).toEqual([]);
  expect(b.status).toBe(0);
  return out;
}

function* readMutex(m: number) {
  return {
    lock: yield* mem.load32(m + MutexLayout.LOCK),
    owner: yield* mem.load32(m + MutexLayout.OWNER),
    kind: yield* mem.load32(m + MutexLayout.KIND),
    count: yield* mem.load32(m + MutexLayout.COUNT),
  };
}

describe("mutexes", () => {
  it("trylock of a held mutex is EBUSY (all kinds), and succeeds once it is released", () => {
    for (const kind of [MutexKind.NORMAL, MutexKind.ERRORCHECK]) {
      const out = withMutex(kind, function* (self, m, out) {
        yield* mutexLock(self, m);
        const { thread } = yield* self.create(function* (t) {
          return yield* mutexTryLock(t, m);
        });
        out.push((yield* self.join(thread)).value);
        yield* mutexUnlock(self, m);
        const again = yield* self.create(function* (t) {
          const r = yield* mutexTryLock(t, m);
          yield* mutexUnlock(t, m);
          return r;
        });
        out.push((yield* self.join(again.thread)).value);
      });
      expect(out).toEqual([Errno.EBUSY, 0]);
    }
  });

  it("ERRORCHECK: relock by the owner is EDEADLK; unlock by another thread is EPERM; unlock when free is EPERM", () => {
    const out = withMutex(MutexKind.ERRORCHECK, function* (self, m, out) {
      out.push(yield* mutexLock(self, m));
      out.push(yield* mutexLock(self, m));
      out.push(yield* mutexTryLock(self, m));
      const { thread } = yield* self.create(function* (t) {
        return yield* mutexUnlock(t, m);
      });
      out.push((yield* self.join(thread)).value);
      out.push(yield* mutexUnlock(self, m));
      out.push(yield* mutexUnlock(self, m));
    });
    expect(out).toEqual([0, Errno.EDEADLK, Errno.EBUSY, Errno.EPERM, 0, Errno.EPERM]);
  });

  it("RECURSIVE: the owner locks n times and needs n unlocks; others wait until the last one", () => {
    const out = withMutex(MutexKind.RECURSIVE, function* (self, m, out) {
      for (let i = 0; i < 3; i++) out.push(yield* mutexLock(self, m));
      out.push(yield* mutexTryLock(self, m)); // count 4
      out.push((yield* readMutex(m)).count);
      const { thread } = yield* self.create(function* (t) {
        const r = yield* mutexTryLock(t, m);
        const u = yield* mutexUnlock(t, m); // not the owner
        return r * 1000 + u;
      });
      out.push((yield* self.join(thread)).value);
      for (let i = 0; i < 3; i++) yield* mutexUnlock(self, m);
      out.push((yield* readMutex(m)).lock); // still held once
      out.push(yield* mutexUnlock(self, m));
      out.push((yield* readMutex(m)).lock);
      out.push(yield* mutexUnlock(self, m)); // one too many
    });
    expect(out).toEqual([0, 0, 0, 0, 4, Errno.EBUSY * 1000 + Errno.EPERM, 1, 0, 0, Errno.EPERM]);
  });

  it("destroy of a locked mutex is EBUSY; init rejects an unknown kind", () => {
    const out = withMutex(MutexKind.NORMAL, function* (self, m, out) {
      yield* mutexLock(self, m);
      out.push(yield* mutexDestroy(m));
      yield* mutexUnlock(self, m);
      out.push(yield* mutexDestroy(m));
      out.push(yield* mutexInit(m, 7));
    });
    expect(out).toEqual([Errno.EBUSY, 0, Errno.EINVAL]);
  });

  it("contended lock: 6 threads on 2 CPUs add 200 each under a NORMAL mutex; the lock word goes through 2 and back to 0", () => {
    let states = 0;
    const out = withMutex(
      MutexKind.NORMAL,
      function* (self, m, out) {
        const counter = yield* libc.sbrk(8);
        const ts: number[] = [];
        for (let i = 0; i < 6; i++) {
          const r = yield* self.create(function* (t) {
            for (let k = 0; k < 200; k++) {
              yield* mutexLock(t, m);
              const v = yield* mem.load32(counter);
              yield* compute(37); // widen the window a broken lock would lose updates in
              yield* mem.store32(counter, v + 1);
              const w = yield* mem.load32(m);
              if (w === 2) states |= 2;
              checkMutex(yield* readMutex(m));
              yield* mutexUnlock(t, m);
            }
            return 0;
          });
          ts.push(r.thread);
        }
        for (const t of ts) yield* self.join(t);
        out.push(yield* mem.load32(counter));
        out.push(yield* mem.load32(m));
      },
      2,
    );
    expect(out).toEqual([1200, 0]);
    expect(states).toBe(2); // contention really happened and went through the futex path
  });

  it("checkMutex rejects impossible states", () => {
    expect(() => checkMutex({ lock: 3, owner: 0, kind: 0, count: 0 })).toThrow(/0, 1 or 2/);
    expect(() => checkMutex({ lock: 0, owner: 5, kind: 2, count: 1 })).toThrow(/free but owned/);
    expect(() => checkMutex({ lock: 1, owner: 5, kind: 1, count: 0 })).toThrow(/count 0/);
    expect(() => checkMutex({ lock: 1, owner: 5, kind: 0, count: 0 })).toThrow(/NORMAL/);
    expect(() => checkMutex({ lock: 2, owner: 5, kind: 1, count: 3 })).not.toThrow();
  });
});
