// A/B of two copies of this package in ONE process: another commit's kernel (OLD) against the
// working tree's, on one of sysrate.c's workloads, in ABBA rounds, CPU time, medians. The way the
// fork-loop changes of issue 7's last round were measured (README, "The fork loop").
//
// Set up the other copy once (any commit), outside the repository:
//
//   git archive <commit> packages/kernel | tar -x -C /tmp/kold
//   ln -s "$PWD/packages/kernel/node_modules" /tmp/kold/packages/kernel/node_modules
//   cp tsconfig.base.json /tmp/kold/
//
// Run, once with each import order (FIRST=old, FIRST=new), and read the two ratios together:
//
//   OLD=/tmp/kold/packages/kernel WHICH=fork FIRST=old \
//     pnpm tsx --conditions=@osbricks/source packages/kernel/bench/ab-kernels.ts
//
// WHICH: fork (sysrate.c's fork loop, N forks, default 3000), null (getpid), thread (kernel-level
// create + futex join), pipe (1-byte round trip between two processes). ROUNDS: pairs (default 6).
//
// Why this shape: the two kernels share vm, hw-x86 and the JIT's state, so one process compares
// them under the same load, which separate processes on this shared 2-core host do not (their
// rates move by 10-30 % from minute to minute). Both copies are loaded as ES modules: two
// identical copies then measure ×0.97-1.01. (Loaded through CommonJS, the first-loaded copy ran
// 15-20 % faster whatever it was, and everything about 3× slower.) Each workload's program is
// built from its own kernel's stubs, so each kernel runs its own code end to end.
import { fileURLToPath } from "node:url";

type Measure = (
  n: number,
  main: (s: { addressOf(fn: unknown): number }) => Generator<unknown, number, unknown>,
  extra?: unknown[],
) => { status: number; cpu_ops_per_s: number };

interface KernelModule {
  readonly libc: Record<string, (...a: number[]) => Generator<unknown, unknown, unknown>>;
  readonly mem: Record<string, (...a: number[]) => Generator<unknown, number, unknown>>;
  readonly posixStubs: Record<string, (...a: unknown[]) => Generator<unknown, number, unknown>>;
}

const OLD = process.env.OLD;
if (OLD === undefined) throw new Error("set OLD to the other copy's packages/kernel (see the file comment)");
const NEW = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const FIRST = process.env.FIRST ?? "old";
const WHICH = process.env.WHICH ?? "fork";
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const N = Number(process.env.N ?? 3000);

/** One kernel's run of the chosen workload: its rate per CPU-second. */
async function load(root: string): Promise<() => number> {
  const k = (await import(`${root}/src/index.ts`)) as KernelModule;
  const { measure } = (await import(`${root}/bench/measure-program.ts`)) as { measure: Measure };
  const { forkLoopProgram } = (await import(`${root}/bench/fork-loop-program.ts`)) as {
    forkLoopProgram: (n: number) => () => Generator<unknown, number, unknown>;
  };
  const sys = k.posixStubs;
  const libc = k.libc;
  const mem = k.mem;
  const workloads: Record<string, () => { n: number; main: Parameters<Measure>[1] }> = {
    fork: () => ({ n: N, main: forkLoopProgram(N) }),
    null: () => ({
      n: 1_000_000,
      main: function* () {
        for (let i = 0; i < 1_000_000; i++) yield* sys.getpid!();
        return 0;
      },
    }),
    thread: () => ({
      n: 30_000,
      main: function* (s) {
        const word = (yield* libc.sbrk!(8)) as number;
        // biome-ignore lint/correctness/useYield: a thread body that returns at once is still user code
        const noop = s.addressOf(function* (a: number) {
          return a;
        });
        for (let i = 0; i < 30_000; i++) {
          yield* sys.thread_create!(noop, 0, 0, word);
          for (;;) {
            const v = yield* mem.load32!(word);
            if (v === 0) break;
            yield* sys.futex!(word, 0, v, 0);
          }
        }
        return 0;
      },
    }),
    pipe: () => ({
      n: 100_000,
      main: function* () {
        const [a0, a1] = (yield* libc.pipe!()) as number[];
        const [b0, b1] = (yield* libc.pipe!()) as number[];
        const c = (yield* libc.sbrk!(8)) as number;
        yield* mem.store8!(c, 120);
        const pid = yield* sys.fork!();
        if (pid === 0) {
          for (let i = 0; i < 100_000; i++) {
            yield* sys.read!(a0, c, 1);
            yield* sys.write!(b1, c, 1);
          }
          yield* sys.exit_group!(0);
        }
        for (let i = 0; i < 100_000; i++) {
          yield* sys.write!(a1, c, 1);
          yield* sys.read!(b0, c, 1);
        }
        yield* sys.waitpid!(pid, 0, 0);
        return 0;
      },
    }),
  };
  const w = workloads[WHICH];
  if (w === undefined) throw new Error(`WHICH=${WHICH}: one of ${Object.keys(workloads).join(", ")}`);
  return () => {
    const { n, main } = w();
    const m = measure(n, main);
    if (m.status !== 0) throw new Error(`${root}: the workload reported status ${m.status}`);
    return m.cpu_ops_per_s;
  };
}

const runs = new Map<string, () => number>();
for (const which of FIRST === "old" ? ["old", "new"] : ["new", "old"]) {
  runs.set(which, await load(which === "old" ? OLD : NEW));
}
const runOld = runs.get("old")!;
const runNew = runs.get("new")!;
runOld();
runNew(); // one warm-up run each
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    a.push(runOld());
    b.push(runNew());
  } else {
    b.push(runNew());
    a.push(runOld());
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    bench: "ab-kernels",
    which: WHICH,
    first: FIRST,
    old: { median: median(a), all: a },
    new: { median: median(b), all: b },
    ratio: +(median(b) / median(a)).toFixed(3),
    new_wins: `${a.filter((x, i) => b[i]! > x).length}/${a.length}`,
  }),
);
