/**
 * A walk through the simulated x86-64 machine of `@osbricks/hw-x86`, in the order an OS course
 * meets it: physical memory and the boot map, building a page-table tree, one translation taken
 * apart level by level, the TLB and the bug a forgotten INVLPG causes, the #PF error code, a
 * non-canonical address (#GP, not #PF), and why a framebuffer is mapped write-combining.
 *
 * Every line printed comes from the library's own describe/dump functions: nothing here
 * re-implements the hardware. Run it with `pnpm run walkthrough` at the root.
 */
import {
  Access,
  describeEntry,
  describePageFaultErrorCode,
  effectiveMemoryType,
  FRAMEBUFFER_BASE,
  Mapper,
  MemoryType,
  Mmu,
  Mtrrs,
  makeContext,
  memoryTypeName,
  PAGE_2M,
  PAGE_4K,
  PAT_LINUX,
  Pat,
  PhysicalMemory,
  patBits,
  StackFrameSource,
  Tlb,
  type TlbFlush,
} from "@osbricks/hw-x86";

const hex = (n: number) => (n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);
const LEVEL = ["", "PT", "PD", "PDPT", "PML4", "PML5"] as const;

/** Print the walkthrough through `out`, one line per call. Deterministic: the same lines every run. */
export function hwWalkthrough(out: (line: string) => void): void {
  out("== 1. Physical memory: 64 MiB of RAM, sparse, with a boot memory map ==");
  const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
  for (const r of memory.bootMap())
    out(`  ${hex(r.base).padStart(12)} +${hex(r.length).padEnd(10)} ${r.type}`);

  out("== 2. A page-table tree in that memory (tables from frames 0x100..0x1ff) ==");
  const mapper = new Mapper({ memory, frames: new StackFrameSource(0x100, 256) });
  const code = 0x400000;
  const heap = 0x7f1234567000;
  mapper.map(code, 0x200000, PAGE_2M, { user: true }); // text: read + execute, one 2 MiB page
  mapper.map(heap, 0x345000, PAGE_4K, { writable: true, user: true, noExecute: true });
  for (const line of mapper.dump().split("\n")) out(`  ${line}`);

  out(`== 3. The MMU translates ${hex(heap + 0xabc)} for a user-mode write, level by level ==`);
  const tlb = new Tlb({ sets: 16, ways: 4 });
  const mmu = new Mmu({ memory, tlb });
  const user = makeContext({ root: mapper.root, cpl: 3 });
  const first = mmu.translate(user, heap + 0xabc, Access.Write);
  for (const e of mapper.walkPath(heap)) {
    out(
      `  ${LEVEL[e.level]?.padEnd(4)} [${String(e.index).padStart(3)}] @ ${hex(e.entryAddress)}: ${describeEntry(e.lo, e.hi, e.level)}`,
    );
  }
  out(
    `  result: ${first.kind === "ok" ? `pa ${hex(first.pa)}` : first.kind} (the walk set A on every level, D on the leaf)`,
  );
  const again = mmu.translate(user, heap + 0x10, Access.Read);
  out(
    `  a second access to the page: ${again.kind === "ok" && again.tlbHit ? "TLB hit, no walk" : "walked"}`,
  );

  out("== 4. The bug a forgotten INVLPG causes ==");
  const r = mapper.protect(heap, PAGE_4K, { user: true, noExecute: true });
  const flush = (r as { flush: TlbFlush }).flush;
  const vaInHex = (key: string, v: unknown) => (key === "va" && typeof v === "number" ? hex(v) : v);
  out(`  protect(read-only) returned the obligation: ${JSON.stringify(flush, vaInHex)}`);
  out(
    `  without invlpg, a user write is still: ${mmu.translate(user, heap, Access.Write).kind} (stale TLB entry)`,
  );
  if (flush.kind === "page") tlb.invlpg(user.pcid, flush.va);
  const fault = mmu.translate(user, heap, Access.Write);
  if (fault.kind === "page-fault") {
    out(
      `  after invlpg: #PF, CR2=${hex(fault.cr2)}, error code ${hex(fault.errorCode)} = ${describePageFaultErrorCode(fault.errorCode)}`,
    );
  }

  out("== 5. Other faults the walk reports as values ==");
  const nx = mmu.translate(user, heap, Access.Execute);
  if (nx.kind === "page-fault")
    out(`  fetch from an XD page: #PF ${describePageFaultErrorCode(nx.errorCode)}`);
  const missing = mmu.translate(user, 0x10000000, Access.Read);
  if (missing.kind === "page-fault")
    out(`  read of an unmapped page: #PF ${describePageFaultErrorCode(missing.errorCode)}`);
  const kernel = mmu.translate(makeContext({ root: mapper.root, cpl: 0 }), code, Access.Write);
  out(`  supervisor write to the read-only text page with CR0.WP=1: ${kernel.kind}`);
  const gp = mmu.translate(user, 0x0000900000000000, Access.Read);
  out(
    `  non-canonical address 0x900000000000: ${gp.kind} (vector ${"vector" in gp ? gp.vector : "-"}, not a #PF)`,
  );

  out("== 6. Why a framebuffer is mapped write-combining ==");
  // The firmware's MTRRs: default UC, one variable range making RAM write-back. The framebuffer
  // lies above RAM, in the default (UC) range: every pixel store would be its own bus write.
  const mtrrs = new Mtrrs();
  mtrrs.setDefault({ enabled: true, fixedEnabled: false, type: MemoryType.UC });
  mtrrs.setVariable(0, { base: 0, size: 64 * 2 ** 20, type: MemoryType.WB });
  const pat = new Pat(PAT_LINUX); // Linux's layout: PA1 = WC, reached with PWT alone
  const show = (what: string, pa: number, patIndex: number) => {
    const mtrr = mtrrs.typeOf(pa).type;
    const fromPat = pat.entry(patIndex);
    const bits = patBits(patIndex, PAGE_4K); // the PTE's PAT, PCD and PWT bits
    out(
      `  ${what} ${hex(pa)}: MTRR ${memoryTypeName(mtrr)}; PTE bits ${hex(bits)} select PA${patIndex} = ${memoryTypeName(fromPat)}; effective ${memoryTypeName(effectiveMemoryType(mtrr, fromPat))}`,
    );
  };
  show("RAM page              ", 0x345000, 0);
  show("framebuffer, PCD + PWT", FRAMEBUFFER_BASE, 3);
  show("framebuffer, PWT only ", FRAMEBUFFER_BASE, 1);
  out("  PAT WC wins over MTRR UC (SDM Table 11-7): pixel stores combine into bursts, the MTRRs untouched");

  const s = tlb.stats;
  out(
    `== TLB: ${s.hits} hits, ${s.misses} misses, ${s.invlpgs} invlpg; ${mapper.tableCount} table frames ==`,
  );
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) hwWalkthrough((line) => console.log(line));
