// vitest benchmarks of the hot paths (pnpm bench --project sched). Numbers, not assertions:
// the ratios to native code come from baseline-sched.ts.
import { bench, describe } from "vitest";
import { CfsPolicy, RoundRobinPolicy, SlotRing, threadId, VruntimeHeap, VruntimeTree } from "../src/index.js";

const N = 10_000;
let seed = 0x5c7ed011 | 0;
function rnd(): number {
  let x = seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  seed = x;
  return x >>> 0;
}

describe("run-queue structures, pick + requeue over 10,000 threads", () => {
  const heap = new VruntimeHeap(N);
  const tree = new VruntimeTree(N);
  const ring = new SlotRing(N);
  for (let t = 0; t < N; t++) {
    const v = rnd() % 1_000_000;
    heap.push(t, v);
    tree.insert(t, v);
    ring.push(t);
  }
  bench("VruntimeHeap popMin + push", () => {
    const key = heap.peekKey();
    heap.push(heap.popMin(), key + 100 + (rnd() % 4000));
  });
  bench("VruntimeTree popLeftmost + insert", () => {
    const key = tree.leftmostKey();
    tree.insert(tree.popLeftmost(), key + 100 + (rnd() % 4000));
  });
  bench("SlotRing shift + push", () => {
    ring.push(ring.shift());
  });
});

describe("policies, pick + tick + requeue over 1,000 threads", () => {
  const make = <P extends RoundRobinPolicy | CfsPolicy>(p: P): P => {
    for (let t = 0; t < 1000; t++) {
      p.admit(threadId(t), { nice: (t % 11) - 5 });
      p.enqueue(threadId(t), "new");
    }
    return p;
  };
  const rr = make(new RoundRobinPolicy({ quantum: 1 }));
  const cfs = make(new CfsPolicy());
  bench("RoundRobinPolicy", () => {
    const t = rr.pickNext()!;
    rr.tick(t, 1);
    rr.enqueue(t, "preempted");
  });
  bench("CfsPolicy (rbtree)", () => {
    const t = cfs.pickNext()!;
    cfs.tick(t, 3);
    cfs.enqueue(t, "preempted");
  });
});
