// vitest benchmarks of the frame allocators' hot paths (`pnpm bench --project vm`). The ratio to
// native code is measured by baseline-buddy.ts on the baselines' exact workload; these compare
// our implementations with each other on small, repeatable loops.
import { bench, describe } from "vitest";
import { BitmapAllocator, BuddyAllocator } from "../src/index.js";

const FRAMES = 1 << 16;

function churn(
  a: { alloc(o: number): number | null; free(p: number, o: number): void },
  orders: readonly number[],
) {
  const live: Array<[number, number]> = [];
  for (let i = 0; i < 4096; i++) {
    const order = orders[i % orders.length]!;
    const p = a.alloc(order);
    if (p !== null) live.push([p, order]);
    if (live.length > 512) {
      const [q, k] = live.splice((i * 7919) % live.length, 1)[0]!;
      a.free(q, k);
    }
  }
  for (const [q, k] of live) a.free(q, k);
}

describe("alloc+free churn, orders 0..3", () => {
  const buddy = new BuddyAllocator({ frames: FRAMES });
  const bitmap = new BitmapAllocator({ frames: FRAMES });
  bench("buddy", () => churn(buddy, [0, 0, 1, 0, 2, 0, 3]));
  bench("bitmap", () => churn(bitmap, [0, 0, 1, 0, 2, 0, 3]));
});

describe("single frame alloc then free", () => {
  const buddy = new BuddyAllocator({ frames: FRAMES });
  const bitmap = new BitmapAllocator({ frames: FRAMES });
  bench("buddy", () => {
    const p = buddy.alloc(0)!;
    buddy.free(p, 0);
  });
  bench("bitmap", () => {
    const p = bitmap.alloc(0)!;
    bitmap.free(p, 0);
  });
});
