import { PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, ObjectStore } from "@osbricks/vm";

const memory = new PhysicalMemory({ size: 1 << 20 });
const store = new ObjectStore({ frames: new BuddyAllocator({ frames: 256 }), memory });

const a = store.createAnonymous(4); // demand-zero, 4 pages, one link (the parent's area)
memory.write8(store.zeroFill(a, 1)! * 4096, 7); // page 1 touched

const parent = store.createShadow(a, 0, 4); // fork: two shadows in front of A...
const child = store.createShadow(a, 0, 4);
store.unlink(a); // ...and the parent's area now links its shadow instead of A

console.log(store.lookup(child, 1)); // { frame, depth: 1 }: read through to A
const copy = store.privatize(child, 1)!; // the child writes: page 1 copied into its shadow
console.log(memory.read8(copy * 4096)); // 7

store.unlink(child); // the child exits: A is left with one shadow and is merged into it
console.log(parent.chainLength(), parent.kind, store.stats().merges); // 1 "anonymous" 1
store.checkInvariants([parent]);
