import { NO_FRAME, PageTree } from "@osbricks/vm";

// A VM object's pages: page offset -> frame number, 36-bit offsets, 6 levels of 64 slots.
const pages = new PageTree();
pages.set(0x3456789ab, 42); // creates the 5 nodes below the root on its path
pages.set(0x3456789aa, 43); // same leaf node
pages.set(7, 0); // frame 0 is a valid value
console.log(pages.get(0x3456789ab)); // 42
console.log(pages.get(8) === NO_FRAME); // true: lookups never allocate
console.log(pages.nodeCount); // 11: root + 5 + 5

// Walk a range in key order (e.g. to unmap pages 0..2^32-1), skipping empty subtrees.
pages.forEachInRange(0, 2 ** 32, (page, pfn) => console.log(page, pfn)); // 7 0

pages.delete(0x3456789ab);
pages.delete(0x3456789aa); // the leaf empties: it and its empty parents are freed
console.log(pages.nodeCount); // 6
pages.clear((_page, pfn) => console.log("free frame", pfn)); // back to the root alone
pages.checkInvariants();
