// A kernel stack unmapped while another CPU may still cache its global translation: the
// KernelStackCache wired to IpiShootdown.invalidateKernelPage and whenAcknowledged, as a kernel
// wires it. The frames come back only after every CPU took the IPI (Intel SDM 4.10.5).
import * as hw from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import { VmArgumentError } from "../src/errors.js";
import { BuddyAllocator } from "../src/frames/buddy.js";
import { IpiShootdown } from "../src/space/ipi-shootdown.js";
import { KernelStackCache } from "../src/stacks/kernel-stacks.js";
import { FirstFitRanges } from "../src/vrange/first-fit.js";

const KERNEL_STACKS = -(2 ** 39);

function rig() {
  const memory = new hw.PhysicalMemory({ size: 512 * 4096 });
  const frames = new BuddyAllocator({ frames: 512 });
  frames.reserve(0, 1);
  const kernel = new hw.Mapper({ memory, frames });
  const bus = new hw.IpiBus();
  const cpus = [0, 1].map((id) => bus.attach(new hw.Cpu({ id, memory })));
  for (const c of cpus) {
    c.writeCr4(c.cr4 | hw.CR4.PGE); // global entries survive CR3 loads
    c.writeCr3(kernel.root);
  }
  const target = new IpiShootdown({ cpus, protocol: new hw.TlbShootdown(bus), initiator: () => cpus[0]! });
  const stacks = new KernelStackCache({
    ranges: new FirstFitRanges({ base: KERNEL_STACKS, size: 2 ** 26 }),
    mapper: kernel,
    frames,
    memory,
    cacheLimit: 0, // every free unmaps: the path under test
    invalidate: (va) => target.invalidateKernelPage(va),
    whenAcknowledged: (done) => target.whenAcknowledged(done),
  });
  /** Whether CPU `i`'s TLB holds a global entry for `va`. */
  const cached = (i: number, va: number) => cpus[i]!.tlb.entries().some((e) => e.va === va && e.global);
  return { frames, cpus, target, stacks, cached };
}

describe("kernel stacks unmapped by IPI shootdown", () => {
  it("a CPU with interrupts off keeps its global entry and the frames stay allocated until it takes the IPI", () => {
    const { frames, cpus, target, stacks, cached } = rig();
    const s = stacks.alloc()!;
    // CPU 1 touches the stack in kernel mode: a global TLB entry.
    expect(cpus[1]!.translate(s.base, hw.Access.Write).kind).toBe("ok");
    expect(cached(1, s.base)).toBe(true);
    cpus[1]!.cli();
    stacks.free(s); // unmapped on CPU 0, requests posted to CPU 1
    expect(target.pending().length).toBe(s.frames.length);
    expect(target.ipisSent).toBe(s.frames.length);
    expect(cached(1, s.base)).toBe(true); // stale until the IPI is taken
    // Not reusable while CPU 1 may still write there through its stale entry.
    for (const f of s.frames) expect(frames.isAllocated(f)).toBe(true);
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    expect(cached(1, s.base)).toBe(false);
    target.collectAcknowledgements();
    expect(target.pending()).toEqual([]);
    for (const f of s.frames) expect(frames.isAllocated(f)).toBe(false);
    stacks.checkInvariants();
  });

  it("a CPU with interrupts on takes the IPI at once: the frames come back within free()", () => {
    const { frames, cpus, target, stacks, cached } = rig();
    const s = stacks.alloc()!;
    cpus[1]!.translate(s.top - 8, hw.Access.Read);
    cpus[1]!.sti();
    stacks.free(s);
    expect(cached(1, s.top - 4096)).toBe(false);
    expect(target.pending()).toEqual([]);
    for (const f of s.frames) expect(frames.isAllocated(f)).toBe(false);
  });

  it("refuses an address that is not an integer and sends nothing", () => {
    const { target } = rig();
    expect(() => target.invalidateKernelPage(0.5)).toThrow(VmArgumentError);
    expect(() => target.invalidateKernelPage(0.5)).toThrow(/invalidateKernelPage\(va=0.5\)/);
    expect(target.ipisSent).toBe(0);
  });
});
