import { BitmapAllocator, BuddyAllocator } from "@osbricks/vm";
import { frameAllocatorLaws, runFrameAllocatorLaws } from "@osbricks/vm/laws";

// A student's allocator runs the same suite as ours: one call...
runFrameAllocatorLaws(() => new BitmapAllocator({ frames: 128, maxOrder: 5 }), { numRuns: 30 });

// ...or one test per law, e.g. inside vitest or jest:
for (const law of frameAllocatorLaws(() => new BuddyAllocator({ frames: 128, maxOrder: 5 }), {
  numRuns: 30,
})) {
  law.check(); // it(law.name, () => law.check());
}
