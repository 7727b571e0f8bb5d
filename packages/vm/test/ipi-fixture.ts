/**
 * Two hw-x86 CPUs on an IPI bus, both running one address space, with shootdowns sent as IPIs
 * (`IpiShootdown` over hw-x86's `TlbShootdown`): the machine on which a CPU with interrupts off
 * keeps a stale TLB entry until it takes the IPI (Intel SDM 4.10.5).
 */
import * as hw from "@osbricks/hw-x86";
import { BuddyAllocator } from "../src/frames/buddy.js";
import { IpiShootdown } from "../src/space/ipi-shootdown.js";
import { VmSystem } from "../src/space/vm-system.js";
import type { StrategyName } from "./space-fixture.js";

/**
 * @param strategy - the COW strategy of the VM system.
 * @param frameCount - RAM and allocator size in frames (frame 0 reserved).
 */
export function ipiRig(strategy: StrategyName, frameCount = 256) {
  /** The CPUs `onPending` named, in order: requests they could not take at once. */
  const pendingOn: number[] = [];
  const memory = new hw.PhysicalMemory({ size: frameCount * 4096 });
  const frames = new BuddyAllocator({ frames: frameCount });
  frames.reserve(0, 1);
  const bus = new hw.IpiBus();
  const cpus = [0, 1].map((id) => bus.attach(new hw.Cpu({ id, memory })));
  /** Which space each CPU runs, as the kernel's scheduler would tell `spaceOn`. */
  const running = new Map<unknown, number>();
  const target = new IpiShootdown({
    cpus,
    protocol: new hw.TlbShootdown(bus),
    initiator: () => cpus[0]!,
    spaceOn: (c) => running.get(c) ?? null,
    onPending: (cpu) => pendingOn.push(cpu),
  });
  const sys = new VmSystem({ memory, frames, strategy, shootdown: target });
  const initialFree = frames.freeFrames();
  const s = sys.createSpace();
  for (const c of cpus) {
    c.writeCr3(s.root);
    c.sti();
    running.set(c, s.id);
  }
  /**
   * A user-mode byte store on `cpu` (of `value`, or only the translation when it is omitted),
   * faulting into the space as the kernel would: "ok", a fault's kind, or "loop" if it never
   * resolves.
   */
  const store = (cpu: number, va: number, value?: number): string => {
    const c = cpus[cpu]!;
    for (let i = 0; i < 3; i++) {
      c.setCpl(3);
      const r = c.translate(va, hw.Access.Write);
      c.setCpl(0);
      if (r.kind === "ok") {
        if (value !== undefined) memory.write8(r.pa, value);
        return "ok";
      }
      if (r.kind !== "page-fault") return r.kind;
      const f = s.handleFault(va, "write");
      if (f.kind !== "resolved") return f.kind === "segv" ? `segv:${f.reason}` : f.kind;
    }
    return "loop";
  };
  return { memory, frames, cpus, running, target, sys, s, store, initialFree, pendingOn };
}
