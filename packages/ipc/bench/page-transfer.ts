/**
 * Page transfer against copying (issue 6, "Speed"): move n pages from one address space to
 * another by editing page tables (one TLB shootdown round for the batch), versus allocating n
 * frames, copying 4 KiB into each and mapping them, for n = 1, 16 and 256. Each iteration moves
 * the pages there and back (or copies there and frees the copies), on vm's `Pmap` over hw-x86's
 * page tables, so both sides pay the same page-table walks. Tables stay allocated (see below).
 *
 * Prints one JSON line per size (best of 3, CPU time) and a table of the ratio move/copy.
 * Run: pnpm tsx --conditions=@osbricks/source packages/ipc/bench/page-transfer.ts
 */
import { Mapper, PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, FrameRefCounts, Pmap, type ShootdownTarget } from "@osbricks/vm";
import { PageTransfer } from "../src/index.js";

const FRAMES = 8192;
const memory = new PhysicalMemory({ size: FRAMES * 4096 });
const alloc = new BuddyAllocator({ frames: FRAMES });
alloc.reserve(0, 1);
const refs = new FrameRefCounts(alloc);
let invalidations = 0;
const shootdown: ShootdownTarget = {
  activeCpus: (id) => [id - 1],
  invalidatePages: (_cpu, _id, vas) => {
    invalidations += vas.length;
  },
  invalidateSpace: () => {
    invalidations++;
  },
};
const a = new Pmap(new Mapper({ memory, frames: alloc }), memory, 1, shootdown);
const b = new Pmap(new Mapper({ memory, frames: alloc }), memory, 2, shootdown);
const xfer = new PageTransfer({ refs, memory });
const SRC = 0x4000_0000;
const DST = 0x8000_0000;
for (let i = 0; i < 256; i++) {
  const f = refs.alloc()!;
  memory.fillFrame(f, i & 0xff);
  a.enter(SRC + i * 4096, f, { writable: true, noExecute: true });
}
// One resident page beside each range keeps its page tables alive, as in any real address space
// (the mapper frees a table when its last entry goes; a benchmark that rebuilt tables on every
// move would measure table zeroing, not the transfer).
for (const [space, base] of [
  [a, DST],
  [b, SRC],
  [a, SRC],
  [b, DST],
] as const) {
  space.enter(base + 511 * 4096, refs.alloc()!, { writable: false, noExecute: true });
}
a.flush();
b.flush();

/**
 * Best of 3 timed runs, in CPU seconds of this process (process.cpuUsage): on a shared machine the
 * wall clock also counts the time other processes hold the CPU.
 */
function time(label: string, pages: number, iters: number, body: () => void): number {
  for (let i = 0; i < Math.min(50, iters); i++) body(); // warm-up
  let secs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) body();
    const cu = process.cpuUsage(c0);
    secs = Math.min(secs, (cu.user + cu.system) / 1e6);
  }
  const pagesPerSec = (iters * pages) / secs;
  console.log(
    JSON.stringify({
      bench: "page-transfer",
      impl: "ts",
      mode: label,
      pages,
      iters,
      secs: Number(secs.toFixed(6)),
      pages_per_s: Math.round(pagesPerSec),
    }),
  );
  return pagesPerSec;
}

const rows: string[] = [];
for (const n of [1, 16, 256]) {
  const iters = Math.max(20, Math.floor(20000 / n));
  const move =
    time("move", n, iters, () => {
      xfer.move(a, SRC, b, DST, n);
      xfer.move(b, DST, a, SRC, n);
    }) * 2;
  const copy = time("copy", n, iters, () => {
    const r = xfer.copy(a, SRC, b, DST, n);
    if (r.kind !== "ok") throw new Error(r.kind);
    for (let i = 0; i < n; i++) {
      b.remove(DST + i * 4096);
      refs.release(r.frames[i]!);
    }
    b.flush();
  });
  rows.push(
    `| ${n} | ${(move / 1e6).toFixed(3)}M | ${(copy / 1e6).toFixed(3)}M | ${(move / copy).toFixed(2)}× |`,
  );
}
console.log(
  [
    "| pages per transfer | move (pages/s) | copy (pages/s) | move / copy |",
    "|---:|---:|---:|---:|",
    ...rows,
  ].join("\n"),
);
console.log(`stats ${JSON.stringify(xfer.stats())}, TLB invalidations ${invalidations}`);
