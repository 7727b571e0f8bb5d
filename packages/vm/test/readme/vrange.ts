import { FirstFitRanges, VirtualBuddy } from "@osbricks/vm";

// os2: a buddy allocator over the kernel's virtual pages. Sizes round up to powers of two.
const kva = new VirtualBuddy({ base: 0x8000_0000, pages: 4096 });
const stack = kva.alloc(0x3000)!; // 3 pages -> a 4-page block at 0x80000000
const buf = kva.alloc(0x1000)!; // 0x80004000
kva.free(stack, 0x3000);
kva.free(buf, 0x1000); // all merged back
console.log(kva.buddyinfo());

// Lunaix: hinted first fit over the user half; any page-multiple size.
const user = new FirstFitRanges({ base: 0x40_0000, size: 0x7fff_0000_0000 - 0x40_0000 });
const text = user.alloc(0x5000, { hint: 0x40_0000 })!; // 0x400000
const mmap = user.alloc(0x2000, { hint: 0x7f00_0000_0000 })!; // at the hint
user.claim(0x60_0000, 0x1000); // MAP_FIXED-like: true when wholly free
user.free(mmap + 0x1000, 0x1000); // an unmap that shrinks the mapping
user.free(text, 0x5000);
console.log(user.gaps()); // the free gaps, lowest first
