// The README's example, run: a bounded buffer with a mutex and two condition variables.
import { Kernel, libc, mem, ProgramRegistry } from "@osbricks/kernel";
import { expect, it } from "vitest";
import { condSignal, condWait, mutexLock, mutexUnlock, type Pthread, pthreadMain } from "../src/index.js";

// ---- from README.md, "Example" ----
const SLOTS = 4; // [mutex 16][notFull 32][notEmpty 32][count, head, tail][slots]
const put = function* (t: Pthread, b: number, v: number) {
  yield* mutexLock(t, b);
  while ((yield* mem.load32(b + 80)) === SLOTS) yield* condWait(t, b + 16, b);
  const tail = yield* mem.load32(b + 88);
  yield* mem.store32(b + 96 + 4 * tail, v);
  yield* mem.store32(b + 88, (tail + 1) % SLOTS);
  yield* mem.store32(b + 80, (yield* mem.load32(b + 80)) + 1);
  yield* condSignal(b + 48); // notEmpty
  yield* mutexUnlock(t, b);
};
const take = function* (t: Pthread, b: number) {
  yield* mutexLock(t, b);
  while ((yield* mem.load32(b + 80)) === 0) yield* condWait(t, b + 48, b);
  const head = yield* mem.load32(b + 84);
  const v = yield* mem.load32(b + 96 + 4 * head);
  yield* mem.store32(b + 84, (head + 1) % SLOTS);
  yield* mem.store32(b + 80, (yield* mem.load32(b + 80)) - 1);
  yield* condSignal(b + 16); // notFull
  yield* mutexUnlock(t, b);
  return v;
};
// ---- end of the README's code ----

it("README example: a producer puts 1..100, a consumer takes them; the sum is 5050", () => {
  const programs = new ProgramRegistry().register({
    name: "init",
    main: pthreadMain(function* (self) {
      const b = yield* libc.sbrk(128);
      const producer = yield* self.create(function* (t, buf) {
        for (let v = 1; v <= 100; v++) yield* put(t, buf, v);
        return 0;
      }, b);
      const consumer = yield* self.create(function* (t, buf) {
        let sum = 0;
        for (let i = 0; i < 100; i++) sum += yield* take(t, buf);
        return sum;
      }, b);
      yield* self.join(producer.thread);
      const { value } = yield* self.join(consumer.thread);
      return value === 5050 ? 0 : 1;
    }),
  });
  const k = new Kernel({ programs, cpus: 2 });
  const init = k.boot("init");
  expect(k.run().outcome).toBe("all-exited");
  expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
});
