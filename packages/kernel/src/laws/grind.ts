/**
 * The grinder law suite, after xv6's `user/grind.c`: seeded runs of {@link grindInit} on kernels
 * made by `make` (your allocator, policy, COW strategy, CPU count...). Every run must end without
 * a kernel exception, with every invariant intact (checked after every trap in some runs), and,
 * once every process is gone, with every frame, kernel object, ipc slot and open file free again.
 * A second law checks that a run is reproducible from its seed (three seeds, each run twice).
 *
 * Random programs and the POSIX system-call table: this suite needs the POSIX personality.
 *
 * Related: `../../test/grind.test.ts` (our kernel under it).
 */
import type { Kernel } from "../kernel/kernel.js";
import { libc } from "../posix/libc.js";
import { posixSyscalls } from "../posix/table.js";
import { exitedStatus } from "../posix/wait-status.js";
import { type ProcessStart, TEXT_BASE, USER_STACK_TOP } from "../program/image.js";
import { ProgramRegistry } from "../program/registry.js";
import type { UserCode } from "../program/trap.js";
import { compute, mem, syscall } from "../program/user.js";
import { USER_TOP } from "../syscalls/decl.js";
import type { Law } from "./law.js";

const PAGE = 4096;
/** Steps each grinder takes. */
export const GRIND_STEPS = 150;

/**
 * The grinder: a random program that calls every system call of the POSIX table with plausible
 * and garbage arguments, pokes memory, forks, execs, spawns, signals and sometimes crashes.
 * `argv[1]` seeds it. Its PRNG state lives in a local, so fork's replay reproduces it exactly.
 */
export function* grindProgram(s: ProcessStart): UserCode<number> {
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
  for (let step = 0; step < GRIND_STEPS; step++) {
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
        // kill: a process, or a group (-g; -1 is every process but init and the caller).
        if (name === "kill") {
          const target = rnd() % 12;
          args.splice(0, 2, rnd() % 3 === 0 ? -target : target, pick([0, 10, 12, 17, 13, 9]));
        }
        // setpgid: the caller or a small pid (a sibling, a child), into a new group or a small one.
        if (name === "setpgid") args.splice(0, 2, pick([0, 0, rnd() % 24]), pick([0, 0, rnd() % 24]));
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
      const k = rnd() % 5;
      if (k === 0) yield* mem.load32(va);
      else if (k === 1) yield* mem.store32(va, rnd());
      else if (k === 2) yield* mem.read(va, rnd() % (3 * PAGE));
      else if (k === 3) yield* mem.write(va, new Uint8Array(rnd() % 64));
      else yield* mem.cas32(va & ~(rnd() % 2 === 0 ? 3 : 0), rnd(), rnd()); // sometimes misaligned: SIGBUS
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

/** Grinders a run starts in all ({@link grindInit} keeps four alive until it has started this many). */
export const GRIND_WORKERS = 16;

/**
 * The grinder's init: keeps four grinders seeded from `argv[1]` running, starting a new one each
 * time it reaps a child, until {@link GRIND_WORKERS} have been started (a grinder lives a few
 * dozen traps: it kills, crashes and exits at random, as xv6's grind children do), then reaps
 * every child. Exits 1 if a grinder could not be started, 0 when none is left.
 */
export function* grindInit(s: ProcessStart): UserCode<number> {
  const seed = Number(s.argv[1] ?? "1");
  let started = 0;
  const start = function* (): UserCode<boolean> {
    const pid = yield* libc.spawnv("grind", ["grind", String(seed * 31 + started)]);
    started++;
    return pid > 0;
  };
  for (let i = 0; i < 4; i++) if (!(yield* start())) return 1;
  for (;;) {
    const w = yield* libc.waitpid(-1);
    if (w.pid < 0) return 0;
    if (started < GRIND_WORKERS && !(yield* start())) return 1;
  }
}

/** Options of {@link grindLaws}. */
export interface GrindLawOptions {
  /** Seeded runs. Default 50. */
  readonly runs?: number;
  /** Every n-th run is paranoid (checkInvariants after every trap). Default 6. */
  readonly paranoidEvery?: number;
  /** Simulated cycles before the machine is shut down. Default 20 000 000. */
  readonly maxCycles?: number;
}

/** The programs a grind run needs: `init` and `grind`. */
export function grindPrograms(): ProgramRegistry {
  return new ProgramRegistry()
    .register({ name: "init", main: grindInit })
    .register({ name: "grind", main: grindProgram });
}

/**
 * Boot one grind run on the kernel `make` builds, shut it down and check it.
 * @returns the kernel, for further inspection.
 * @throws Error naming the seed and what was left or broken.
 */
export function grindOnce(
  make: (programs: ProgramRegistry, seed: number, paranoid: boolean) => Kernel,
  seed: number,
  paranoid: boolean,
  maxCycles = 20_000_000,
): Kernel {
  const k = make(grindPrograms(), seed, paranoid);
  const init = k.boot("init", ["init", String(seed)]);
  k.run({ maxCycles });
  // A kernel that cannot start the grinders would pass everything below having run nothing.
  if (init.phase !== "live" && init.exitStatus === exitedStatus(1))
    throw new Error(`grind seed ${seed}: init could not start a grinder (spawn failed)`);
  k.shutdown();
  k.run();
  k.checkInvariants();
  const leaks = k.resourceLeaks();
  if (leaks.length > 0) throw new Error(`grind seed ${seed}: leaked ${leaks.join("; ")}`);
  return k;
}

/**
 * The grinder laws for kernels made by `make`.
 * @example
 * ```ts
 * for (const law of grindLaws((programs, seed, paranoid) => new Kernel({ programs, seed, paranoid }))) law.check();
 * ```
 */
export function grindLaws(
  make: (programs: ProgramRegistry, seed: number, paranoid: boolean) => Kernel,
  opts: GrindLawOptions = {},
): Law[] {
  const runs = opts.runs ?? 50;
  const every = opts.paranoidEvery ?? 6;
  const maxCycles = opts.maxCycles ?? 20_000_000;
  return [
    {
      name: `grind: ${runs} seeded runs end with invariants intact and nothing leaked`,
      check: () => {
        for (let seed = 1; seed <= runs; seed++)
          grindOnce(make, seed, every > 0 && seed % every === 0, maxCycles);
      },
    },
    {
      name: "grind: a run is reproducible from its seed",
      check: () => {
        // Three seeds, each run twice: traps, clock, crashes and the statuses pid 0 reaped agree.
        const fingerprint = (k: Kernel): string =>
          JSON.stringify([k.steps, k.now, k.crashes, k.life.reapedByKernel, k.forkStats]);
        for (const seed of [5, 6, 7]) {
          const a = grindOnce(make, seed, false, maxCycles);
          const b = grindOnce(make, seed, false, maxCycles);
          if (fingerprint(a) !== fingerprint(b)) {
            throw new Error(
              `grind seed ${seed} ran differently twice: ${a.steps} vs ${b.steps} traps, cycle ${a.now} vs ${b.now}`,
            );
          }
        }
      },
    },
  ];
}
