// Process groups and sessions against a naive model (fast-check model-based testing, after
// fast-check's musicPlayer example): a machine with init and a small family of sleeping processes
// (a spawned child, two forked children, a forked grandchild), then random setpgid, setsid and
// group kills through the kernel's own functions (src/posix/jobs.ts), one command class per
// operation, processes chosen by index modulo the family's size. After every command the model's
// groups and sessions equal the kernel's, and every kernel invariant holds (the job-control ones
// included: no group spans two sessions, a session leader leads its own group).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Errno,
  Kernel,
  libc,
  type Process,
  ProgramRegistry,
  Sig,
  setpgid,
  setsid,
  signalGroup,
  posixStubs as sys,
  type UserCode,
} from "../src/index.js";

interface ModelProc {
  readonly pid: number;
  readonly parent: number;
  readonly didExec: boolean;
  pgid: number;
  sid: number;
}
type Model = Map<number, ModelProc>;
interface Real {
  readonly k: Kernel;
  readonly procs: Process[];
}

/** Wait forever: read the pipe on descriptor 3, whose write end init keeps open and never uses. */
function* sleepForever(): UserCode<number> {
  for (;;) if ((yield* libc.read(3, 1)) === 0) return 0;
}

/** Boot the family: init (1) spawns A, forks B and C; B forks D. Everyone then waits on a pipe. */
function family(): { model: Model; real: Real } {
  const programs = new ProgramRegistry()
    .register({
      name: "init",
      *main() {
        yield* libc.pipe(); // descriptors 3 (read) and 4 (write), inherited by the family
        yield* libc.spawnv("sleeper");
        for (let i = 0; i < 2; i++) {
          const c = yield* sys.fork();
          if (c === 0) {
            if (i === 0 && (yield* sys.fork()) < 0) return 1; // B's child D
            return yield* sleepForever();
          }
        }
        return yield* sleepForever();
      },
    })
    .register({ name: "sleeper", main: sleepForever });
  const k = new Kernel({ programs, memoryFrames: 4096 });
  k.boot("init");
  expect(k.run({ stopWhenIdle: true, maxCycles: 1e8 }).outcome).toBe("idle");
  const procs = [...k.processes.values()].filter((p) => p.pid !== 0);
  expect(procs.length).toBe(5);
  const model: Model = new Map();
  for (const p of procs)
    model.set(p.pid, {
      pid: p.pid,
      parent: p.parent!.pid,
      didExec: p.didExec,
      pgid: p.pgid,
      sid: p.sid,
    });
  return { model, real: { k, procs } };
}

/** setpgid's rules, written plainly from the POSIX page and Linux's kernel/sys.c. */
function modelSetpgid(m: Model, caller: ModelProc, pid: number, pgid: number): number {
  if (pgid < 0) return -Errno.EINVAL;
  const p = pid === 0 ? caller : m.get(pid);
  if (p === undefined) return -Errno.ESRCH;
  if (p !== caller) {
    if (p.parent !== caller.pid) return -Errno.ESRCH;
    if (p.sid !== caller.sid) return -Errno.EPERM;
    if (p.didExec) return -Errno.EACCES;
  }
  if (p.sid === p.pid) return -Errno.EPERM;
  const id = pgid === 0 ? p.pid : pgid;
  if (id !== p.pid && ![...m.values()].some((q) => q.pgid === id && q.sid === caller.sid))
    return -Errno.EPERM;
  p.pgid = id;
  return 0;
}

const pick = (m: Model, i: number): ModelProc => [...m.values()][i % m.size]!;
const real = (r: Real, pid: number): Process => r.procs.find((p) => p.pid === pid)!;

class SetpgidCmd implements fc.Command<Model, Real> {
  constructor(
    readonly caller: number,
    readonly target: number,
    readonly group: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const caller = pick(m, this.caller);
    // Targets: 0 (the caller), a process of the family, or no process at all; the same for groups.
    const pids = [0, ...m.keys(), 999];
    const pid = pids[this.target % pids.length]!;
    const groups = [0, -1, ...[...m.values()].map((p) => p.pgid), ...m.keys(), 999];
    const pgid = groups[this.group % groups.length]!;
    const want = modelSetpgid(m, caller, pid, pgid);
    expect(setpgid(r.k, real(r, caller.pid), pid, pgid)).toBe(want);
    agree(m, r);
  }
  toString = () => `setpgid(#${this.caller}: ${this.target}, ${this.group})`;
}

class SetsidCmd implements fc.Command<Model, Real> {
  constructor(readonly who: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const p = pick(m, this.who);
    const leads = [...m.values()].some((q) => q.pgid === p.pid);
    const want = leads ? -Errno.EPERM : p.pid;
    if (!leads) p.sid = p.pgid = p.pid;
    expect(setsid(r.k, real(r, p.pid))).toBe(want);
    agree(m, r);
  }
  toString = () => `setsid(#${this.who})`;
}

/** SIGSTOP to a group (harmless to the model: stopped processes keep their group), then SIGCONT. */
class StopGroupCmd implements fc.Command<Model, Real> {
  constructor(readonly which: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const g = pick(m, this.which).pgid;
    const members = [...m.values()].filter((p) => p.pgid === g).map((p) => p.pid);
    expect(signalGroup(r.k, g, Sig.SIGSTOP)).toBe(true);
    for (const pid of members) expect(real(r, pid).stopped).toBe(pid !== 1); // init is unkillable
    expect(signalGroup(r.k, g, Sig.SIGCONT)).toBe(true);
    for (const pid of members) expect(real(r, pid).stopped).toBe(false);
    agree(m, r);
  }
  toString = () => `stop+cont group of #${this.which}`;
}

function agree(m: Model, r: Real): void {
  for (const p of m.values()) {
    const q = real(r, p.pid);
    expect({ pid: q.pid, pgid: q.pgid, sid: q.sid }).toEqual({ pid: p.pid, pgid: p.pgid, sid: p.sid });
  }
  r.k.checkInvariants();
}

describe("process groups and sessions against a model", () => {
  it("setpgid, setsid and group signals keep the kernel equal to the model and its invariants", () => {
    const n = fc.nat(40);
    const commands = [
      fc.tuple(n, n, n).map(([a, b, c]) => new SetpgidCmd(a, b, c)),
      n.map((a) => new SetsidCmd(a)),
      n.map((a) => new StopGroupCmd(a)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 25 }), (cmds) => {
        const { model, real: r } = family();
        fc.modelRun(() => ({ model, real: r }), cmds);
        r.k.shutdown();
        r.k.run();
      }),
      { numRuns: 40 },
    );
  });
});
