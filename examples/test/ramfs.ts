// Test helper: a Vfs mounted on its own small machine (RAM, buddy allocator, inode slab cache).
import { PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, SlabCache } from "@osbricks/vm";
import { INODE_BYTES, Vfs } from "../src/lunaix/fs/vfs.js";

export interface RamFs {
  readonly fs: Vfs;
  readonly frames: BuddyAllocator;
  readonly inodes: SlabCache;
}

/** A mounted file system over `frames` frames of RAM (frame 0 reserved, as the kernel does). */
export function ramFs(frames = 1024): RamFs {
  const memory = new PhysicalMemory({ size: frames * 4096 });
  const buddy = new BuddyAllocator({ frames });
  buddy.reserve(0, 1);
  const inodes = new SlabCache({ name: "inode_cache", objectSize: INODE_BYTES, frames: buddy });
  const fs = new Vfs();
  fs.mount({ memory, frames: buddy, inodes });
  return { fs, frames: buddy, inodes };
}
