// A bare machine for the jsix personality's tests: a kernel with the j6 calls, a first process
// that is booted but not run (its calls are made directly through the dispatcher, as its traps
// would be), a scratch page mapped for it, and a snapshot of the state a refused call must leave
// alone.

import { copyIn, copyOut, Kernel, type Process, type ProgramMain, type Thread } from "@osbricks/kernel";
import { PROT_READ, PROT_WRITE } from "@osbricks/vm";
import { jsixSyscalls } from "../src/jsix/abi.js";
import { JSIX_PROGRAMS } from "../src/jsix/kernel.js";
import { type JsixState, jsixPersonality } from "../src/jsix/personality.js";
import { INITRD } from "../src/jsix/programs/protocol.js";
import { benchRegistry } from "./bench-registry.js";

export const PAGE = 4096;
/** Where the bench maps each process's scratch page. */
export const SCRATCH = 0x2000_0000;

/** The test machine. */
export interface JBench {
  readonly k: Kernel;
  readonly state: JsixState;
  readonly root: Process;
  readonly rootThread: Thread;
  /** Serial console lines. */
  readonly serial: string[];
  /** Make call `name` as thread `t` (default: the first process's thread). */
  call(name: keyof typeof jsixSyscalls.decls, args: readonly number[], t?: Thread): number;
  /** Write int32 words at `va` in `t`'s space. */
  poke(va: number, words: readonly number[], t?: Thread): void;
  /** Read int32 word at `va` in `t`'s space. */
  peek(va: number, t?: Thread): number;
  /** Everything a refused call must not change: handle tables, areas, objects' signals, VMA mappings, counters. */
  snapshot(): string;
}

/** The programs of the bench: "t" (idle) first, then the demo's initrd. */
export const BENCH_PROGRAMS = ["t", ...INITRD] as const;

/** Boot the bench; `extra` programs are appended to the boot image (entries after the demo's). */
export function jbench(extra: Record<string, ProgramMain> = {}, paranoid = false): JBench {
  const reg = benchRegistry({ ...JSIX_PROGRAMS, ...extra });
  let state: JsixState | null = null;
  const serial: string[] = [];
  const k = new Kernel({
    programs: reg,
    cpus: 1,
    memoryFrames: 4096,
    paranoid,
    personality: jsixPersonality(
      { programs: [...BENCH_PROGRAMS, ...Object.keys(extra)], serial: (l) => serial.push(l) },
      (s) => {
        state = s;
      },
    ),
  });
  const root = k.boot("t", ["t"]);
  state!.adopt(root);
  root.handleTable.create(state!.system, state!.systemType.defaultRights);
  root.vm.map({
    length: PAGE,
    prot: PROT_READ | PROT_WRITE,
    placement: { kind: "fixed", va: SCRATCH, replace: false },
    name: "[scratch]",
  });
  const rootThread = root.threads[0]!;
  const nrOf = (name: keyof typeof jsixSyscalls.decls) => jsixSyscalls.decls[name].nr;
  return {
    k,
    state: state!,
    root,
    rootThread,
    serial,
    call: (name, args, t = rootThread) => k.dispatcher.dispatch(t, nrOf(name), args),
    poke(va, words, t = rootThread) {
      const out = new Uint8Array(words.length * 4);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < words.length; i++) dv.setInt32(i * 4, words[i]!, true);
      if (!copyOut(k, t.process.vm, va, out)) throw new Error(`poke 0x${va.toString(16)}: not mapped`);
    },
    peek(va, t = rootThread) {
      const b4 = copyIn(k, t.process.vm, va, 4);
      if (b4 === null) throw new Error(`peek 0x${va.toString(16)}: not mapped`);
      return new DataView(b4.buffer, b4.byteOffset).getInt32(0, true);
    },
    snapshot() {
      const parts: string[] = [];
      for (const p of [...k.processes.values()].sort((a, c) => a.pid - c.pid)) {
        parts.push(`process ${p.pid} ${p.phase} empty=${p.emptyImage} threads=${p.threads.length}`);
        if (p.phase !== "live" || p.addressSpace === null) continue;
        for (const h of p.handleTable.list())
          parts.push(`  h ${h.handle} ${h.type} ${h.rights} koid ${h.koid}`);
        for (const a of p.vm.areaList())
          parts.push(`  area ${a.start.toString(16)} ${a.pages} ${a.name} ${a.prot}`);
      }
      for (const o of k.objects.liveObjects())
        parts.push(`object ${o} ${o.state} signals ${o.signals} handles ${o.handleCount}`);
      for (const v of state!.vmas)
        parts.push(
          `vma ${v} pages ${v.pages} at ${v.mappings.map((m) => `${m.process.pid}:${m.va.toString(16)}`).join(",")}`,
        );
      parts.push(`derivations ${k.objects.derivations.size}`);
      parts.push(`counters ${JSON.stringify({ ...state!.counters, denied: 0 })}`);
      return parts.join("\n");
    },
  };
}

/** The entry number of a bench program. */
export function benchEntry(name: string): number {
  const i = (BENCH_PROGRAMS as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`no bench program ${name}`);
  return i;
}
