// The shell and the small programs as a student meets them at the prompt: builtins and where
// their output goes, redirections, exit statuses, kill(1) and its errors, killing init, and a
// kernel message after a prompt. Each case types lines into a booted system and reads the console.

import { postSignal, Sig, signaledStatus } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { answer, bootCaptured, session } from "./session.js";

describe("builtins", () => {
  it("help names the builtins, every inspector, the redirections and ^D", () => {
    const { out } = session(["help"]);
    const help = answer(out, "help");
    expect(help).toMatch(/^builtins: help, exit \[n\]/);
    for (const name of ["ps", "free", "buddyinfo", "vmrs", "pte", "sched", "handles", "forks"])
      expect(help).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect(help).toContain("input from a file with < path, output to one with > path");
    expect(help).toContain("^D ends the input");
  });

  it("an inspector's report goes to the file > names; cat reads it back", () => {
    const { out, sys } = session(["ps > /tmp/ps", "cat /tmp/ps", "help > /tmp/help", "wc /tmp/help"]);
    expect(answer(out, "ps > /tmp/ps")).toBe("");
    expect(answer(out, "cat /tmp/ps")).toMatch(/^PID +PPID +PGID +SID +S +THR +TIME +IMAGE\n/);
    expect(answer(out, "wc /tmp/help")).toMatch(/^ +\d+ +\d+ +\d+ \/tmp\/help\n$/);
    expect(sys.summary().leaks).toEqual([]);
  });

  it("a builtin in a pipeline is refused as what it is, not as a missing command", () => {
    const { out } = session(["ps | wc", "upper | help"]);
    expect(answer(out, "ps | wc")).toBe(
      "sh: ps: a shell builtin, not a program: it cannot be part of a pipeline\n",
    );
    expect(answer(out, "upper | help")).toContain("sh: help: command not found");
  });

  it("names of Object.prototype are no builtins: command not found", () => {
    const { out } = session(["toString", "constructor"]);
    expect(answer(out, "toString")).toBe("sh: toString: command not found\n");
    expect(answer(out, "constructor")).toBe("sh: constructor: command not found\n");
  });

  it.each([
    ["exit 3", "exited 3"],
    ["exit 258", "exited 2"],
    ["exit", "exited 0"],
    ["exit now", "exited 2"],
  ])("%j: the shell's exit status is what init reports", (line, status) => {
    const { out, why } = session([line]);
    expect(why).toBe("halted");
    expect(out).toContain(`init: shell exited (${status}); halting`);
  });
});

describe("end of input (^D)", () => {
  it("ends a program reading the console, and the shell goes on; at the prompt it ends the shell", () => {
    const { sys, text } = bootCaptured();
    sys.type("wc");
    expect(sys.runUntilIdle()).toBe("input"); // wc waits for its input
    sys.type("two words");
    expect(sys.runUntilIdle()).toBe("input");
    sys.endOfFile();
    expect(sys.runUntilIdle()).toBe("input"); // wc has ended: the shell is at its prompt again
    sys.type("echo still here");
    expect(sys.runUntilIdle()).toBe("input");
    expect(text()).toContain("$ wc\ntwo words\n      1       2      10\n$ echo still here\nstill here\n$ ");
    sys.endOfFile();
    expect(sys.runUntilIdle()).toBe("halted");
    expect(text()).toContain("sh: end of input\ninit: shell exited (exited 0); halting");
    expect(sys.summary().leaks).toEqual([]);
  });
});

describe("redirections and the small programs", () => {
  it("< file feeds the first stage; wc names its files and totals several", () => {
    const { out } = session([
      "echo one two three > /tmp/a",
      "echo four > /tmp/b",
      "upper < /tmp/a",
      "wc < /tmp/a",
      "wc /tmp/a /tmp/b",
      "cat < /tmp/none",
    ]);
    expect(answer(out, "upper < /tmp/a")).toBe("ONE TWO THREE\n");
    expect(answer(out, "wc < /tmp/a")).toBe("      1       3      14\n");
    expect(answer(out, "wc /tmp/a /tmp/b")).toBe(
      "      1       3      14 /tmp/a\n      1       1       5 /tmp/b\n      2       4      19 total\n",
    );
    expect(answer(out, "cat < /tmp/none")).toBe("sh: /tmp/none: ENOENT\n");
  });

  it("a command line too long for the arguments is E2BIG, and the shell runs on", () => {
    const long = `echo ${"x".repeat(40_000)}`;
    const { out, why } = session([long, "echo still here"]);
    expect(answer(out, long)).toBe("sh: echo: E2BIG\n");
    expect(answer(out, "echo still here")).toBe("still here\n");
    expect(why).toBe("halted");
  });

  it("rmdir removes an empty directory, which rm refuses (EISDIR)", () => {
    const { out } = session(["mkdir /tmp/d", "rm /tmp/d", "rmdir /tmp/d", "ls /tmp"]);
    expect(answer(out, "rm /tmp/d")).toMatch(/^rm: \/tmp\/d: EISDIR\n/);
    expect(answer(out, "rmdir /tmp/d")).toBe("");
    expect(answer(out, "ls /tmp")).toBe("\n");
  });

  it("ls marks directories with /, and devices not at all (ls -F's @ is a symbolic link)", () => {
    const { out } = session(["ls /", "ls /dev"]);
    expect(answer(out, "ls /")).toBe("bin/  dev/  tmp/\n");
    expect(answer(out, "ls /dev")).toBe("null  ttyS0\n");
  });

  it("init typed at the prompt refuses to run: it is the kernel's first process only", () => {
    const { out, why } = session(["init", "echo still here"]);
    expect(answer(out, "init")).toBe(
      "init: must be run as process 1 (the kernel starts it at boot)\nsh: init (pid 4) exited 1\n",
    );
    expect(answer(out, "echo still here")).toBe("still here\n");
    expect(why).toBe("halted");
  });
});

describe("job control", () => {
  it("^C interrupts the foreground job, not the shell: SIGINT goes to the job's process group", () => {
    const { out, sys } = session(["cat", "^C", "echo alive"]);
    expect(answer(out, "cat")).toMatch(/^\^C\nsh: cat \(pid \d+\) killed by SIGINT\n$/);
    expect(answer(out, "echo alive")).toBe("alive\n");
    expect(sys.console.signalsIn).toBe(1);
  });

  it("^C reaches every stage of a foreground pipeline, and the shell not at all", () => {
    const { out, sys } = session(["cat | upper | wc", "^C", "echo alive"]);
    expect(answer(out, "cat | upper | wc")).toMatch(
      /^\^C\nsh: cat \(pid \d+\) killed by SIGINT\nsh: upper \(pid \d+\) killed by SIGINT\nsh: wc \(pid \d+\) killed by SIGINT\n$/,
    );
    expect(answer(out, "echo alive")).toBe("alive\n");
    expect(sys.console.signalsIn).toBe(1);
  });

  it("^C at the prompt drops the line and gives a new prompt; the shell lives on", () => {
    const { out, why } = session(["^C", "echo alive", "exit 4"]);
    expect(out).toContain("$ ^C\n$ echo alive\nalive\n");
    expect(out).toContain("init: shell exited (exited 4)");
    expect(why).toBe("halted");
  });

  it("each job has a process group of its own, led by its first stage, in the shell's session", () => {
    const { out } = session(["cat | wc", "^Z", "ps"]);
    const job = /^(\d+) +3 +(\d+) +3 +T +1 +\d+ +\/bin\/cat$/m.exec(answer(out, "ps"));
    expect(job).not.toBeNull();
    expect(job![2]).toBe(job![1]); // cat leads the job's group
    expect(answer(out, "ps")).toMatch(new RegExp(`^\\d+ +3 +${job![1]} +3 +T +1 +\\d+ +/bin/wc$`, "m"));
    expect(answer(out, "ps")).toMatch(/^3 +1 +3 +3 +R +1 +\d+ +\/bin\/sh$/m);
  });

  it("^Z stops the foreground job; jobs lists it; fg gives it the terminal back and continues it", () => {
    const { out } = session(["wc", "one", "^Z", "jobs", "fg", "two three", "^D", "jobs"]);
    expect(answer(out, "wc")).toBe("one\n^Z\n[1]+  Stopped                 wc\n");
    expect(answer(out, "jobs")).toBe("[1]+  Stopped                 wc\n");
    expect(answer(out, "fg")).toBe("wc\ntwo three\n      2       3      14\n");
    expect(out.endsWith("$ jobs\n$ \nsh: end of input\ninit: shell exited (exited 0); halting\n")).toBe(true);
  });

  it("a background job that reads the terminal is stopped by SIGTTIN; bg leaves it stopped again", () => {
    const { out } = session(["cat &", "jobs", "bg %1", "fg %1", "typed", "^D"]);
    expect(answer(out, "cat &")).toMatch(/^\[1\] \d+\n(\[1\]\+ {2}Stopped {17}cat\n)?$/);
    expect(answer(out, "jobs")).toBe("[1]+  Stopped                 cat\n"); // jobs collects the stop first
    expect(answer(out, "bg %1")).toMatch(/^\[1\]\+ cat &\n/);
    expect(answer(out, "fg %1")).toBe("cat\ntyped\ntyped\n");
  });

  it("a background job runs while the shell takes commands, and its end is reported at a prompt", () => {
    const { out } = session(["echo from the background > /tmp/bg &", "cat /tmp/bg", "jobs"]);
    expect(answer(out, "echo from the background > /tmp/bg &")).toMatch(/^\[1\] \d+\n/);
    expect(out).toMatch(/\[1\]\+ {2}Done {20}echo from the background > \/tmp\/bg\n/);
    expect(answer(out, "jobs")).toBe("");
  });

  it("with the console's TOSTOP, a background job that writes to it is stopped by SIGTTOU; fg lets it write", () => {
    const { out } = session(["echo quiet please &", "jobs", "fg"], { tostop: true });
    expect(answer(out, "echo quiet please &")).toMatch(
      /^\[1\] \d+\n(\[1\]\+ {2}Stopped {17}echo quiet please\n)?$/,
    );
    expect(answer(out, "jobs")).toBe("[1]+  Stopped                 echo quiet please\n");
    expect(answer(out, "fg")).toBe("echo quiet please\nquiet please\n");
    expect(out.slice(0, out.indexOf("$ fg\n"))).not.toMatch(/^quiet please$/m); // nothing written before fg
  });

  it("without TOSTOP (the default) a background job's output goes straight to the console", () => {
    const { out } = session(["echo not so quiet &", "jobs"]);
    expect(out).toMatch(/\$ echo not so quiet &\n\[1\] \d+\n(.|\n)*not so quiet\n/);
    expect(out).not.toContain("Stopped");
  });

  it("fg and bg without a job, or with an unknown one, say so; & after a builtin is refused", () => {
    const { out } = session(["fg", "bg %3", "fg x", "ps &"]);
    expect(answer(out, "fg")).toBe("sh: fg: no current job\n");
    expect(answer(out, "bg %3")).toBe("sh: bg: %3: no such job\n");
    expect(answer(out, "fg x")).toBe("sh: fg: x: no such job\n");
    expect(answer(out, "ps &")).toBe("sh: ps: a shell builtin cannot run in the background\n");
  });

  it("a pipeline with one stage stopped alone stays in the foreground until no stage runs (bash's job_stopped)", () => {
    // wc is stopped by a signal of its own (kill -STOP from elsewhere) while cat still reads the
    // terminal: the job keeps it, the typed line goes to cat; once cat has ended too, the job is
    // stopped, and fg continues wc, which counts the line.
    const { sys, text } = bootCaptured();
    sys.runUntilIdle();
    sys.type("cat | wc");
    sys.runUntilIdle();
    const wc = [...sys.kernel.processes.values()].find((p) => p.image === "/bin/wc" && p.phase === "live");
    postSignal(sys.kernel, wc!, Sig.SIGSTOP);
    sys.runUntilIdle();
    for (const key of [
      () => sys.type("hello"),
      () => sys.endOfFile(),
      () => sys.type("fg"),
      () => sys.type("exit"),
    ]) {
      key();
      sys.runUntilIdle();
    }
    const out = text();
    expect(out).not.toContain("command not found"); // the shell did not take cat's line
    expect(answer(out, "cat | wc")).toBe("hello\n[1]+  Stopped                 cat | wc\n");
    expect(answer(out, "fg")).toBe("cat | wc\n      1       1       6\n");
  });

  it("exit with a stopped job warns once and stays (bash); a second exit in a row exits, and the kernel hangs the orphaned job up", () => {
    const { out, sys } = session(["cat", "^Z", "exit", "exit"]);
    expect(answer(out, "exit")).toBe("There are stopped jobs.\n");
    expect(out).toMatch(
      /\$ exit\nThere are stopped jobs.\n\$ exit\ninit: shell exited \(exited 0\); halting\ninit: reaped orphan \d+ \(killed by SIGHUP\)\n/,
    );
    expect(sys.summary().leaks).toEqual([]);
  });

  it("the warning is given again after another command; jobs in between lets the next exit go (bash's exit_or_logout)", () => {
    const { out, why } = session(["cat", "^Z", "exit", "help", "exit", "jobs", "exit 4"]);
    expect(why).toBe("halted");
    expect(out.match(/There are stopped jobs\.\n/g)).toHaveLength(2); // the exits before and after help
    expect(answer(out, "jobs")).toBe("[1]+  Stopped                 cat\n");
    expect(out).toContain("$ exit 4\ninit: shell exited (exited 4); halting\n");
  });

  it("exit looks at the jobs first: a background job that stopped since the prompt (SIGTTIN) is seen, reported and warned about (bash's table is kept current by SIGCHLD)", () => {
    // Before: the table said "running" (it was polled only before the prompt), the shell exited
    // at once, and the job was hung up with no warning.
    const { out } = session(["cat &", "exit"]);
    expect(answer(out, "exit")).toBe("[1]+  Stopped                 cat\nThere are stopped jobs.\n");
  });

  it("a line with a syntax error runs no command, so it does not come between two exits (bash sets last_shell_builtin only when a command runs)", () => {
    // Before: the refused exit's mark was cleared before the line was parsed, so it warned again.
    const { out, why } = session(["cat", "^Z", "exit", "| wc", "exit"]);
    expect(why).toBe("halted");
    expect(out.match(/There are stopped jobs\.\n/g)).toHaveLength(1);
    expect(out).toContain(
      "$ | wc\nsh: syntax error: empty command in a pipeline\n$ exit\ninit: shell exited (exited 0)",
    );
  });

  it("^D at the prompt with a stopped job warns too; a second ^D ends the shell", () => {
    const { out } = session(["cat", "^Z", "^D", "^D"]);
    expect(out).toMatch(
      /\$ \nThere are stopped jobs\.\n\$ \nsh: end of input\ninit: shell exited \(exited 0\)/,
    );
    expect(out).toMatch(/init: reaped orphan \d+ \(killed by SIGHUP\)\n/);
  });

  it("with no stopped job (a background one that has ended, or a stopped one that was continued and ended), exit exits at once", () => {
    const { out, why } = session(["echo hi > /tmp/x &", "cat", "^Z", "fg", "^D", "exit"]);
    expect(why).toBe("halted");
    expect(out).not.toContain("There are stopped jobs.");
  });
});

describe("kill", () => {
  it("reports each refusal with the kernel's errno and a usage for bad arguments", () => {
    const { out, sys } = session([
      "kill",
      "kill 999",
      "kill 0",
      "kill abc",
      "kill -FOO 3",
      "kill -0 1",
      "kill -l",
    ]);
    expect(answer(out, "kill")).toMatch(/^kill: usage: kill \[-SIGNAL \| -s SIGNAL\] pid\.\.\. \| kill -l\n/);
    expect(answer(out, "kill 999")).toMatch(/^kill: \(999\): ESRCH\n/);
    // pid 0 is kill's own process group: the job the shell made for it (kill(2), POSIX).
    expect(answer(out, "kill 0")).toMatch(/^sh: kill \(pid \d+\) killed by SIGTERM\n/);
    expect(answer(out, "kill abc")).toMatch(/^kill: abc: not a pid\n/);
    expect(answer(out, "kill -FOO 3")).toMatch(/^kill: "FOO": not a signal/);
    expect(answer(out, "kill -0 1")).toBe("");
    expect(answer(out, "kill -l")).toMatch(/^1\) HUP 2\) INT .* 9\) KILL .* 31\) SYS\n$/);
    expect(sys.summary().leaks).toEqual([]);
  });

  it("stopping the shell (SIGSTOP) leaves nothing to run: reported as a hang, T in ps, a clean shutdown", () => {
    const { out, why, sys } = session(["kill -STOP 3", "echo never"]);
    expect(why).toBe("hung");
    expect(out).toContain(
      "hung: every user thread is blocked or stopped and nothing can wake them; shutting down",
    );
    expect(out).toMatch(/^3 +1 +3 +3 +T +1 /m);
    expect(out).not.toContain("never\n");
    expect(sys.summary().leaks).toEqual([]);
  });

  it("killing the shell halts the machine through init", () => {
    const { out, why, sys } = session(["kill 3", "echo never"]);
    expect(why).toBe("halted");
    expect(out).toContain("init: shell exited (killed by SIGTERM); halting");
    expect(out).not.toContain("never\n");
    expect(sys.summary().leaks).toEqual([]);
  });

  it("kill -9 1 and kill -STOP 1 do nothing: init is unkillable, as on Linux", () => {
    const { out, why } = session(["kill -9 1", "kill -STOP 1", "ps", "echo still here"]);
    expect(answer(out, "kill -9 1")).toBe("");
    expect(answer(out, "ps")).toMatch(/^1 +0 +1 +1 +S /m); // neither dead nor stopped (T)
    expect(out).toContain("still here\n");
    expect(out).not.toContain("Kernel panic");
    expect(why).toBe("halted"); // the script's end: the shell exits, then init halts
  });

  it("if init dies anyway (a fault in init), the kernel panics as Linux does, on a line of its own, and shuts down cleanly", () => {
    const { sys, text } = bootCaptured();
    // What a SIGKILL from the kernel, or a fault in init's own code, would do.
    sys.kernel.life.exitProcess(sys.kernel.processes.get(1)!, signaledStatus(Sig.SIGKILL, false));
    const why = sys.runScript(["echo never"]);
    expect(why).toBe("halted");
    expect(text()).toMatch(
      /\$ \n\[ +\d+\.\d{6}\] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n/,
    );
    expect(text()).not.toContain("never\n");
    expect(sys.summary().leaks).toEqual([]);
  });
});

describe("a full file system", () => {
  it("a write that runs out of RAM is reported (cat: write error: ENOSPC, status 1), not a silently short file", () => {
    const { sys, text } = bootCaptured(4 * 2 ** 20);
    // /tmp/a grows to 8000 * 3^4 = 648 000 bytes (under the 1 MiB file limit); copies of it then
    // fill the ~2 MiB of free RAM: the fourth copy cannot be whole.
    const lines = [`echo ${"y".repeat(7999)} > /tmp/a`];
    for (let i = 0; i < 4; i++) lines.push("cat /tmp/a /tmp/a /tmp/a > /tmp/b", "cat /tmp/b > /tmp/a");
    for (let i = 1; i <= 4; i++) lines.push(`cat /tmp/a > /tmp/c${i}`);
    lines.push("wc /tmp/c4", "rm /tmp/a /tmp/b /tmp/c1 /tmp/c2 /tmp/c3 /tmp/c4");
    expect(sys.runScript(lines)).toBe("halted");
    expect(text()).toMatch(/\$ cat \/tmp\/a > \/tmp\/c3\n\$ /);
    expect(text()).toMatch(
      /\$ cat \/tmp\/a > \/tmp\/c4\ncat: write error: ENOSPC\nsh: cat \(pid \d+\) exited 1\n/,
    );
    // What did fit is there: a short file, reported as such, never a silent success.
    const c4 = /\$ wc \/tmp\/c4\n +\d+ +\d+ +(\d+) \/tmp\/c4\n/.exec(text());
    expect(Number(c4?.[1])).toBeGreaterThan(0);
    expect(Number(c4?.[1])).toBeLessThan(648_000);
    expect(sys.summary().leaks).toEqual([]);
  });

  it("a write across the 1 MiB file limit writes what fits, then EFBIG (POSIX write)", () => {
    const lines = [`echo ${"z".repeat(999)} > /tmp/a`];
    for (let i = 0; i < 7; i++) lines.push("cat /tmp/a /tmp/a /tmp/a > /tmp/b", "cat /tmp/b > /tmp/a");
    lines.push("wc /tmp/a", "rm /tmp/a /tmp/b");
    const { out, sys } = session(lines);
    expect(out).toContain("cat: write error: EFBIG\n");
    expect(out).toMatch(/\$ wc \/tmp\/a\n +\d+ +\d+ +1048576 \/tmp\/a\n/);
    expect(sys.summary().leaks).toEqual([]);
  });
});
