// vitest benches of the runtime's hot paths, each a whole simulated run (`pnpm bench --project runtime`).
import { Kernel, libc, ProgramRegistry } from "@osbricks/kernel";
import { bench, describe } from "vitest";
import { mutexLock, mutexUnlock, type Pthread, type PthreadMain, pthreadMain } from "../src/index.js";

function run(main: PthreadMain, cpus = 1): void {
  const programs = new ProgramRegistry().register({ name: "init", main: pthreadMain(main) });
  const k = new Kernel({ programs, cpus });
  k.boot("init");
  if (k.run().outcome !== "all-exited") throw new Error("bench run did not finish");
}

// biome-ignore lint/correctness/useYield: an empty thread, as sysrate.c's noop
function* noop(_self: Pthread, a: number) {
  return a;
}

describe("runtime", () => {
  bench("pthread create + join × 1000", () =>
    run(function* (self) {
      for (let i = 0; i < 1000; i++) yield* self.join((yield* self.create(noop, i)).thread);
      return 0;
    }),
  );
  bench("uncontended mutex lock + unlock × 5000", () =>
    run(function* (self) {
      const m = yield* libc.sbrk(16);
      for (let i = 0; i < 5000; i++) {
        yield* mutexLock(self, m);
        yield* mutexUnlock(self, m);
      }
      return 0;
    }),
  );
  bench("contended mutex: 4 threads × 500 on 2 CPUs", () =>
    run(function* (self) {
      const m = yield* libc.sbrk(16);
      const body = function* (t: Pthread) {
        for (let i = 0; i < 500; i++) {
          yield* mutexLock(t, m);
          yield* mutexUnlock(t, m);
        }
        return 0;
      };
      const ts: number[] = [];
      for (let i = 0; i < 4; i++) ts.push((yield* self.create(body)).thread);
      for (const t of ts) yield* self.join(t);
      return 0;
    }, 2),
  );
});
