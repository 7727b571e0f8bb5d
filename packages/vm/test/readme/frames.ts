import { PhysicalMemory } from "@osbricks/hw-x86";
import {
  BuddyAllocator,
  FrameRefCounts,
  PoisoningAllocator,
  reserveUnusable,
  ZeroedFramePool,
} from "@osbricks/vm";

// 8 MiB of RAM with the legacy hole below 1 MiB reserved by the firmware.
const ram = new PhysicalMemory({
  size: 8 << 20,
  reserved: [{ base: 0x9f000, length: 0x61000, type: "reserved" }],
});
const buddy = new BuddyAllocator({ frames: ram.frameCount }); // 2048 frames, orders 0..10
reserveUnusable(buddy, ram.bootMap()); // frames 0x9f..0xff are never handed out

const block = buddy.alloc(3); // 8 contiguous frames, aligned to 8
if (block === null) throw new Error("out of memory is a result, not an exception");
buddy.free(block, 3); // merges with its free buddies again
console.log(buddy.buddyinfo()); // Node 0, zone   Normal      1      1 ...
console.log(buddy.unusableIndex(10)); // share of free memory useless for a 4 MiB block

// Debug mode: freed frames are filled with 0xaa and checked when handed out again.
const frames = new PoisoningAllocator(buddy, { memory: ram });
// Zeroed and dirty frames kept apart, in front of the allocator; every client goes through it.
const pool = new ZeroedFramePool(frames, { memory: ram });
// Page-refcount COW needs counts.
const refs = new FrameRefCounts(pool);
const page = refs.alloc()!; // count 1
refs.share(page); // fork: count 2
refs.release(page); // count 1: the last holder may write in place
refs.release(page); // count 0: back to the pool (its dirty stack)
const zeroed = pool.allocZeroed()!; // a frame that reads as zeros
pool.free(zeroed, 0);
pool.zeroIdle(8); // the idle loop zeroes dirty frames ahead of time
