/**
 * The structural tracer every `@osbricks/vm` subsystem emits through (CONTRIBUTING.md, "Tracing").
 *
 * Subsystems never print: they hand typed, plain-data events to an optional tracer passed in their
 * options. Because the type is structural, a kernel can pass one object that also receives the
 * events of `@osbricks/hw-x86` or `@osbricks/sched` without any package importing another for it.
 */

/**
 * Receives the events of one subsystem. `E` is that subsystem's event union, discriminated by
 * `type` (for frames: {@link FrameEvent}).
 *
 * @example
 * ```ts
 * const log: FrameEvent[] = [];
 * const buddy = new BuddyAllocator({ frames: 64, tracer: { emit: (e) => log.push(e) } });
 * ```
 */
export interface Tracer<E extends { readonly type: string }> {
  /** Called synchronously, once per event, in the order the events happen. */
  emit(event: E): void;
}

/** Events of the frame allocators (buddy, bitmap) and the wrappers around them. */
export type FrameEvent =
  | { readonly type: "frame.alloc"; readonly pfn: number; readonly order: number }
  | { readonly type: "frame.free"; readonly pfn: number; readonly order: number }
  | { readonly type: "frame.oom"; readonly order: number }
  | { readonly type: "frame.reserve"; readonly pfn: number; readonly count: number }
  | { readonly type: "frame.release"; readonly pfn: number; readonly count: number };

/** Events of the slab caches: a slab taken from or given back to the frame allocator. */
export type SlabEvent =
  | { readonly type: "slab.grow"; readonly cache: string; readonly pfn: number; readonly order: number }
  | { readonly type: "slab.release"; readonly cache: string; readonly pfn: number; readonly order: number };

/** Events of the virtual range allocators. */
export type RangeEvent =
  | { readonly type: "vrange.alloc"; readonly va: number; readonly bytes: number }
  | { readonly type: "vrange.claim"; readonly va: number; readonly bytes: number }
  | { readonly type: "vrange.free"; readonly va: number; readonly bytes: number };
