// End-to-end tests of pthread_once, thread-specific data (keys and destructor passes), rwlocks
// and barriers.
import { compute, Errno, libc, mem, posixStubs, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  barrierDestroy,
  barrierInit,
  barrierWait,
  checkRwlock,
  getSpecific,
  keyCreate,
  keyDelete,
  once,
  PTHREAD_BARRIER_SERIAL_THREAD,
  PTHREAD_DESTRUCTOR_ITERATIONS,
  PTHREAD_KEYS_MAX,
  type Pthread,
  RwlockLayout,
  rwlockDestroy,
  rwlockRdlock,
  rwlockUnlock,
  rwlockWrlock,
  setSpecific,
} from "../src/index.js";
import { boot } from "./boot.js";

function* joinAll(self: Pthread, ts: readonly number[]): UserCode<number[]> {
  const out: number[] = [];
  for (const t of ts) out.push((yield* self.join(t)).value);
  return out;
}

describe("pthread_once", () => {
  for (const cpus of [1, 3]) {
    it(`runs the initialiser exactly once under contention, and nobody returns before it finished (${cpus} CPUs)`, () => {
      let runs = 0;
      let finished = false;
      const sawUnfinished: number[] = [];
      const b = boot(
        function* (self) {
          const ctl = yield* libc.sbrk(8);
          const init = function* () {
            runs++;
            yield* compute(20_000); // a slow initialiser: others must wait, not skip
            finished = true;
          };
          const ts: number[] = [];
          for (let i = 0; i < 8; i++) {
            const r = yield* self.create(function* (t, id) {
              yield* compute(7 * id);
              yield* once(t, ctl, init);
              if (!finished) sawUnfinished.push(id);
              return 0;
            }, i);
            ts.push(r.thread);
          }
          yield* once(self, ctl, init);
          yield* joinAll(self, ts);
          return (yield* mem.load32(ctl)) === 2 ? 0 : 1;
        },
        { cpus },
      );
      expect(b.kernel.crashes).toEqual([]);
      expect(b.status).toBe(0);
      expect(runs).toBe(1);
      expect(sawUnfinished).toEqual([]);
    });
  }
});

describe("thread-specific data", () => {
  it("each thread sees its own value; a new thread starts with NULL", () => {
    const seen: number[] = [];
    const b = boot(function* (self) {
      const { key } = yield* keyCreate(self);
      yield* setSpecific(self, key, 111);
      const ts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = yield* self.create(function* (t, id) {
          const before = yield* getSpecific(t, key);
          yield* setSpecific(t, key, 200 + id);
          yield* compute(500);
          return before * 1000 + (yield* getSpecific(t, key));
        }, i);
        ts.push(r.thread);
      }
      seen.push(...(yield* joinAll(self, ts)));
      seen.push(yield* getSpecific(self, key));
      return 0;
    });
    expect(b.status).toBe(0);
    expect(seen).toEqual([200, 201, 202, 111]);
  });

  it("destructors run at thread exit with the value, in repeated passes while values are re-set, at most PTHREAD_DESTRUCTOR_ITERATIONS", () => {
    const calls: string[] = [];
    const b = boot(function* (self) {
      // key a: its destructor sets b's value once → a second pass calls b's destructor.
      // key c: its destructor always re-sets itself → called on every one of the 4 passes, then dropped.
      // b gets the lowest key, so a value a's destructor gives it is only seen by the next pass.
      let kc = -1;
      const bk = yield* keyCreate(self, function* (_t, v) {
        calls.push(`b:${v}`);
        yield* compute(1);
      });
      const a = yield* keyCreate(self, function* (t, v) {
        calls.push(`a:${v}`);
        yield* setSpecific(t, bk.key, 42);
      });
      const c = yield* keyCreate(self, function* (t, v) {
        calls.push(`c:${v}`);
        yield* setSpecific(t, kc, v + 1);
      });
      kc = c.key;
      const r = yield* self.create(function* (t) {
        yield* setSpecific(t, a.key, 7);
        yield* setSpecific(t, kc, 1);
        return 0;
      });
      yield* self.join(r.thread);
      return 0;
    });
    expect(b.kernel.crashes).toEqual([]);
    expect(b.status).toBe(0);
    expect(PTHREAD_DESTRUCTOR_ITERATIONS).toBe(4);
    expect(calls).toEqual(["a:7", "c:1", "b:42", "c:2", "c:3", "c:4"]);
  });

  it("a thread reusing a cached stack starts with NULL values, even for keys without a destructor", () => {
    const out: number[] = [];
    let ids: number[] = [];
    const b = boot(function* (self) {
      const { key } = yield* keyCreate(self); // no destructor: the value outlives the thread
      const first = yield* self.create(function* (t) {
        yield* setSpecific(t, key, 1234);
        return yield* getSpecific(t, key);
      });
      out.push((yield* self.join(first.thread)).value);
      const second = yield* self.create(function* (t) {
        return yield* getSpecific(t, key);
      });
      out.push((yield* self.join(second.thread)).value);
      ids = [first.thread, second.thread];
      return 0;
    });
    expect(b.status).toBe(0);
    expect(ids[0]).toBe(ids[1]); // the same control block, reused from the cache
    expect(out).toEqual([1234, 0]);
  });

  it("key_delete: EINVAL for unknown keys; a reused key slot does not show the old value; keys run out with EAGAIN", () => {
    const out: number[] = [];
    const b = boot(function* (self) {
      const k1 = yield* keyCreate(self);
      yield* setSpecific(self, k1.key, 5);
      out.push(yield* keyDelete(self, k1.key));
      out.push(yield* keyDelete(self, k1.key));
      out.push(yield* setSpecific(self, k1.key, 6));
      const k2 = yield* keyCreate(self);
      out.push(k2.key === k1.key ? 1 : 0); // the slot is reused...
      out.push(yield* getSpecific(self, k2.key)); // ...but the old value is invisible
      let last = 0;
      for (let i = 1; i < PTHREAD_KEYS_MAX; i++) last = (yield* keyCreate(self)).error;
      out.push(last);
      out.push((yield* keyCreate(self)).error);
      out.push(yield* setSpecific(self, PTHREAD_KEYS_MAX, 1));
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out).toEqual([0, Errno.EINVAL, Errno.EINVAL, 1, 0, 0, Errno.EAGAIN, Errno.EINVAL]);
  });
});

describe("rwlocks", () => {
  it("writers exclude everyone, readers share (4 readers, 2 writers, 2 CPUs; checked at every step)", () => {
    let maxReaders = 0;
    let violations = 0;
    const b = boot(
      function* (self) {
        const rw = yield* libc.sbrk(64);
        const data = rw + 32;
        const check = function* () {
          const s = {
            readers: yield* mem.load32(rw + RwlockLayout.READERS),
            writer: yield* mem.load32(rw + RwlockLayout.WRITER),
          };
          try {
            checkRwlock(s);
          } catch {
            violations++;
          }
          return s;
        };
        const reader = function* (t: Pthread) {
          for (let i = 0; i < 40; i++) {
            yield* rwlockRdlock(t, rw);
            const s = yield* check();
            maxReaders = Math.max(maxReaders, s.readers);
            const a = yield* mem.load32(data);
            yield* compute(50);
            if ((yield* mem.load32(data + 4)) !== a) violations++; // a torn pair: a writer got in
            yield* rwlockUnlock(t, rw);
          }
          return 0;
        };
        const writer = function* (t: Pthread) {
          for (let i = 0; i < 30; i++) {
            yield* rwlockWrlock(t, rw);
            yield* check();
            const a = yield* mem.load32(data);
            yield* mem.store32(data, a + 1);
            yield* compute(40);
            yield* mem.store32(data + 4, a + 1);
            yield* rwlockUnlock(t, rw);
            yield* compute(100);
          }
          return 0;
        };
        const ts: number[] = [];
        for (let i = 0; i < 4; i++) ts.push((yield* self.create(reader)).thread);
        for (let i = 0; i < 2; i++) ts.push((yield* self.create(writer)).thread);
        yield* joinAll(self, ts);
        return (yield* mem.load32(data)) === 60 ? 0 : 1;
      },
      { cpus: 2 },
    );
    expect(b.kernel.crashes).toEqual([]);
    expect(b.status).toBe(0);
    expect(violations).toBe(0);
    expect(maxReaders).toBeGreaterThan(1);
  });

  it("error codes: EBUSY on try while held, EDEADLK on the writer's own relock, EPERM on unlock when free or by another writer", () => {
    const out: number[] = [];
    const b = boot(function* (self) {
      const rw = yield* libc.sbrk(64);
      out.push(yield* rwlockWrlock(self, rw));
      out.push(yield* rwlockWrlock(self, rw));
      out.push(yield* rwlockRdlock(self, rw));
      const r = yield* self.create(function* (t) {
        const a = yield* rwlockRdlock(t, rw, true);
        const w = yield* rwlockWrlock(t, rw, true);
        const u = yield* rwlockUnlock(t, rw);
        return a * 10000 + w * 100 + u;
      });
      out.push((yield* self.join(r.thread)).value);
      out.push(yield* rwlockDestroy(rw));
      out.push(yield* rwlockUnlock(self, rw));
      out.push(yield* rwlockUnlock(self, rw));
      out.push(yield* rwlockRdlock(self, rw));
      out.push(yield* rwlockRdlock(self, rw)); // a second read lock by the same thread
      out.push(yield* rwlockWrlock(self, rw, true));
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out).toEqual([
      0,
      Errno.EDEADLK,
      Errno.EDEADLK,
      Errno.EBUSY * 10000 + Errno.EBUSY * 100 + Errno.EPERM,
      Errno.EBUSY,
      0,
      Errno.EPERM,
      0,
      0,
      Errno.EBUSY,
    ]);
  });
});

describe("barriers", () => {
  it("exactly one serial thread per round; nobody leaves a round before all arrived (5 threads, 3 rounds, 2 CPUs)", () => {
    const serial: number[] = [];
    const arrivals: number[][] = [[], [], []];
    let early = 0;
    const b = boot(
      function* (self) {
        const bar = yield* libc.sbrk(64);
        const err0 = yield* barrierInit(bar, 0);
        yield* barrierInit(bar, 5);
        const body = function* (_t: Pthread, id: number) {
          for (let round = 0; round < 3; round++) {
            yield* compute(300 * ((id * 7 + round * 3) % 5));
            arrivals[round]!.push(id);
            const r = yield* barrierWait(bar);
            if (arrivals[round]!.length !== 5) early++;
            if (r === PTHREAD_BARRIER_SERIAL_THREAD) serial.push(round);
            else if (r !== 0) early += 100;
          }
          return 0;
        };
        const ts: number[] = [];
        for (let i = 0; i < 4; i++) ts.push((yield* self.create(body, i)).thread);
        yield* body(self, 4);
        yield* joinAll(self, ts);
        return err0 === Errno.EINVAL && (yield* barrierDestroy(bar)) === 0 ? 0 : 1;
      },
      { cpus: 2 },
    );
    expect(b.kernel.crashes).toEqual([]);
    expect(b.status).toBe(0);
    expect(early).toBe(0);
    expect(serial).toEqual([0, 1, 2]);
  });
});

describe("TSDoc examples", () => {
  it("keyCreate's example: a per-thread buffer unmapped by its destructor at thread exit", () => {
    let buf = 0;
    const b = boot(function* (self) {
      const { key } = yield* keyCreate(self, function* (_self, buf) {
        yield* posixStubs.munmap(buf, 4096);
      });
      const r = yield* self.create(function* (t) {
        yield* setSpecific(t, key, yield* libc.mmapAnon(4096));
        buf = yield* getSpecific(t, key);
        yield* mem.store32(buf, 7);
        return 0;
      });
      yield* self.join(r.thread);
      yield* mem.load32(buf); // unmapped by the destructor: SIGSEGV
      return 0;
    });
    expect(buf).toBeGreaterThan(0);
    expect(b.status & 0x7f).toBe(11); // killed by SIGSEGV
  });
});
