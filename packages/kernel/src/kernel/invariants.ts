/**
 * The kernel's invariants and its leak check, across every package it is assembled from.
 *
 * `checkKernelInvariants` asks every structure for its own invariants (frames, objects, the
 * scheduler, ipc, vm, kernel stacks, APICs, timers, TLBs, the clock), then checks what only the
 * kernel can see: that CPUs, the scheduler and the threads agree on who runs, that exactly the
 * blocked threads have a wait record, that exactly the threads of stopped processes are
 * suspended, the process tree, process groups and sessions, and the reference counts of open
 * files and pipes.
 *
 * `resourceLeaks` is the grinder's final check: once every user process is gone, every frame,
 * kernel object and ipc slot must be free again, every open file description released, and the
 * scheduler must hold no record of a thread that is gone.
 *
 * Related: `kernel.ts` (paranoid mode calls the check after every trap), `../laws/grind.ts`.
 */
import { KernelInvariantError } from "../errors.js";
import { checkFileInvariants } from "../posix/fd-table.js";
import type { OpenFile } from "../posix/files.js";
import { checkJobInvariants } from "../posix/jobs.js";
import type { Kernel } from "./kernel.js";

/**
 * Check every invariant of `k` (see the banner).
 * @throws KernelInvariantError, or a lower package's InvariantError, naming the first broken one.
 */
export function checkKernelInvariants(k: Kernel): void {
  k.frames.checkInvariants();
  k.objects.checkInvariants();
  k.ipc.checkInvariants();
  k.futex.checkInvariants();
  k.sched.checkInvariants();
  k.clock.checkInvariants();
  for (const c of k.cpus) {
    c.hw.checkInvariants(); // registers and cached context, TLB, APIC, timer, PAT, MTRRs
    const cr3 = c.loaded === null ? k.kernelMapper.root : c.loaded.root;
    if (c.hw.cr3 !== cr3) {
      throw new KernelInvariantError(
        `cpu ${c.id}: CR3 = 0x${c.hw.cr3.toString(16)}, loaded space's root 0x${cr3.toString(16)}`,
      );
    }
    if (c.current && (c.current.runState !== "running" || k.sched.current(c.cpuId) !== c.current.schedId)) {
      throw new KernelInvariantError(`cpu ${c.id} runs tid ${c.current.tid} in state ${c.current.runState}`);
    }
    // IF is 1 exactly while idle (HLT): an IPI sent to an idle CPU is taken at once, one sent to a
    // CPU running a thread waits in its IRR, and the trap loop must know (`ipiPending`), else the
    // timer's poll would acknowledge the vector without running the handler: a lost shootdown.
    if (c.hw.interruptsEnabled !== (c.current === null)) {
      throw new KernelInvariantError(
        `cpu ${c.id}: IF=${c.hw.interruptsEnabled ? 1 : 0} ${c.current ? "while running a thread" : "while idle"}`,
      );
    }
    if (!c.ipiPending && c.apic.pendingVectors().includes(k.shootdown.protocol.vector)) {
      throw new KernelInvariantError(`cpu ${c.id}: a shootdown IPI is in its IRR but not marked pending`);
    }
  }
  for (const t of k.threads.values()) {
    const running = k.cpus.some((c) => c.current === t);
    if ((t.runState === "running") !== running) {
      throw new KernelInvariantError(
        `tid ${t.tid} is ${t.runState} but ${running ? "is" : "is not"} on a CPU`,
      );
    }
    if ((t.runState === "blocked") !== (t.wait !== null)) {
      throw new KernelInvariantError(
        `tid ${t.tid} is ${t.runState} with${t.wait ? "" : "out"} a wait record`,
      );
    }
    if (t.frames.length === 0) throw new KernelInvariantError(`tid ${t.tid} is alive with no frames`);
    if ((t.runState === "suspended") !== (t.process.stopped && t.runState !== "blocked")) {
      throw new KernelInvariantError(
        `tid ${t.tid} is ${t.runState} in a process that is ${t.process.stopped ? "stopped" : "not stopped"}`,
      );
    }
  }
  // Time accounting: every cycle of every CPU went to exactly one thread, or to idling.
  let elapsed = 0;
  let accounted = k.exitedCpuTime;
  for (const c of k.cpus) {
    elapsed += c.time;
    accounted += c.idleCycles;
  }
  for (const t of k.threads.values()) accounted += k.cpuTimeOf(t);
  if (elapsed !== accounted) {
    throw new KernelInvariantError(
      `CPU clocks add up to ${elapsed} cycles but threads' CPU time and idle time to ${accounted}`,
    );
  }
  k.vm.checkInvariants();
  k.stacks.checkInvariants();
  k.life.checkInvariants();
  checkJobInvariants(k);
  const held: OpenFile[] = [];
  for (const t of k.threads.values()) if (t.ioFile !== null) held.push(t.ioFile);
  checkFileInvariants(
    [...k.processes.values()].map((p) => p.files),
    held,
  );
}

/**
 * What `k` still holds although no user process exists (empty: nothing leaked).
 * @param bootFreeFrames free frames right after the kernel was built.
 * @param bootObjects live kernel objects right after the kernel was built.
 */
export function resourceLeaks(k: Kernel, bootFreeFrames: number, bootObjects: number): string[] {
  const out: string[] = [];
  k.stacks.trim(); // cached kernel stacks are free memory kept mapped for reuse: release them first
  const frames = bootFreeFrames - k.frames.freeFrames();
  if (frames !== 0) out.push(`${frames} frames not free`);
  const kthreads = k.life.kernelProcess.threads;
  const objects = k.objects.liveObjects().length - bootObjects - kthreads.length;
  if (objects !== 0)
    out.push(`${objects} kernel objects alive (${k.objects.liveObjects().map(String).join(", ")})`);
  const held = kthreads.filter((t) => t.ipcSlot >= 0).length;
  const used = k.ipc.maxThreads - k.freeIpcSlots();
  if (used !== held) out.push(`${used - held} ipc slots in use`);
  const records = k.sched.threadIds().length - k.threads.size - 1; // tid 0, the idle task, stays
  if (records !== 0) out.push(`${records} scheduler records of threads that are gone`);
  for (const p of k.processes.values()) if (p.pid !== 0) out.push(`pid ${p.pid} (${p.image}) is ${p.phase}`);
  // Descriptions the kernel process's table holds (a kernel thread's) are in use, not leaked.
  const kernelHeld = new Set(k.life.kernelProcess.files.entries().map(([, f]) => f));
  const open = k.life.openFiles.unreleased().filter((f) => !kernelHeld.has(f));
  if (open.length > 0)
    out.push(
      `${open.length} open files never released (${open.map((f) => `${f.kind} refs=${f.refs}`).join(", ")})`,
    );
  return out;
}
