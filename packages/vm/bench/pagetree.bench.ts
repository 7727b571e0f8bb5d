// vitest benchmarks of the page tree (`pnpm bench --project vm`); the ratio to native code is
// measured by baseline-radix.ts on the baselines' exact workload.
import { bench, describe } from "vitest";
import { PageTree } from "../src/index.js";

const tree = new PageTree({ initialNodes: 1 << 12 });
const keys: number[] = [];
for (let i = 0; i < 4096; i++) {
  const key = ((i * 2654435761) >>> 0) * 16 + (i & 15); // spread over 36 bits
  keys.push(key);
  tree.set(key, i);
}

describe("page tree", () => {
  bench("lookup x4096 (sparse keys, 6 levels)", () => {
    let h = 0;
    for (const k of keys) h = (h + tree.get(k)) | 0;
    if (h === 42) throw new Error("unlikely");
  });
  bench("set + delete x256 (dense keys)", () => {
    const t = new PageTree({ keyBits: 24 });
    for (let i = 0; i < 256; i++) t.set(i, i);
    for (let i = 0; i < 256; i++) t.delete(i);
  });
});
