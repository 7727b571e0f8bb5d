// A refused POSIX call returns its error number and leaves the object it refused exactly as it
// was: every byte of the mutex, rwlock, condition variable, barrier or key table is compared
// before and after (a refusal that half-happened would corrupt the next caller's view).
import { Errno, libc, mem, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  AreaLayout,
  barrierInit,
  condWait,
  keyCreate,
  keyDelete,
  MutexKind,
  mutexInit,
  mutexLock,
  mutexTryLock,
  mutexUnlock,
  PTHREAD_KEYS_MAX,
  type Pthread,
  rwlockRdlock,
  rwlockUnlock,
  rwlockWrlock,
  setSpecific,
} from "../src/index.js";
import { boot } from "./boot.js";

/** One refusal: set the object up (`prepare`, run by main), then `refused`, by `who`, must return `error`. */
interface Case {
  readonly name: string;
  readonly error: number;
  /** Bytes of the object at `obj` to compare (the key table when `keys`). */
  readonly bytes: number;
  readonly keys?: boolean;
  readonly prepare: (self: Pthread, obj: number) => UserCode<void>;
  /** Run by a second thread when `other`, else by main. */
  readonly other?: boolean;
  readonly refused: (self: Pthread, obj: number) => UserCode<number>;
}

const cases: Case[] = [
  {
    name: "ERRORCHECK relock by its owner: EDEADLK",
    error: Errno.EDEADLK,
    bytes: 16,
    *prepare(self, m) {
      yield* mutexInit(m, MutexKind.ERRORCHECK);
      yield* mutexLock(self, m);
    },
    refused: (self, m) => mutexLock(self, m),
  },
  {
    name: "ERRORCHECK unlock by a thread that does not own it: EPERM",
    error: Errno.EPERM,
    bytes: 16,
    other: true,
    *prepare(self, m) {
      yield* mutexInit(m, MutexKind.ERRORCHECK);
      yield* mutexLock(self, m);
    },
    refused: (self, m) => mutexUnlock(self, m),
  },
  {
    name: "RECURSIVE unlock by a thread that does not own it: EPERM",
    error: Errno.EPERM,
    bytes: 16,
    other: true,
    *prepare(self, m) {
      yield* mutexInit(m, MutexKind.RECURSIVE);
      yield* mutexLock(self, m);
      yield* mutexLock(self, m);
    },
    refused: (self, m) => mutexUnlock(self, m),
  },
  {
    name: "RECURSIVE unlock when nobody holds it: EPERM",
    error: Errno.EPERM,
    bytes: 16,
    *prepare(_self, m) {
      yield* mutexInit(m, MutexKind.RECURSIVE);
    },
    refused: (self, m) => mutexUnlock(self, m),
  },
  {
    name: "trylock of a mutex another thread holds: EBUSY",
    error: Errno.EBUSY,
    bytes: 16,
    other: true,
    *prepare(self, m) {
      yield* mutexInit(m, MutexKind.NORMAL);
      yield* mutexLock(self, m);
    },
    refused: (self, m) => mutexTryLock(self, m),
  },
  {
    name: "mutex init with an unknown kind: EINVAL, the memory untouched",
    error: Errno.EINVAL,
    bytes: 16,
    *prepare(self, m) {
      yield* mutexInit(m, MutexKind.RECURSIVE);
      yield* mutexLock(self, m);
    },
    refused: (_self, m) => mutexInit(m, 7),
  },
  {
    name: "cond wait with an ERRORCHECK mutex the caller does not hold: EPERM, nothing queued",
    error: Errno.EPERM,
    bytes: 48,
    *prepare(_self, c) {
      yield* mutexInit(c + 32, MutexKind.ERRORCHECK);
    },
    refused: (self, c) => condWait(self, c, c + 32),
  },
  {
    name: "rwlock wrlock by its writer: EDEADLK",
    error: Errno.EDEADLK,
    bytes: 32,
    *prepare(self, rw) {
      yield* rwlockWrlock(self, rw);
    },
    refused: (self, rw) => rwlockWrlock(self, rw),
  },
  {
    name: "rwlock rdlock by its writer: EDEADLK",
    error: Errno.EDEADLK,
    bytes: 32,
    *prepare(self, rw) {
      yield* rwlockWrlock(self, rw);
    },
    refused: (self, rw) => rwlockRdlock(self, rw),
  },
  {
    name: "rwlock tryrdlock while another thread writes: EBUSY",
    error: Errno.EBUSY,
    bytes: 32,
    other: true,
    *prepare(self, rw) {
      yield* rwlockWrlock(self, rw);
    },
    refused: (self, rw) => rwlockRdlock(self, rw, true),
  },
  {
    name: "rwlock trywrlock while readers hold it: EBUSY",
    error: Errno.EBUSY,
    bytes: 32,
    other: true,
    *prepare(self, rw) {
      yield* rwlockRdlock(self, rw);
      yield* rwlockRdlock(self, rw);
    },
    refused: (self, rw) => rwlockWrlock(self, rw, true),
  },
  {
    name: "rwlock unlock by a thread while another writes: EPERM",
    error: Errno.EPERM,
    bytes: 32,
    other: true,
    *prepare(self, rw) {
      yield* rwlockWrlock(self, rw);
    },
    refused: (self, rw) => rwlockUnlock(self, rw),
  },
  {
    name: "rwlock unlock when nobody holds it: EPERM",
    error: Errno.EPERM,
    bytes: 32,
    *prepare() {},
    refused: (self, rw) => rwlockUnlock(self, rw),
  },
  {
    name: "barrier init with count 0: EINVAL, the memory untouched",
    error: Errno.EINVAL,
    bytes: 16,
    *prepare(_self, b) {
      yield* barrierInit(b, 3);
    },
    refused: (_self, b) => barrierInit(b, 0),
  },
  {
    name: "key delete of a key not in use: EINVAL, the key table untouched",
    error: Errno.EINVAL,
    bytes: PTHREAD_KEYS_MAX * AreaLayout.KEY_ENTRY,
    keys: true,
    *prepare(self) {
      const k = yield* keyCreate(self);
      yield* keyDelete(self, k.key);
      yield* keyCreate(self);
    },
    refused: (self) => keyDelete(self, 5),
  },
  {
    name: "setspecific on a key not in use: EINVAL, the key table untouched",
    error: Errno.EINVAL,
    bytes: PTHREAD_KEYS_MAX * AreaLayout.KEY_ENTRY,
    keys: true,
    *prepare(self) {
      yield* keyCreate(self);
    },
    refused: (self) => setSpecific(self, 9, 1234),
  },
];

describe("a refused call returns its error and leaves the object's bytes as they were", () => {
  for (const c of cases) {
    it(c.name, () => {
      let before: number[] = [];
      let after: number[] = [];
      let error = -1;
      const b = boot(function* (self) {
        const obj = yield* libc.sbrk(64);
        yield* c.prepare(self, obj);
        const at = c.keys ? self.lib.area + AreaLayout.KEYS : obj;
        before = [...(yield* mem.read(at, c.bytes))];
        if (c.other) {
          const t = yield* self.create(function* (t: Pthread) {
            return yield* c.refused(t, obj);
          });
          error = (yield* self.join(t.thread)).value;
        } else error = yield* c.refused(self, obj);
        after = [...(yield* mem.read(at, c.bytes))];
        return 0;
      });
      expect(b.kernel.crashes).toEqual([]);
      expect(b.status).toBe(0);
      expect(error).toBe(c.error);
      expect(after).toEqual(before);
    });
  }
});
