import { Mapper, PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, FirstFitRanges, KernelStackCache } from "@osbricks/vm";

const memory = new PhysicalMemory({ size: 4 << 20 });
const frames = new BuddyAllocator({ frames: memory.frameCount });
frames.reserve(0, 1);
const kernel = new Mapper({ memory, frames }); // the kernel's page tables
const stacks = new KernelStackCache({
  ranges: new FirstFitRanges({ base: -(2 ** 39), size: 2 ** 24 }), // 0xffffff8000000000..
  mapper: kernel,
  frames,
  memory,
  invalidate: (va) => void va, // a kernel sends INVLPG to every CPU here
});
const s = stacks.alloc()!; // 4 pages mapped above 1 unmapped guard page
console.log(kernel.translate(s.base - 4096)); // null: the guard
console.log(stacks.classify(s.base - 8)?.kind); // "guard": an overflow, not silent corruption
stacks.free(s); // cached, still mapped
console.log(stacks.alloc() === s, stacks.stats()); // true { live: 1, cached: 0, hits: 1, misses: 1 }
stacks.checkInvariants();
