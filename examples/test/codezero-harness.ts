// A bare machine for the Codezero-like personality's tests: a kernel with the microkernel's calls,
// a root task that is booted but not run (its calls are made directly through the dispatcher, as
// its traps would be), its UTCB and σ0 pool mapped as the boot code maps them, and snapshots of
// the state a refused call must leave alone.

import { copyIn, copyOut, Kernel, type Process, type ProgramMain, type Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { PROT_READ, PROT_WRITE } from "@osbricks/vm";
import { expect } from "vitest";
import {
  CapOp,
  codezeroSyscalls,
  MapProt,
  ThreadOp,
  UTCB_AREA,
  UTCB_BASE,
  UTCB_BUF,
  utcbOf,
} from "../src/codezero/abi.js";
import { CODEZERO_PROGRAMS } from "../src/codezero/kernel.js";
import { type CodezeroState, codezeroPersonality } from "../src/codezero/personality.js";
import { POOL_BASE } from "../src/codezero/servers/protocol.js";
import { benchRegistry } from "./bench-registry.js";

export const PAGE = 4096;

/** The test machine. */
export interface Bench {
  readonly k: Kernel;
  readonly state: CodezeroState;
  readonly root: Process;
  readonly rootThread: Thread;
  /** kdebug lines. */
  readonly lines: string[];
  /** Make call `name` as thread `t` (default: the root task's thread). */
  call(name: keyof typeof codezeroSyscalls.decls, args: readonly number[], t?: Thread): number;
  /** Put a string in `t`'s UTCB buffer; returns [address, length]. */
  str(text: string, t?: Thread): [number, number];
  /** Write the words of a UTCB (MR0 first) for `t`. */
  setMrs(words: readonly number[], t?: Thread): void;
  /** Read word `i` of `t`'s UTCB. */
  mr(i: number, t?: Thread): number;
  /** Everything a refused call must not change: handle tables, areas, endpoint queues, counters. */
  snapshot(): string;
}

/**
 * Boot the bench; `extra` programs join the demo's, `poolPages` of σ0 go to the root task;
 * `paranoid` checks every invariant after every trap when the kernel runs.
 */
export function bench(extra: Record<string, ProgramMain> = {}, poolPages = 8, paranoid = false): Bench {
  const reg = benchRegistry({ ...CODEZERO_PROGRAMS, ...extra });
  let state: CodezeroState | null = null;
  const lines: string[] = [];
  const k = new Kernel({
    programs: reg,
    cpus: 1,
    memoryFrames: 2048,
    paranoid,
    personality: codezeroPersonality({ kdebug: (task, text) => lines.push(`[${task}] ${text}`) }, (s) => {
      state = s;
    }),
  });
  const root = k.boot("t", ["t"]);
  root.vm.map({
    length: UTCB_AREA,
    prot: PROT_READ | PROT_WRITE,
    placement: { kind: "fixed", va: UTCB_BASE, replace: false },
    name: "[utcb]",
  });
  root.vm.map({
    length: poolPages * PAGE,
    prot: PROT_READ | PROT_WRITE,
    sharing: "shared",
    placement: { kind: "fixed", va: POOL_BASE, replace: false },
    name: "[sigma0 pool]",
  });
  const rootThread = root.threads[0]!;
  const nrOf = (name: keyof typeof codezeroSyscalls.decls) => codezeroSyscalls.decls[name].nr;
  const b: Bench = {
    k,
    state: state!,
    root,
    rootThread,
    lines,
    call: (name, args, t = rootThread) => k.dispatcher.dispatch(t, nrOf(name), args),
    str(text, t = rootThread) {
      const bytes = new Uint8Array([...text].map((c) => c.charCodeAt(0)));
      copyOut(k, t.process.vm, utcbOf(0) + UTCB_BUF, bytes);
      return [utcbOf(0) + UTCB_BUF, bytes.length];
    },
    setMrs(words, t = rootThread) {
      const out = new Uint8Array(words.length * 4);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < words.length; i++) dv.setInt32(i * 4, words[i]!, true);
      copyOut(k, t.process.vm, utcbOf(0), out);
    },
    mr(i, t = rootThread) {
      const b4 = copyIn(k, t.process.vm, utcbOf(0) + 4 * i, 4)!;
      return new DataView(b4.buffer, b4.byteOffset).getInt32(0, true);
    },
    snapshot() {
      const parts: string[] = [];
      for (const p of [...k.processes.values()].sort((a, c) => a.pid - c.pid)) {
        parts.push(`task ${p.pid} ${p.phase} stopped=${p.stopped}`);
        if (p.phase !== "live" || p.addressSpace === null) continue;
        for (const h of p.handleTable.list())
          parts.push(`  h ${h.handle} ${h.type} ${h.rights} koid ${h.koid}`);
        for (const a of p.vm.areaList()) parts.push(`  area ${a.start.toString(16)} ${a.name} ${a.prot}`);
      }
      parts.push(`derivations ${k.objects.derivations.size}`);
      parts.push(`counters ${JSON.stringify({ ...state!.counters, capRefusals: 0 })}`);
      return parts.join("\n");
    },
  };
  return b;
}

/**
 * As the demo's root task does: create mm0 paged by a σ0 endpoint, map it `pool` pages of the
 * root's pool, grant it every right on its endpoint; create each named task paged by mm0 and grant
 * it WRITE there; run them all. Returns their task ids, mm0's first.
 */
export function withMm0(b: Bench, pool: number, names: readonly string[]): number[] {
  const sigma0 = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  const ep = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  const [p1, n1] = b.str("mm0");
  const mh = b.call("l4_thread_control", [ThreadOp.CREATE, p1, n1, sigma0, pool]);
  const mm0 = b.call("l4_thread_control", [ThreadOp.ID, mh, 0, 0, 0]);
  expect(b.call("l4_map", [mm0, POOL_BASE, POOL_BASE, pool, MapProt.READ | MapProt.WRITE])).toBe(0);
  const all = Right.READ | Right.WRITE | Right.DUPLICATE | Right.TRANSFER;
  expect(b.call("l4_capability_control", [CapOp.GRANT, ep, mh, all])).toBeGreaterThan(0);
  const hs = [mh];
  for (const name of names) {
    const [p, n] = b.str(name);
    const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, ep, 0]);
    expect(b.call("l4_capability_control", [CapOp.GRANT, ep, h, Right.WRITE])).toBeGreaterThan(0);
    hs.push(h);
  }
  for (const h of hs) b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]);
  return hs.map((h) => b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]));
}
