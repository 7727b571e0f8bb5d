// The boot command's demo, run in-process (bootScripted, as `pnpm start` does): each demo's facts,
// determinism per seed, same results across seeds/policies/CPU counts, and a valid trace whose
// events agree with the kernel's own counters.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_SCRIPT } from "../src/boot.js";
import { LunaixSystem } from "../src/lunaix/boot.js";
import { bootScripted, type ScriptedRun, scriptLines } from "../src/scripted.js";
import { ChromeTraceWriter, validateChromeTrace } from "../src/trace/chrome-trace.js";

const DEMO = scriptLines(readFileSync(DEMO_SCRIPT, "utf8"));
const MEM = 256 * 2 ** 20;

interface Run {
  readonly run: ScriptedRun;
  readonly out: string;
  readonly trace: ChromeTraceWriter;
}

function demo(seed: number, cpus: number, policy: string | undefined): Run {
  let out = "";
  const trace = new ChromeTraceWriter();
  const run = bootScripted(
    { kernel: "lunaix", seed, cpus, mem: MEM, policy, trace: undefined },
    DEMO,
    (s) => {
      out += s;
    },
    trace,
  );
  return { run, out, trace };
}

/** The output of one shell command: the text between its prompt line and the next prompt. */
function section(out: string, command: string): string {
  const start = out.indexOf(`$ ${command}\n`);
  if (start < 0) throw new Error(`no prompt line for ${command}`);
  const body = out.slice(start + command.length + 3);
  const end = body.indexOf("\n$ ");
  return end < 0 ? body : body.slice(0, end + 1);
}

/** Every fact the demo script must show, whatever the seed, policy or CPU count. */
function checkFacts(r: Run): void {
  const { out } = r;
  expect(r.run.why).toBe("halted");
  // Boot log: what the kernel found and set up.
  expect(out).toMatch(/BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable/);
  expect(out).toMatch(/BIOS-e820: \[mem 0x000000000009fc00-0x00000000000fffff\] reserved/);
  // The three figures add up: available + kernel + reserved = total.
  const memLine =
    /Memory: (\d+)K\/262080K available \((\d+)K kernel page tables and data, 392K reserved/.exec(out);
  expect(memLine).not.toBeNull();
  expect(Number(memLine![1]) + Number(memLine![2]) + 392).toBe(262080);
  expect(out).toMatch(/buddy: Node 0, zone +Normal( +\d+){11}/);
  expect(out).toContain("Run /bin/init as init process (pid 1)");
  expect(out).toContain("init: console on /dev/ttyS0, starting /bin/sh");
  // ls /bin lists every program.
  expect(section(out, "ls /bin")).toContain(
    "cat  crash  deadlock  echo  forkcow  forkloop  fsdemo  init  kill  ls  memdemo",
  );
  // fsdemo: each POSIX answer.
  const fs = section(out, "fsdemo");
  expect(fs).toContain("read 6 bytes -> lunaix");
  expect(fs).toContain("rmdir /tmp/demo (not empty) -> ENOTEMPTY");
  expect(fs).toContain("read it all through the open fd -> 26");
  expect(fs).toContain("fstat(fd): links and size -> st_nlink 0, st_size 26");
  expect(fs).toContain("open it by name now -> ENOENT");
  expect(fs).toContain("all answers as POSIX specifies");
  // forkcow: the child's writes stay its own.
  const cow = section(out, "forkcow");
  expect(cow).toContain("child wrote 4 pages; it sees 4 changed and 12 unchanged");
  expect(cow).toContain("child exited 0; parent still sees its own values in 16/16 pages");
  // forkloop: sysrate.c's loop of 40 forks, as in C and with a checkpoint per turn. The `forks`
  // inspector after each: as in C the 40th fork replays the parent's whole past (3 values a turn,
  // and the 3 before the loop); with checkpoints each fork replays 2, so the 40 add 80 in all.
  expect(section(out, "forkloop 40")).toContain("40 forks as written in C; every child's status right");
  expect(section(out, "forkloop -c 40")).toContain(
    "40 forks with a checkpoint per turn; every child's status right",
  );
  const stats = [
    ...out.matchAll(
      /forks: (\d+) so far, replaying (\d+) recorded values in all to rebuild the children; the last fork replayed (\d+)\n/g,
    ),
  ].map((m) => m.slice(1, 4).map(Number));
  expect(stats).toHaveLength(2);
  expect(stats[0]![0]).toBe(42); // init's fork of the shell, forkcow's, and 40
  expect(stats[0]![2]).toBe(120);
  expect(stats[1]![0]).toBe(82);
  expect(stats[1]![2]).toBe(2);
  expect(stats[1]![1]! - stats[0]![1]!).toBe(80);
  // prodcons: nothing lost, nothing duplicated.
  expect(section(out, "prodcons")).toContain("consumers took 100 items, sum 2550 (expected 2550)");
  // memdemo: the split, the protection, two SIGSEGVs reported by waitpid.
  const md = section(out, "memdemo");
  expect(md).toContain("munmap of page 1 split the area in 2");
  expect(md).toMatch(/1000012000-1000014000 r--p \[mmap\]/);
  expect(md).toContain("child writing the read-only page: killed by SIGSEGV");
  expect(md).toContain("child reading the unmapped hole: killed by SIGSEGV");
  expect(md).toMatch(/segfault at 0x1000012000 on write/);
  expect(md).toContain("child touching the page below its stack (the guard): killed by SIGSEGV");
  expect(md).toMatch(/segfault at 0x7ffffffee000 on write/);
  expect(md).toContain("mmap(hint 0x2000000000) = 0x2000000000; the same hint again = 0x2000001000");
  expect(md).not.toContain("sh: memdemo");
  // sigdemo: handlers, a signal from a child, a default action, an uncatchable signal.
  const sg = section(out, "sigdemo");
  expect(sg).toContain("SIGUSR1 to itself: the handler ran 1 time(s)");
  expect(sg).toContain("SIGUSR1 from a child: the handler has run 2 time(s)");
  expect(sg).toContain("SIGTERM to a sleeping child: killed by SIGTERM");
  expect(sg).toContain("sigaction(SIGKILL, handler) -> EINVAL");
  expect(sg).not.toContain("sh: sigdemo");
  // The pipeline and a redirection.
  expect(section(out, "echo the quick brown fox jumps over the lazy dog | upper | wc")).toBe(
    "      1       9      44\n",
  );
  expect(section(out, "cat /tmp/note")).toBe("saved by the shell\n");
  // Inspectors.
  const ps = section(out, "ps");
  expect(ps).toMatch(/^PID +PPID +PGID +SID +S +THR +TIME +IMAGE$/m);
  const time = (pid: number) =>
    Number(new RegExp(`^${pid} +\\S+ +\\d+ +\\d+ +\\S +\\d+ +(\\d+) `, "m").exec(ps)?.[1]);
  expect(ps).toMatch(/^3 +1 +3 +3 +R +1 +\d+ +\/bin\/sh$/m); // the shell leads session 3
  expect(ps).toMatch(/tid 3 running on cpu\d, \d+ cycles$/m);
  // The shell has run every command so far; init only started it and waits.
  expect(time(3)).toBeGreaterThan(time(1));
  expect(time(1)).toBeGreaterThan(0);
  expect(section(out, "free")).toMatch(/^total +65520 +262080$/m);
  expect(section(out, "sched")).toMatch(/^cpu\d: policy \w+, running 3\(\/bin\/sh\)/m);
  expect(section(out, "handles 1")).toMatch(/^0x\w+ +\d+ +process +duplicate\|transfer/m);
  expect(section(out, "vmrs 1")).toContain("0000400000-0000404000 r-xp [text]");
  const pte = section(out, "pte 3 0x1000000000");
  expect(pte).toMatch(/PML4 +\[ *0\] .*PML4E → table 0x\w+ \[P RW US A\]/);
  expect(pte).toMatch(/PT +\[ *0\] .*PTE → 4KiB page 0x\w+ \[P RW US A D XD\]/);
  // Job control: ^Z stops wc, bg lets it run until its read of the terminal stops it (SIGTTIN),
  // fg gives it the terminal: it reads the rest and counts both lines; ^C ends cat.
  expect(section(out, "wc")).toBe("one two three\n^Z\n[1]+  Stopped                 wc\n");
  expect(section(out, "jobs")).toBe("[1]+  Stopped                 wc\n");
  // Whether wc has run into SIGTTIN before the shell's next prompt (which reports it) depends on
  // the interleaving: on one CPU the shell gets there first, and fg's SIGCONT clears the report.
  expect(section(out, "bg")).toMatch(/^\[1\]\+ wc &\n(\[1\]\+ {2}Stopped {17}wc\n)?$/);
  expect(section(out, "fg")).toBe("wc\nfour five\n      2       5      24\n");
  expect(section(out, "cat")).toMatch(/^\^C\nsh: cat \(pid \d+\) killed by SIGINT\n$/);
  // Bad input: clear messages, and the system goes on to the next command.
  expect(section(out, "nosuchprogram")).toBe("sh: nosuchprogram: command not found\n");
  expect(section(out, "pte 1 banana")).toContain('pte: "banana" is not a user address');
  expect(section(out, "vmrs 999")).toBe("vmrs: no process 999\n");
  expect(section(out, "cat /no/such/file")).toContain("cat: /no/such/file: ENOENT");
  expect(section(out, "kill 999")).toContain("kill: (999): ESRCH");
  const crash = section(out, "crash");
  expect(crash).toMatch(/crashed: TypeError: .*; killing it/);
  expect(crash).toMatch(/sh: crash \(pid \d+\) killed by SIGSEGV/);
  expect(out).toContain("init: shell exited (exited 0); halting");
  // The summary, and nothing leaked.
  const s = r.run.system.summary();
  expect(s.leaks).toEqual([]);
  expect(s.processes).toBe(106);
  expect(s.execs).toBe(1);
  // init forks the shell; forkcow, forkloop (twice 40), memdemo (3 children) and sigdemo (2) fork:
  // each fork rebuilt its child by replaying something, and the summary says how much.
  expect(s.forks).toBe(87);
  expect(s.forkReplayed).toBeGreaterThan(s.forks);
  expect(out).toContain(`forks:               87 (replaying ${s.forkReplayed} recorded values`);
  expect(s.crashes).toBe(1);
  expect(s.segfaults).toBe(3);
  expect(s.cowCopies).toBeGreaterThanOrEqual(4);
  expect(out).toContain(`COW copies:          ${s.cowCopies}`);
  expect(out).toContain(`context switches:    ${s.switches}`);
  expect(out).toContain("leaks after halt:    none");
}

/** The lines a demo program prints about its results (no pids, CPUs, times or inspector output). */
function results(out: string): string[] {
  return out
    .split("\n")
    .filter(
      (l) =>
        /^(forkcow|forkloop|prodcons|fsdemo|memdemo|sigdemo|cat|kill|crash): /.test(l) ||
        /^ +1 +9 +44$/.test(l),
    )
    .filter((l) => !l.includes("pid "));
}

describe("the Lunaix demo script", () => {
  let base: Run;
  beforeAll(() => {
    base = demo(1, 2, undefined);
  });

  it("shows each demo's facts (2 CPUs, round robin, seed 1)", () => {
    checkFacts(base);
  });

  it("gives byte-identical logs and traces for the same seed", () => {
    const again = demo(1, 2, undefined);
    expect(again.out).toBe(base.out);
    expect(JSON.stringify(again.trace.toJSON())).toBe(JSON.stringify(base.trace.toJSON()));
  });

  it.each([
    [7, 3, "lottery"],
    [2, 1, "cfs"],
    [5, 4, "mlfq"],
  ])("seed %i on %i CPUs with %s: other interleavings, the same results", (seed, cpus, policy) => {
    const other = demo(seed, cpus, policy);
    checkFacts(other);
    expect(results(other.out)).toEqual(results(base.out));
  });

  it("a different seed changes the interleaving under a randomized policy", () => {
    // On 2 CPUs threads compete for a run queue, so the lottery's draws decide (on 3, the demo
    // rarely has two ready threads on one CPU and the draws never matter).
    const a = demo(1, 2, "lottery");
    const b = demo(7, 2, "lottery");
    expect(results(a.out)).toEqual(results(b.out));
    expect(JSON.stringify(a.trace.toJSON())).not.toBe(JSON.stringify(b.trace.toJSON()));
  });

  it("writes a valid Chrome trace whose events agree with the kernel's counters", () => {
    const json = JSON.parse(JSON.stringify(base.trace.toJSON())) as unknown;
    expect(validateChromeTrace(json)).toEqual([]);
    const k = base.run.system.kernel;
    const s = base.run.system.summary();
    // One slice per switch to a thread; the scheduler counts the same switches independently.
    expect(base.trace.count("X")).toBe(s.switches);
    expect(k.sched.stats().switches).toBe(s.switches);
    // System calls and faults as instants.
    let syscalls = 0;
    let faults = 0;
    for (const e of base.trace.toJSON().traceEvents) {
      if (e.ph === "i" && e.cat === "syscall") syscalls++;
      if (e.ph === "i" && e.cat === "fault") faults++;
    }
    expect(syscalls).toBe(s.syscalls);
    expect(faults).toBe(s.faultsHandled + s.segfaults);
    // Every CPU lane is named, and kstatd sampled free memory.
    expect(base.trace.count("M", "thread_name")).toBe(1 + 2);
    expect(base.trace.count("C", "free frames")).toBeGreaterThan(0);
  });

  it("paranoid mode: every invariant after every trap, the file system's after every slice", () => {
    let out = "";
    const sys = LunaixSystem.boot({
      output: (t) => {
        out += t;
      },
      mem: 4 * 2 ** 20,
      paranoid: true,
    });
    const jobControl = ["cat | wc", "x y", "^Z", "bg", "fg", "^D", "cat &", "jobs", "fg", "^C", "cat", "^Z"];
    const script = ["fsdemo", "forkcow", "memdemo", "echo a b c | upper | wc", ...jobControl];
    expect(sys.runScript(script)).toBe("halted");
    sys.printSummary();
    expect(out).toContain("paranoid: every invariant is checked after every trap");
    expect(out).toContain("fsdemo: all answers as POSIX specifies");
    expect(out).toContain("parent still sees its own values in 16/16 pages");
    expect(out).toContain("child reading the unmapped hole: killed by SIGSEGV");
    expect(out).toContain("      1       3       6\n");
    expect(out).toContain("      1       2       4\n"); // cat | wc, stopped, continued, fed x y
    expect(out).toMatch(/sh: cat \(pid \d+\) killed by SIGINT/);
    expect(out).toMatch(/init: reaped orphan \d+ \(killed by SIGHUP\)/); // the job left stopped
    expect(sys.summary().leaks).toEqual([]);
  });
});
