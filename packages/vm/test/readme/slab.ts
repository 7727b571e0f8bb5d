import { BuddyAllocator, Kmalloc, SlabCache } from "@osbricks/vm";

const frames = new BuddyAllocator({ frames: 1024 });
// A cache of 96-byte VM-area descriptors: 42 per 4 KiB slab, 64 bytes left for colouring.
const areas = new SlabCache({ name: "vm_area", objectSize: 96, frames });
const a = areas.alloc()!; // a physical byte address inside a slab frame
const b = areas.alloc()!; // a + 96: same slab
areas.free(a);
const c = areas.alloc()!; // a again: the last freed slot is reused first (LIFO)
console.log(areas.stats()); // { partialSlabs: 1, fullSlabs: 0, emptySlabs: 0, objectsInUse: 2, ... }
areas.free(b);
areas.free(c);
areas.shrink(); // hand the empty slab back to the buddy
areas.destroy(); // would throw SlabBusyError while objects were live

// kmalloc: size classes 8..2048 over slab caches, whole frames above.
const heap = new Kmalloc(frames);
const small = heap.alloc(100)!; // from kmalloc-128
const large = heap.alloc(5000)!; // an order-1 block: 8 KiB
heap.free(small);
heap.free(large);
