// vitest benchmark of a slab cache (`pnpm bench --project vm`).
import { bench, describe } from "vitest";
import { BuddyAllocator, SlabCache } from "../src/index.js";

describe("slab cache", () => {
  const cache = new SlabCache({ name: "b64", objectSize: 64, frames: new BuddyAllocator({ frames: 4096 }) });
  bench("alloc + free x256", () => {
    const got: number[] = [];
    for (let i = 0; i < 256; i++) got.push(cache.alloc()!);
    for (const a of got) cache.free(a);
  });
});
