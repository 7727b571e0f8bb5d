/**
 * The two copy-on-write strategies on the same workload, through the whole address-space path
 * (areas, faults, pmap over the hw-x86 Mapper, TLB shootdown to two CPUs): a "shell" with 256
 * touched pages forks 50 children; each child reads 64 pages, writes 16 and exits; the parent
 * writes 16 pages while each child lives. Then a fork chain: each process forks the next
 * (depth 8) and writes 8 pages. Prints, per strategy: faults by resolution, copies, reuses,
 * zero-fills, the longest object chain, objects alive at the peak, frames in use at the peak,
 * and the wall time.
 *
 * Run: pnpm tsx --conditions=@osbricks/source packages/vm/bench/compare-cow.ts
 */
import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { BuddyAllocator } from "../src/frames/buddy.js";
import type { AddressSpace } from "../src/space/address-space.js";
import type { SpaceEvent } from "../src/space/api.js";
import { type CpuTlb, SyncTlbShootdown } from "../src/space/shootdown.js";
import { userLoad8, userStore8 } from "../src/space/user-access.js";
import { VmSystem } from "../src/space/vm-system.js";

const FRAMES = 16384;
const BASE = 0x40_0000;

let rng = 0x5eed;
function rnd(): number {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return rng >>> 0;
}

function run(strategy: "shadow" | "refcount") {
  rng = 0x5eed;
  const memory = new PhysicalMemory({ size: FRAMES * 4096 });
  const frames = new BuddyAllocator({ frames: FRAMES });
  frames.reserve(0, 1);
  const cpus: CpuTlb[] = [0, 1].map(() => ({ tlb: new Tlb(), activeSpace: null, pcid: 0 }));
  const mmus = cpus.map((c) => new Mmu({ memory, tlb: c.tlb }));
  const faults = new Map<string, number>();
  const tracer = {
    emit: (e: SpaceEvent | { type: string }) => {
      if (e.type === "space.fault") {
        const o = (e as { outcome: string }).outcome;
        faults.set(o, (faults.get(o) ?? 0) + 1);
      }
    },
  };
  const sys = new VmSystem({ memory, frames, strategy, shootdown: new SyncTlbShootdown(cpus), tracer });
  const on = (s: AddressSpace, cpu: number) => {
    const c = cpus[cpu]!;
    if (c.activeSpace !== s.id) {
      c.tlb.flushAll("cr3");
      c.activeSpace = s.id;
    }
    return mmus[cpu]!;
  };
  let peakObjects = 0;
  let peakFrames = 0;
  const sample = () => {
    peakObjects = Math.max(peakObjects, sys.store.objects().length);
    peakFrames = Math.max(peakFrames, frames.frameCount - frames.freeFrames());
  };
  const t0 = performance.now();
  const shell = sys.createSpace();
  shell.map({ length: 256 * 4096, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: BASE } });
  for (let p = 0; p < 256; p++) userStore8(shell, on(shell, 0), BASE + p * 4096, p & 0xff);
  for (let i = 0; i < 50; i++) {
    const child = shell.fork()!;
    for (let k = 0; k < 64; k++) userLoad8(child, on(child, 1), BASE + (rnd() % 256) * 4096);
    for (let k = 0; k < 16; k++) userStore8(child, on(child, 1), BASE + (rnd() % 256) * 4096, 1);
    for (let k = 0; k < 16; k++) userStore8(shell, on(shell, 0), BASE + (rnd() % 256) * 4096, 2);
    sample();
    cpus[1]!.activeSpace = null;
    child.destroy();
  }
  const chain: AddressSpace[] = [shell];
  for (let d = 0; d < 8; d++) {
    const next = chain[chain.length - 1]!.fork()!;
    chain.push(next);
    for (let k = 0; k < 8; k++) userStore8(next, on(next, 1), BASE + (rnd() % 256) * 4096, d);
    sample();
  }
  let maxChainLen = 0;
  for (const s of chain)
    for (const a of s.areaList()) maxChainLen = Math.max(maxChainLen, a.object?.chainLength() ?? 1);
  sys.checkInvariants();
  for (const s of chain.reverse()) {
    for (const c of cpus) if (c.activeSpace === s.id) c.activeSpace = null;
    s.destroy();
  }
  const ms = performance.now() - t0;
  const st = sys.strategy.stats();
  return {
    strategy,
    faults: [...faults.values()].reduce((a, b) => a + b, 0),
    byKind: Object.fromEntries([...faults.entries()].sort()),
    copies: st.copies,
    reuses: st.reuses,
    zeroFills: st.zeroFills,
    maxChain: Math.max(st.maxChain, maxChainLen),
    peakObjects,
    peakFrames,
    leaked: frames.frameCount - 1 - frames.freeFrames(),
    ms: Math.round(ms),
  };
}

for (const s of ["shadow", "refcount"] as const) console.log(JSON.stringify(run(s)));
