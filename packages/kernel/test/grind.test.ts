// The random-system-call grinder, after xv6's user/grind.c: many seeded runs of programs that
// call every system call with garbage (bad pointers, unmapped buffers, huge lengths, closed
// descriptors, fractional and non-numeric registers), poke random memory, fork, exec, spawn,
// signal and crash. Afterwards: the kernel never threw, every invariant holds, and once every
// process is gone every frame, kernel object and ipc slot is free again.
import { describe, expect, it } from "vitest";
import {
  compute,
  Kernel,
  libc,
  mem,
  type ProcessStart,
  ProgramRegistry,
  posixSyscalls,
  syscall,
  TEXT_BASE,
  USER_STACK_TOP,
  USER_TOP,
  type UserCode,
} from "../src/index.js";

const PAGE = 4096;
const STEPS = 150;

/** A random program. Its PRNG state lives in a local, so fork's replay reproduces it exactly. */
function* grind(s: ProcessStart): UserCode<number> {
  let x = Number(s.argv[1] ?? "7") >>> 0 || 7;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;
  const heap = yield* libc.sbrk(2 * PAGE);
  const path = yield* libc.cstring("grind");
  const maps: number[] = [];
  let forks = 2;
  const worker = s.addressOf(function* (arg: number) {
    yield* compute(arg & 0xfff);
    yield* syscall(39);
    return arg;
  });
  const addrs = (): number =>
    pick([
      heap,
      heap + (rnd() % (2 * PAGE)),
      path,
      0,
      1,
      TEXT_BASE,
      TEXT_BASE + 16,
      USER_STACK_TOP - 8,
      USER_STACK_TOP - 64 * PAGE,
      USER_TOP - 4,
      USER_TOP + 4096,
      -4096,
      0xdead_b000,
      maps[rnd() % Math.max(1, maps.length)] ?? heap,
      worker,
    ]);
  const good = (): number =>
    pick([
      heap + (rnd() % (2 * PAGE)),
      USER_STACK_TOP - 8 - (rnd() % PAGE),
      maps[rnd() % Math.max(1, maps.length)] ?? heap,
    ]);
  const value = (): unknown => {
    const r = rnd() % 10;
    if (r < 3) return rnd() % 8; // small: fds, flags, signals, counts
    if (r < 6) return rnd() % 2 === 0 ? good() : addrs(); // pointers, good and bad
    if (r < 7) return ((rnd() % 4) + 1) * PAGE;
    if (r < 8) return pick([-1, 0, 2 ** 31, 2 ** 40, USER_TOP, rnd()]);
    return pick<unknown>([0.5, Number.NaN, "garbage", undefined, rnd() * 4096]);
  };
  for (let step = 0; step < STEPS; step++) {
    const r = rnd() % 100;
    if (r < 55) {
      const e = pick(posixSyscalls.entries);
      const name = e.name;
      if (name === "fork") {
        if (forks-- <= 0) continue;
      }
      if ((name === "exit" || name === "exit_group") && rnd() % 4 !== 0) continue;
      const args = e.decl.args.map(() => value());
      if (rnd() % 2 === 0) {
        // Plausible arguments half of the time, so calls get past the checks and into the handlers.
        if (name === "mmap")
          args.splice(
            0,
            6,
            pick([0, good()]) & ~0xfff,
            ((rnd() % 4) + 1) * PAGE,
            rnd() % 8,
            pick([0x22, 0x21, 0x32, 0x31]),
            -1,
            0,
          );
        if (name === "munmap" || name === "mprotect")
          args[0] = (maps[rnd() % Math.max(1, maps.length)] ?? heap) + (rnd() % 2) * PAGE;
        if (name === "read" || name === "write" || name === "close" || name === "dup") args[0] = rnd() % 6;
        if (name === "kill") args.splice(0, 2, rnd() % 12, pick([0, 10, 12, 17, 13, 9]));
        if (name === "sigaction") args.splice(0, 4, pick([10, 12, 13, 17]), pick([0, 1, worker]), 0, 0); // not SIGSEGV: a handler that returns would retry the fault forever, as on hardware
        if (name === "waitpid") args.splice(0, 3, -1, good(), rnd() % 2);
      }
      if (name === "execve" || name === "spawn") args[0] = rnd() % 2 === 0 ? path : args[0];
      if (name === "thread_create") args[0] = rnd() % 2 === 0 ? worker : args[0];
      if (rnd() % 20 === 0) args.pop(); // wrong argument count
      const res = (yield { kind: "syscall", nr: e.decl.nr, args: args as number[] }) as number;
      if (name === "mmap" && res > 0) maps.push(res);
    } else if (r < 80) {
      const va = rnd() % 40 === 0 ? addrs() : good();
      const k = rnd() % 4;
      if (k === 0) yield* mem.load32(va);
      else if (k === 1) yield* mem.store32(va, rnd());
      else if (k === 2) yield* mem.read(va, rnd() % (3 * PAGE));
      else yield* mem.write(va, new Uint8Array(rnd() % 64));
    } else if (r < 97) {
      yield* compute(rnd() % 5000);
    } else if (r < 98) {
      throw new Error("grind: deliberate crash");
    } else {
      yield* mem.store8(pick([0, USER_TOP]), 1);
    }
  }
  return rnd() & 0xff;
}

function* init(s: ProcessStart): UserCode<number> {
  const seed = Number(s.argv[1] ?? "1");
  for (let i = 0; i < 4; i++) {
    const pid = yield* libc.spawnv("grind", ["grind", String(seed * 31 + i)]);
    if (pid < 0) return 1;
  }
  for (;;) {
    const w = yield* libc.waitpid(-1);
    if (w.pid < 0) return 0;
  }
}

function run(seed: number, paranoid: boolean) {
  const programs = new ProgramRegistry()
    .register({ name: "init", main: init })
    .register({ name: "grind", main: grind });
  const k = new Kernel({
    programs,
    paranoid,
    cpus: 1 + (seed % 3),
    seed,
    memoryFrames: 2048,
    maxProcesses: 64,
  });
  k.boot("init", ["init", String(seed)]);
  k.run({ maxCycles: 20_000_000 });
  k.shutdown();
  k.run();
  k.checkInvariants();
  return k;
}

describe("grind", () => {
  it("30 seeded runs: no kernel exception, invariants hold after every trap in 5 of them, nothing leaks", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const k = run(seed, seed % 6 === 0);
      expect(k.resourceLeaks(), `seed ${seed}`).toEqual([]);
    }
  });

  it("is reproducible: the same seed gives the same number of traps and crashes", () => {
    const a = run(5, false);
    const b = run(5, false);
    expect(a.steps).toBe(b.steps);
    expect(a.crashes).toEqual(b.crashes);
    expect(a.now).toBe(b.now);
  });
});
