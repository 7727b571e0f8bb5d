/**
 * Kernel inspectors: the reports behind the shell's `ps`, `free`, `buddyinfo`, `vmrs`, `pte`,
 * `sched`, `handles` and `forks` (in the spirit of xv6's `vmprint` and LunaDBG's `mm` and `sched`
 * commands). Each reads kernel state through the packages' own views — nothing is recomputed
 * here — and answers bad arguments with a one-line message instead of throwing, so a typo in the
 * shell never stops the machine.
 *
 * | command            | reads                                                                 |
 * | ------------------ | --------------------------------------------------------------------- |
 * | `ps`               | the kernel's process and thread tables (group, session, CPU cycles)    |
 * | `free`             | the frame allocator, the kernel-stack cache, the file system          |
 * | `buddyinfo`        | `BuddyAllocator.buddyinfo()` (Linux's /proc/buddyinfo)                 |
 * | `vmrs <pid>`       | `AddressSpace.dump()` (/proc/<pid>/maps)                               |
 * | `pte <pid> <addr>` | hw-x86's `treeWalkPath` + `describeEntry`: the walk, level by level    |
 * | `sched`            | each CPU's running thread and its policy's ready set                   |
 * | `handles <pid>`    | the process's handle table (objects, koids, rights)                    |
 * | `forks`            | `Kernel.forkStats`: forks so far and the values replayed to rebuild children |
 *
 * Related: `personality.ts` (the `lunadbg` call), `programs/sh.ts` (the shell).
 */
import { describeEntry, LEVEL_NAMES, treeWalkPath, type VirtAddr } from "@osbricks/hw-x86";
import type { Kernel, Process, Thread } from "@osbricks/kernel";
import type { BuddyAllocator, SlabCache } from "@osbricks/vm";
import type { Vfs } from "./fs/vfs.js";

/** What the inspectors read. */
export interface InspectTarget {
  readonly kernel: Kernel;
  /** The buddy allocator, when the kernel uses one (`buddyinfo` needs its free lists). */
  readonly buddy: BuddyAllocator | null;
  readonly fs: Vfs;
  /** The slab caches to list in `free`. */
  readonly slabs: readonly SlabCache[];
  /** Frames the firmware keeps (never free, never used). */
  readonly reserved: number;
  /** Names of kernel threads by tid (`kstatd`). */
  readonly kthreads: ReadonlyMap<number, string>;
}

/** The inspector commands, with their usage. */
export const INSPECTORS: Readonly<Record<string, string>> = {
  ps: "ps                 processes and their threads",
  free: "free               physical memory in frames and KiB",
  buddyinfo: "buddyinfo          free blocks per order",
  vmrs: "vmrs <pid>         the memory areas of a process",
  pte: "pte <pid> <addr>   the page walk for an address, level by level",
  sched: "sched              run queues per CPU",
  handles: "handles <pid>      a process's handle table",
  forks: "forks              what fork by replay has cost so far",
};

const pad = (s: string | number, n: number): string => String(s).padEnd(n);
const rpad = (s: string | number, n: number): string => String(s).padStart(n);

/** ps's STAT letter, as Linux's: R running or runnable, S sleeping, T stopped (SIGSTOP), Z zombie. */
function stateLetter(p: Process): string {
  if (p.phase !== "live") return "Z";
  if (p.stopped) return "T";
  if (p.threads.some((t) => t.runState === "running")) return "R";
  if (p.threads.some((t) => t.runState === "ready")) return "R";
  return "S";
}

function userProcess(target: InspectTarget, text: string | undefined, cmd: string): Process | string {
  if (text === undefined) return `${cmd}: usage: ${INSPECTORS[cmd]}`;
  if (!/^\d+$/.test(text)) return `${cmd}: ${JSON.stringify(text)} is not a pid`;
  const p = target.kernel.processes.get(Number(text));
  if (p === undefined || p.phase === "reaped") return `${cmd}: no process ${text}`;
  if (p.pid === 0) return `${cmd}: pid 0 is the kernel (no user address space)`;
  if (p.addressSpace === null) return `${cmd}: process ${text} is a zombie (its memory is gone)`;
  return p;
}

function ps(k: Kernel, kthreads: ReadonlyMap<number, string>): string {
  // TIME: cycles on a CPU (the kernel's per-thread accounting; a process's is its threads' sum,
  // exited ones included), as ps's TIME column is CPU time, not time since the start.
  // PGID and SID: the process group and session (job control: a job's stages share a group).
  const lines = [
    `${pad("PID", 5)}${pad("PPID", 6)}${pad("PGID", 6)}${pad("SID", 5)}${pad("S", 3)}${pad("THR", 5)}${rpad("TIME", 10)}  IMAGE`,
  ];
  const procs = [...k.processes.values()].filter((p) => p.phase !== "reaped").sort((a, b) => a.pid - b.pid);
  for (const p of procs) {
    const name = p.pid === 0 ? "[kernel]" : p.image;
    lines.push(
      `${pad(p.pid, 5)}${pad(p.parent?.pid ?? "-", 6)}${pad(p.pgid, 6)}${pad(p.sid, 5)}${pad(stateLetter(p), 3)}${pad(p.threads.length, 5)}${rpad(k.processCpuTimeOf(p), 10)}  ${name}`,
    );
    for (const t of p.threads) {
      const wait = t.wait !== null ? ` (${t.wait.on})` : "";
      const name = kthreads.get(t.tid);
      lines.push(
        `       tid ${t.tid}${name ? ` ${name}` : ""} ${t.runState}${wait} on cpu${t.cpu}, ${k.cpuTimeOf(t)} cycles`,
      );
    }
  }
  return lines.join("\n");
}

function free(t: InspectTarget): string {
  const f = t.kernel.frames;
  const total = f.frameCount;
  const reserved = t.reserved;
  const freeFrames = f.freeFrames();
  const used = total - reserved - freeFrames;
  const kib = (n: number) => `${n * 4} KiB`;
  const st = t.kernel.stacks.stats();
  const fs = t.fs.usage();
  const slabs = t.slabs.map((c) => {
    const s = c.stats();
    return `slab ${s.name}: ${s.objectsInUse}/${s.objectsTotal} objects of ${s.objectSize} B in ${s.framesHeld} frames`;
  });
  return [
    `${pad("", 10)}${rpad("frames", 10)}${rpad("KiB", 12)}`,
    `${pad("total", 10)}${rpad(total, 10)}${rpad(total * 4, 12)}`,
    `${pad("reserved", 10)}${rpad(reserved, 10)}${rpad(reserved * 4, 12)}   (firmware, holes, frame 0)`,
    `${pad("used", 10)}${rpad(used, 10)}${rpad(used * 4, 12)}`,
    `${pad("free", 10)}${rpad(freeFrames, 10)}${rpad(freeFrames * 4, 12)}`,
    `kernel stacks: ${st.live} live, ${st.cached} cached (guarded, from vm's stack cache)`,
    ...slabs,
    `ramfs: ${fs.inodes} inodes, ${fs.bytes} bytes of file data in ${fs.frames} frames (${kib(fs.frames)})${fs.orphans > 0 ? `, ${fs.orphans} unlinked but open` : ""}`,
  ].join("\n");
}

function pte(target: InspectTarget, pidText: string | undefined, addrText: string | undefined): string {
  const p = userProcess(target, pidText, "pte");
  if (typeof p === "string") return p;
  if (addrText === undefined) return `pte: usage: ${INSPECTORS.pte}`;
  const va = /^0x[0-9a-f]+$/i.test(addrText)
    ? Number.parseInt(addrText, 16)
    : /^\d+$/.test(addrText)
      ? Number(addrText)
      : NaN;
  if (!Number.isSafeInteger(va) || va < 0 || va >= 2 ** 47) {
    return `pte: ${JSON.stringify(addrText)} is not a user address (expected 0x0..0x7fffffffffff)`;
  }
  const space = p.addressSpace!;
  const path = treeWalkPath(
    { memory: target.kernel.memory, root: space.root as never, levels: 4 },
    va as VirtAddr,
  );
  const lines = [`pte ${p.pid} 0x${va.toString(16)}: CR3 = 0x${space.root.toString(16)}`];
  for (const e of path) {
    const name = LEVEL_NAMES[e.level];
    lines.push(
      `  ${pad(name, 5)}[${rpad(e.index, 3)}] @0x${e.entryAddress.toString(16)}  ${describeEntry(e.lo, e.hi, e.level)}`,
    );
  }
  const area = space.findArea(va);
  lines.push(area ? `  area: ${area.toString()}` : "  area: none (an access here is SIGSEGV)");
  return lines.join("\n");
}

function sched(k: Kernel): string {
  const bySched = new Map<number, Thread>();
  for (const t of k.threads.values()) bySched.set(t.schedId as number, t);
  const name = (id: number): string => {
    const t = bySched.get(id);
    return t === undefined ? `#${id}` : `${t.tid}(${t.process.pid === 0 ? "kthread" : t.process.image})`;
  };
  const lines: string[] = [];
  for (const c of k.cpus) {
    const pol = k.sched.policyOf(c.cpuId);
    const ready = pol.readyThreads().map((id) => name(id as number));
    lines.push(
      `cpu${c.id}: policy ${pol.name}, running ${c.current ? name(c.current.schedId as number) : "idle"}, ready [${ready.join(", ")}]`,
    );
  }
  const s = k.sched.stats();
  lines.push(`switches ${s.switches}, migrations ${s.migrations}`);
  const blocked = [...k.threads.values()].filter((t) => t.runState === "blocked");
  if (blocked.length > 0)
    lines.push(`blocked: ${blocked.map((t) => `${t.tid} (${t.wait?.on ?? "?"})`).join(", ")}`);
  return lines.join("\n");
}

function handles(target: InspectTarget, pidText: string | undefined): string {
  const p = userProcess(target, pidText, "handles");
  if (typeof p === "string") return p;
  const lines = [`${pad("HANDLE", 12)}${pad("KOID", 6)}${pad("TYPE", 9)}RIGHTS`];
  for (const h of p.handleTable.list()) {
    lines.push(
      `${pad(`0x${(h.handle as number).toString(16)}`, 12)}${pad(h.koid as number, 6)}${pad(h.type, 9)}${h.object.type.formatRights(h.rights)}`,
    );
  }
  return lines.join("\n");
}

/**
 * Run one inspector command line (`"pte 3 0x400000"`) and return its report.
 * Never throws for any command text: unknown commands and bad arguments are reported in the text.
 *
 * @example
 * ```ts
 * inspect(target, "vmrs 99"); // "vmrs: no process 99"
 * ```
 */
export function inspect(target: InspectTarget, command: string): string {
  const [cmd, a1, a2] = command.trim().split(/\s+/);
  const k = target.kernel;
  switch (cmd) {
    case "ps":
      return ps(k, target.kthreads);
    case "free":
      return free(target);
    case "buddyinfo":
      return target.buddy === null
        ? "buddyinfo: this kernel's frame allocator has no orders (not a buddy allocator)"
        : target.buddy.buddyinfo().trimEnd();
    case "vmrs": {
      const p = userProcess(target, a1, "vmrs");
      return typeof p === "string" ? p : `${p.pid} (${p.image}):\n${p.addressSpace!.dump()}`;
    }
    case "pte":
      return pte(target, a1, a2);
    case "sched":
      return sched(k);
    case "handles":
      return handles(target, a1);
    case "forks": {
      const f = k.forkStats;
      return `forks: ${f.forks} so far, replaying ${f.replayed} recorded values in all to rebuild the children; the last fork replayed ${f.lastReplayed}`;
    }
    default:
      return `lunadbg: unknown inspector ${JSON.stringify(cmd ?? "")}; try: ${Object.keys(INSPECTORS).join(", ")}`;
  }
}
