// The controlling terminal (src/posix/tty.ts), one rule per test, as POSIX.1-2008 11.1.3–11.1.4,
// tcsetpgrp(3) and Linux's drivers/tty/tty_jobctrl.c state them. A small terminal double stands
// in for a driver: lines typed by the test, a read wait list, and the job-control state. init is
// the "shell": it leads session 1 and has acquired the terminal, on descriptor 3.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  acquireControllingTerminal,
  Cc,
  compute,
  Errno,
  FileMode,
  type FileOperations,
  type FileStat,
  FileType,
  Kernel,
  LocalMode,
  libc,
  NCCS,
  OpenFile,
  type ProcessStart,
  ProgramRegistry,
  SaFlags,
  SIG_IGN,
  Sig,
  SigHow,
  signalForeground,
  posixStubs as sys,
  TcsaAction,
  TERMIOS_BYTES,
  TerminalControl,
  Termios,
  type UserCode,
  type Waiter,
  WaitOptions,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WIFSTOPPED,
  WSTOPSIG,
  WTERMSIG,
} from "../src/index.js";
import { check } from "./boot-init.js";

/** A terminal double: canonical lines typed by the test; a read with none waits. */
class TestTerminal implements FileOperations {
  readonly kind = "tty";
  readonly tty = new TerminalControl("tty0");
  private readonly lines: Uint8Array[] = [];
  private readonly readers: Waiter[] = [];
  /** Everything written to the terminal, as text. */
  out = "";
  read(): Uint8Array | null {
    return this.lines.shift() ?? null;
  }
  write(bytes: Uint8Array): number {
    this.out += new TextDecoder().decode(bytes);
    return bytes.length;
  }
  stat(): FileStat {
    return { mode: FileType.S_IFCHR | 0o620, size: 0, ino: 0, nlink: 1 };
  }
  waiters(dir: "read" | "write"): Waiter[] | undefined {
    return dir === "read" ? this.readers : undefined;
  }
  type(line: string): void {
    this.lines.push(new TextEncoder().encode(`${line}\n`));
    for (const w of this.readers.splice(0)) w.wakeToRetry();
  }
  /** What the kernel asked of the driver: "flush" (TCSAFLUSH) and "modes" (every tcsetattr). */
  readonly driverCalls: string[] = [];
  constructor() {
    this.tty.driver = {
      flushInput: () => {
        this.driverCalls.push("flush");
        this.lines.length = 0;
      },
      modesChanged: () => {
        this.driverCalls.push("modes");
      },
    };
  }
}

const TTY_FD = 3;

/**
 * Boot `init` with the terminal on descriptor 3 as its controlling terminal; `script` runs between
 * idle points (every user thread waiting): the test types, presses ^C, … Returns the kernel,
 * the terminal and init's status.
 */
function bootWithTerminal(
  init: (s: ProcessStart) => UserCode<number>,
  extra: { name: string; main: (s: ProcessStart) => UserCode<number> }[] = [],
  script: ((k: Kernel, term: TestTerminal) => void)[] = [],
  modes: { readonly tostop?: boolean } = {},
) {
  const programs = new ProgramRegistry().register({ name: "init", main: init });
  for (const e of extra) programs.register(e);
  const k = new Kernel({ programs, paranoid: true });
  const term = new TestTerminal();
  term.tty.tostop = modes.tostop ?? false;
  const p = k.boot("init");
  expect(p.files.install(new OpenFile(term, FileMode.READ_WRITE))).toBe(TTY_FD);
  expect(acquireControllingTerminal(p, term.tty)).toBe(true);
  for (const step of script) {
    expect(k.run({ stopWhenIdle: true, maxCycles: 5e8 }).outcome).toBe("idle");
    step(k, term);
  }
  const r = k.run({ maxCycles: 5e8 });
  const status = k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return { k, term, outcome: r.outcome, status };
}

function expectPasses(...args: Parameters<typeof bootWithTerminal>) {
  const r = bootWithTerminal(...args);
  expect(r.outcome).toBe("all-exited");
  expect(WEXITSTATUS(r.status)).toBe(0);
  expect(r.status).toBe(0);
  return r;
}

/** Reads one line from the terminal; exits 0 if it got one, 1 on EOF, 10 + errno on an error. */
function* reader(): UserCode<number> {
  const r = yield* libc.read(TTY_FD, 100);
  if (typeof r === "number") return 10 - r;
  return r.length > 0 ? 0 : 1;
}

/** Reads forever (a `cat` that a signal must end). */
function* catForever(): UserCode<number> {
  for (;;) {
    const r = yield* libc.read(TTY_FD, 100);
    if (typeof r === "number") return 10 - r;
  }
}

const READER = [
  { name: "reader", main: reader },
  { name: "cat", main: catForever },
];

describe("the controlling terminal", () => {
  it("a session leader without one acquires a terminal no session controls; its group is the foreground", () => {
    const term = new TerminalControl("t");
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        return yield* sys.getpid();
      },
    });
    const k = new Kernel({ programs });
    const init = k.boot("init");
    expect(acquireControllingTerminal(init, term)).toBe(true);
    expect([term.session, term.pgrp, init.ctty]).toEqual([1, 1, term]);
    expect(acquireControllingTerminal(init, new TerminalControl("u"))).toBe(false); // it has one
    k.run();
  });

  it("tcgetpgrp names the foreground group; ENOTTY for a file that is no terminal, EBADF for no file", () => {
    expectPasses(function* () {
      yield* check((yield* sys.tcgetpgrp(TTY_FD)) === 1, 1);
      yield* check((yield* sys.tcgetpgrp(1)) === -Errno.ENOTTY, 2); // the boot console: not a tty
      yield* check((yield* sys.tcgetpgrp(9)) === -Errno.EBADF, 3);
      return 0;
    });
  });

  it("tcsetpgrp: EPERM for a group of no process or of another session, EINVAL for pgid <= 0, ENOTTY for another session's terminal", () => {
    expectPasses(function* () {
      yield* check((yield* sys.tcsetpgrp(TTY_FD, 555)) === -Errno.EPERM, 1);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, 0)) === -Errno.EINVAL, 2);
      const c = yield* sys.fork();
      if (c === 0) {
        yield* sys.setsid(); // a session of its own: the terminal is not its controlling one
        return (yield* sys.tcsetpgrp(TTY_FD, yield* sys.getpid())) === -Errno.ENOTTY ? 0 : 1;
      }
      yield* compute(50_000);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, c)) === -Errno.EPERM, 3); // c's group: another session
      yield* check(WEXITSTATUS((yield* libc.waitpid(c)).status) === 0, 4);
      yield* check((yield* sys.tcgetpgrp(TTY_FD)) === 1, 5); // unchanged by the refusals
      return 0;
    });
  });

  it("^C (ISIG) sends SIGINT to the foreground group only: the job dies, the shell in its own group is untouched", () => {
    let job = 0;
    expectPasses(
      function* () {
        yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0); // as a shell does, to take the terminal back
        job = yield* libc.spawnv("cat", ["cat"], { pgroup: 0 });
        yield* check((yield* sys.tcsetpgrp(TTY_FD, job)) === 0, 1);
        const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFSIGNALED(r.status) && WTERMSIG(r.status) === Sig.SIGINT, 2);
        yield* check((yield* sys.tcsetpgrp(TTY_FD, 1)) === 0, 3); // the shell takes it back
        return 0;
      },
      READER,
      [(k, term) => expect(signalForeground(k, term.tty, Sig.SIGINT)).toBe(job)],
    );
  });

  it("a foreground group that has emptied stays named by the terminal, but no later process can take its id: pids are never reused", () => {
    let job = 0;
    const later: number[] = [];
    const r = expectPasses(
      function* () {
        job = yield* libc.spawnv("reader", ["reader"], { pgroup: 0, foreground: true });
        yield* libc.waitpid(job); // it read its line and exited: the group is empty
        yield* check((yield* sys.tcgetpgrp(TTY_FD)) === job, 1); // dangling, as Linux's tty->pgrp
        for (let i = 0; i < 20; i++) {
          const c = yield* sys.fork();
          if (c === 0) return (yield* sys.setpgid(0, 0)) === 0 ? 0 : 1; // each leads a new group
          later.push(c);
          yield* libc.waitpid(c);
        }
        return 0;
      },
      READER,
      [(_k, term) => term.type("for the job")],
    );
    expect(later).not.toContain(job);
    expect(signalForeground(r.k, r.term.tty, Sig.SIGINT)).toBe(0); // ^C now signals nobody
  });

  it("^Z (ISIG) stops the foreground group with SIGTSTP; waitpid(WUNTRACED) reports it; SIGCONT lets it go on", () => {
    expectPasses(
      function* () {
        const job = yield* libc.spawnv("reader", ["reader"], { pgroup: 0 });
        yield* sys.tcsetpgrp(TTY_FD, job);
        const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFSTOPPED(r.status) && WSTOPSIG(r.status) === Sig.SIGTSTP, 1);
        yield* sys.kill(-job, Sig.SIGCONT); // `fg`: still the foreground, continue it
        const done = yield* libc.waitpid(job);
        yield* check(WIFEXITED(done.status) && WEXITSTATUS(done.status) === 0, 2);
        return 0;
      },
      READER,
      [(k, term) => signalForeground(k, term.tty, Sig.SIGTSTP), (_k, term) => term.type("after fg")],
    );
  });

  it("a background reader of the terminal gets SIGTTIN: its group stops; in the foreground after SIGCONT it reads", () => {
    expectPasses(
      function* () {
        const job = yield* libc.spawnv("reader", ["reader"], { pgroup: 0 }); // never made foreground
        const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFSTOPPED(r.status) && WSTOPSIG(r.status) === Sig.SIGTTIN, 1);
        yield* sys.kill(-job, Sig.SIGCONT); // `bg`: still in the background, it stops again
        const again = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFSTOPPED(again.status) && WSTOPSIG(again.status) === Sig.SIGTTIN, 2);
        yield* sys.tcsetpgrp(TTY_FD, job); // `fg`
        yield* sys.kill(-job, Sig.SIGCONT);
        const done = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(done.status) && WEXITSTATUS(done.status) === 0, 3);
        return 0;
      },
      READER,
      [(_k, term) => term.type("typed for the job")],
    );
  });

  it("POSIX_SPAWN_TCSETPGROUP: the job's group is the foreground before it runs, so its first read takes no SIGTTIN", () => {
    expectPasses(
      function* () {
        const job = yield* libc.spawnv("reader", ["reader"], { pgroup: 0, foreground: true });
        yield* check((yield* sys.tcgetpgrp(TTY_FD)) === job, 1);
        const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(r.status) && WEXITSTATUS(r.status) === 0, 2);
        yield* check(
          (yield* libc.spawnv("reader", ["reader"], { setsid: true, foreground: true })) === -Errno.EINVAL,
          3,
        );
        return 0;
      },
      READER,
      [(_k, term) => term.type("for the foreground job")],
    );
  });

  it("a background read with a SIGTTIN handler: EINTR after it, or with SA_RESTART the read runs again (here in the foreground)", () => {
    for (const flags of [0, SaFlags.SA_RESTART]) {
      expectPasses(
        function* (s) {
          const c = yield* sys.fork();
          if (c === 0) {
            yield* sys.setpgid(0, 0);
            // The handler takes the terminal for its group (SIGTTOU ignored, as a shell would).
            const onTtin = s.addressOf(function* () {
              yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
              yield* sys.tcsetpgrp(TTY_FD, yield* sys.getpgrp());
            });
            yield* sys.sigaction(Sig.SIGTTIN, onTtin, 0, flags);
            const r = yield* libc.read(TTY_FD, 100);
            if (flags === 0) return r === -Errno.EINTR ? 0 : 1;
            return r instanceof Uint8Array && r.length > 0 ? 0 : 2;
          }
          const st = (yield* libc.waitpid(c)).status;
          yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, WEXITSTATUS(st));
          return 0;
        },
        [],
        flags === 0 ? [] : [(_k, term) => term.type("for the restarted read")],
      );
    }
  });

  it("a background read with SIGTTIN ignored, or blocked, fails with EIO instead", () => {
    expectPasses(function* () {
      const c = yield* sys.fork();
      if (c === 0) {
        yield* sys.setpgid(0, 0);
        yield* sys.sigaction(Sig.SIGTTIN, SIG_IGN, 0, 0);
        if ((yield* libc.read(TTY_FD, 10)) !== -Errno.EIO) return 1;
        yield* sys.sigaction(Sig.SIGTTIN, 0, 0, 0);
        yield* sys.sigprocmask(SigHow.SIG_BLOCK, 1 << Sig.SIGTTIN);
        return (yield* libc.read(TTY_FD, 10)) === -Errno.EIO ? 0 : 2;
      }
      const st = (yield* libc.waitpid(c)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 1);
      return 0;
    });
  });

  it("tcsetpgrp from a background group: SIGTTOU stops the caller's group, unless it ignores SIGTTOU", () => {
    expectPasses(function* () {
      const job = yield* sys.fork();
      if (job === 0) {
        yield* sys.setpgid(0, 0);
        yield* sys.tcsetpgrp(TTY_FD, yield* sys.getpid()); // stops here until continued
        return (yield* sys.tcgetpgrp(TTY_FD)) === (yield* sys.getpid()) ? 0 : 1;
      }
      const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
      yield* check(WIFSTOPPED(r.status) && WSTOPSIG(r.status) === Sig.SIGTTOU, 1);
      // The shell ignores SIGTTOU; once the job has the terminal, it takes it back from the background.
      yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, job)) === 0, 2);
      yield* sys.kill(job, Sig.SIGCONT);
      yield* check(WEXITSTATUS((yield* libc.waitpid(job)).status) === 0, 3);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, 1)) === 0, 4); // from the background, SIGTTOU ignored
      return 0;
    });
  });

  it("TOSTOP: a background write to the terminal sends SIGTTOU to the writer's group; continued in the foreground, the write runs again and goes through", () => {
    const r = bootWithTerminal(
      function* () {
        const job = yield* sys.fork();
        if (job === 0) {
          yield* sys.setpgid(0, 0);
          const n = yield* libc.write(TTY_FD, "from the job\n"); // stops here until continued
          return n === 13 && (yield* sys.tcgetpgrp(TTY_FD)) === (yield* sys.getpid()) ? 0 : 1;
        }
        const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFSTOPPED(st.status) && WSTOPSIG(st.status) === Sig.SIGTTOU, 1);
        yield* libc.write(TTY_FD, "shell\n"); // the foreground group writes whatever TOSTOP says
        yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
        yield* check((yield* sys.tcsetpgrp(TTY_FD, job)) === 0, 2); // the shell's fg
        yield* sys.kill(-job, Sig.SIGCONT);
        yield* check(WEXITSTATUS((yield* libc.waitpid(job)).status) === 0, 3);
        yield* check((yield* sys.tcsetpgrp(TTY_FD, 1)) === 0, 4);
        return 0;
      },
      [],
      [],
      { tostop: true },
    );
    expect([r.outcome, r.status]).toEqual(["all-exited", 0]);
    expect(r.term.out).toBe("shell\nfrom the job\n"); // nothing of the job's before it was continued
  });

  it("without TOSTOP (the default) a background write goes through at once, as Linux's stty -tostop", () => {
    const r = expectPasses(function* () {
      const job = yield* sys.fork();
      if (job === 0) {
        yield* sys.setpgid(0, 0);
        return (yield* libc.write(TTY_FD, "bg\n")) === 3 ? 0 : 1;
      }
      const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
      yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, 1);
      return 0;
    });
    expect(r.term.out).toBe("bg\n");
  });

  it("TOSTOP: a background writer that ignores or blocks SIGTTOU writes anyway (Linux's __tty_check_change)", () => {
    const r = bootWithTerminal(
      function* () {
        const job = yield* sys.fork();
        if (job === 0) {
          yield* sys.setpgid(0, 0);
          yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
          if ((yield* libc.write(TTY_FD, "ignored\n")) !== 8) return 1;
          yield* sys.sigaction(Sig.SIGTTOU, 0, 0, 0);
          yield* sys.sigprocmask(SigHow.SIG_BLOCK, 1 << Sig.SIGTTOU);
          return (yield* libc.write(TTY_FD, "blocked\n")) === 8 ? 0 : 2;
        }
        const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, WEXITSTATUS(st.status));
        return 0;
      },
      [],
      [],
      { tostop: true },
    );
    expect([r.outcome, r.status]).toEqual(["all-exited", 0]);
    expect(r.term.out).toBe("ignored\nblocked\n");
  });

  it("TOSTOP: a background write with a SIGTTOU handler returns EINTR after it (no SA_RESTART), having written nothing", () => {
    const r = bootWithTerminal(
      function* (s) {
        const job = yield* sys.fork();
        if (job === 0) {
          yield* sys.setpgid(0, 0);
          yield* sys.sigaction(
            Sig.SIGTTOU,
            s.addressOf(function* () {}),
            0,
            0,
          );
          return (yield* libc.write(TTY_FD, "lost\n")) === -Errno.EINTR ? 0 : 1;
        }
        const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, 1);
        return 0;
      },
      [],
      [],
      { tostop: true },
    );
    expect([r.outcome, r.status]).toEqual(["all-exited", 0]);
    expect(r.term.out).toBe("");
  });

  it("tcsetpgrp from a background group with SIGTTOU blocked goes through, as with it ignored (Linux's is_ignored counts blocked)", () => {
    expectPasses(function* () {
      const job = yield* sys.fork();
      if (job === 0) {
        yield* sys.setpgid(0, 0);
        yield* sys.sigprocmask(SigHow.SIG_BLOCK, 1 << Sig.SIGTTOU);
        const me = yield* sys.getpid();
        return (yield* sys.tcsetpgrp(TTY_FD, me)) === 0 && (yield* sys.tcgetpgrp(TTY_FD)) === me ? 0 : 1;
      }
      const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
      yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, 1);
      yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, 1)) === 0, 2);
      return 0;
    });
  });

  it("an orphaned background group: a read fails with EIO, tcsetpgrp with ENOTTY (Linux's TIOCSPGRP; POSIX lists no EIO), a write under TOSTOP and tcsetattr with EIO", () => {
    // init is no session leader here: S (its child) leads session S with the terminal. S's job J
    // leads group J and forks J2 into it; J exits, J2's parent is init (session 1): group J is
    // orphaned, and J2, in the background, may neither stop nor read.
    const programs = new ProgramRegistry().register({
      name: "init",
      *main(): UserCode<number> {
        if ((yield* sys.fork()) === 0) {
          yield* sys.setsid();
          yield* libc.read(TTY_FD, 10); // until the host has made S the controlling process
          const [r, w] = yield* libc.pipe();
          const j = yield* sys.fork();
          if (j === 0) {
            yield* sys.close(r);
            yield* sys.setpgid(0, 0);
            if ((yield* sys.fork()) !== 0) return 0; // J exits at once
            while ((yield* sys.getppid()) !== 1) yield* sys.sched_yield();
            const rd = yield* libc.read(TTY_FD, 10);
            const tc = yield* sys.tcsetpgrp(TTY_FD, yield* sys.getpgrp());
            const wr = yield* libc.write(TTY_FD, "orphan\n"); // TOSTOP is set: EIO, nobody would continue it
            const ta = yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSANOW, new Termios()); // EIO (tty_check_change)
            return (
              (rd === -Errno.EIO ? 0 : 1) +
              (tc === -Errno.ENOTTY ? 0 : 2) +
              (wr === -Errno.EIO ? 0 : 4) +
              (ta === -Errno.EIO ? 0 : 8)
            );
          }
          yield* sys.close(w);
          yield* libc.waitpid(j);
          yield* libc.read(r, 1); // end of file once J2 has exited: S stays the controlling process until then
          return 0;
        }
        let codes = 0;
        for (let x = yield* libc.waitpid(-1); x.pid > 0; x = yield* libc.waitpid(-1))
          codes |= WEXITSTATUS(x.status);
        return codes;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const term = new TestTerminal();
    term.tty.tostop = true;
    const init = k.boot("init");
    init.files.install(new OpenFile(term, FileMode.READ_WRITE));
    expect(k.run({ stopWhenIdle: true, maxCycles: 5e8 }).outcome).toBe("idle");
    const s = [...k.processes.values()].find((p) => p.parent === init)!;
    expect(acquireControllingTerminal(s, term.tty)).toBe(true);
    term.type("go");
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((x) => x.pid === init.pid)?.status).toBe(0); // 2 << 8 before: EIO
    expect(term.out).toBe("");
    expect(term.tty.tostop).toBe(true); // the orphan's tcsetattr (clearing TOSTOP) changed nothing
  });

  it("TIOCSCTTY: a session leader without a terminal takes one; EPERM for a non-leader; a terminal of another session only when stolen (arg 1)", () => {
    expectPasses(function* () {
      yield* check((yield* sys.tiocsctty(TTY_FD, 0)) === 0, 1); // init's already: nothing to do
      yield* check((yield* sys.tiocsctty(1, 0)) === -Errno.ENOTTY, 2); // the boot console
      yield* check((yield* sys.tiocsctty(9, 0)) === -Errno.EBADF, 3);
      const c = yield* sys.fork();
      if (c === 0) {
        if ((yield* sys.tiocsctty(TTY_FD, 0)) !== -Errno.EPERM) return 1; // not a session leader
        const sid = yield* sys.setsid();
        if ((yield* sys.tcgetpgrp(TTY_FD)) !== -Errno.ENOTTY) return 2; // setsid left it behind
        if ((yield* sys.tiocsctty(TTY_FD, 0)) !== -Errno.EPERM) return 3; // session 1 controls it
        if ((yield* sys.tiocsctty(TTY_FD, 1)) !== 0) return 4; // stolen
        return (yield* sys.tcgetpgrp(TTY_FD)) === sid ? 0 : 5;
      }
      const st = (yield* libc.waitpid(c)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 10 + WEXITSTATUS(st));
      yield* check((yield* sys.tcgetpgrp(TTY_FD)) === -Errno.ENOTTY, 4); // init's session lost it
      return 0;
    });
  });

  it("TIOCNOTTY by a process that is no session leader: it alone gives the terminal up; its session keeps it", () => {
    expectPasses(
      function* () {
        const c = yield* sys.fork();
        if (c === 0) {
          yield* sys.setpgid(0, 0);
          if ((yield* sys.tiocnotty(TTY_FD)) !== 0) return 1;
          if ((yield* sys.tcgetpgrp(TTY_FD)) !== -Errno.ENOTTY) return 2;
          if ((yield* sys.tiocnotty(TTY_FD)) !== -Errno.ENOTTY) return 3; // not its terminal any more
          // No longer its controlling terminal: no SIGTTIN for a read from outside the foreground.
          const got = yield* libc.read(TTY_FD, 100);
          return got instanceof Uint8Array && got.length > 0 ? 0 : 4;
        }
        const st = yield* libc.waitpid(c, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, 10 + WEXITSTATUS(st.status));
        yield* check((yield* sys.tcgetpgrp(TTY_FD)) === 1, 2); // init's session still has it
        return 0;
      },
      [],
      [(_k, term) => term.type("read without job control")],
    );
  });

  it("TIOCNOTTY by the session leader: SIGHUP then SIGCONT to the foreground group, and no process of the session keeps the terminal", () => {
    const r = expectPasses(
      function* () {
        const job = yield* libc.spawnv("cat", ["cat"], { pgroup: 0, foreground: true });
        const stopped = yield* libc.waitpid(job, WaitOptions.WUNTRACED); // ^Z from the test
        yield* check(WIFSTOPPED(stopped.status), 1);
        yield* check((yield* sys.tiocnotty(TTY_FD)) === 0, 2);
        const st = (yield* libc.waitpid(job)).status;
        yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGHUP, 3); // continued, then hung up
        yield* check((yield* sys.tcgetpgrp(TTY_FD)) === -Errno.ENOTTY, 4);
        return 0;
      },
      READER,
      [(k, term) => signalForeground(k, term.tty, Sig.SIGTSTP)],
    );
    expect([r.term.tty.session, r.term.tty.pgrp]).toEqual([0, 0]);
  });

  it("the controlling process's exit sends SIGHUP to the foreground group and frees the terminal", () => {
    const s = controllingExit();
    expect(s.readerStatus).toBe(Sig.SIGHUP);
    expect([s.session, s.pgrp]).toEqual([0, 0]);
  });
});

/**
 * init leads session 1 with the terminal, puts a reader job in the foreground and exits; the
 * kernel reaps everything. The job's wait status (killed by SIGHUP?) and the terminal's state.
 */
function controllingExit() {
  const programs = new ProgramRegistry()
    .register({
      name: "init",
      *main() {
        const job = yield* libc.spawnv("cat", ["cat"], { pgroup: 0 });
        yield* sys.tcsetpgrp(TTY_FD, job);
        yield* compute(50_000);
        return 0;
      },
    })
    .register({ name: "cat", main: catForever });
  const k = new Kernel({ programs, paranoid: true });
  const term = new TestTerminal();
  const init = k.boot("init");
  init.files.install(new OpenFile(term, FileMode.READ_WRITE));
  acquireControllingTerminal(init, term.tty);
  k.run({ maxCycles: 5e8 });
  const cat = k.life.reapedByKernel.find((x) => x.pid !== 1);
  return { readerStatus: cat?.status ?? -1, session: term.tty.session, pgrp: term.tty.pgrp };
}

describe("terminal modes (termios): tcgetattr and tcsetattr", () => {
  const arbTermios = fc
    .record({
      iflag: fc.nat({ max: 0xffffffff }),
      oflag: fc.nat({ max: 0xffffffff }),
      cflag: fc.nat({ max: 0xffffffff }),
      lflag: fc.nat({ max: 0xffffffff }),
      line: fc.nat({ max: 0xff }),
      cc: fc.uint8Array({ minLength: NCCS, maxLength: NCCS }),
    })
    .map((f) => {
      const m = new Termios();
      m.iflag = f.iflag;
      m.oflag = f.oflag;
      m.cflag = f.cflag;
      m.lflag = f.lflag;
      m.line = f.line;
      m.cc.set(f.cc);
      return m;
    });

  it("Linux's struct termios layout: 4 little-endian u32 mode words, c_line at 16, c_cc[19] at 17, 36 bytes; decode(encode(m)) is m", () => {
    fc.assert(
      fc.property(arbTermios, (m) => {
        const b = m.encode();
        expect(b.length).toBe(TERMIOS_BYTES);
        const dv = new DataView(b.buffer);
        expect([
          dv.getUint32(0, true),
          dv.getUint32(4, true),
          dv.getUint32(8, true),
          dv.getUint32(12, true),
        ]).toEqual([m.iflag, m.oflag, m.cflag, m.lflag]);
        expect(b[16]).toBe(m.line);
        expect([...b.subarray(17)]).toEqual([...m.cc]);
        const back = Termios.decode(b);
        back.checkInvariants();
        expect(back.equals(m)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("a worked layout: ISIG|ICANON|ECHO|TOSTOP = 0x10b lands in bytes 12..15 as 0b 01 00 00; VMIN is byte 17 + 6", () => {
    const m = new Termios();
    m.lflag = LocalMode.ISIG | LocalMode.ICANON | LocalMode.ECHO | LocalMode.TOSTOP;
    m.cc[Cc.VMIN] = 5;
    const b = m.encode();
    expect(m.lflag).toBe(0x10b);
    expect([...b.subarray(12, 16)]).toEqual([0x0b, 0x01, 0, 0]);
    expect(b[23]).toBe(5);
  });

  it("a terminal starts with Linux's defaults (stty sane): ISIG, ICANON, ECHO on, TOSTOP off, ^C ^\\ ^D ^Z, MIN 1, TIME 0", () => {
    expectPasses(function* () {
      const m = yield* libc.tcgetattr(TTY_FD);
      if (typeof m === "number") return 1;
      yield* check(m.local(LocalMode.ISIG) && m.local(LocalMode.ICANON) && m.local(LocalMode.ECHO), 2);
      yield* check(!m.local(LocalMode.TOSTOP), 3);
      const cc = [
        m.cc[Cc.VINTR],
        m.cc[Cc.VQUIT],
        m.cc[Cc.VEOF],
        m.cc[Cc.VSUSP],
        m.cc[Cc.VMIN],
        m.cc[Cc.VTIME],
      ];
      yield* check(cc.join() === [0x03, 0x1c, 0x04, 0x1a, 1, 0].join(), 4);
      return 0;
    });
  });

  it("tcsetattr stores every field as given, tcgetattr gives it back; TOSTOP set by a program is the kernel's TOSTOP", () => {
    const { term } = expectPasses(function* () {
      const m = new Termios();
      m.lflag = LocalMode.TOSTOP | LocalMode.ISIG;
      m.iflag = 0xdeadbeef;
      m.cc[Cc.VINTR] = 0x07;
      m.cc[Cc.VMIN] = 4;
      yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSANOW, m)) === 0, 1);
      const back = yield* libc.tcgetattr(TTY_FD);
      yield* check(typeof back !== "number" && back.equals(m), 2);
      return 0;
    });
    expect(term.tty.tostop).toBe(true);
    expect(term.tty.termios.cc[Cc.VINTR]).toBe(0x07);
    expect(term.driverCalls).toEqual(["modes"]);
  });

  it("the driver option sets the initial TOSTOP, which tcgetattr reports and tcsetattr can clear", () => {
    const { term } = expectPasses(
      function* () {
        const m = yield* libc.tcgetattr(TTY_FD);
        if (typeof m === "number") return 1;
        yield* check(m.local(LocalMode.TOSTOP), 2);
        m.setLocal(LocalMode.TOSTOP, false);
        yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSADRAIN, m)) === 0, 3);
        return 0;
      },
      [],
      [],
      { tostop: true },
    );
    expect(term.tty.tostop).toBe(false);
  });

  it("TCSAFLUSH discards the input received and not read; TCSANOW and TCSADRAIN keep it", () => {
    const { term } = expectPasses(
      function* () {
        yield* libc.read(TTY_FD, 1); // the first line: the host types two more after it
        const m = yield* libc.tcgetattr(TTY_FD);
        if (typeof m === "number") return 1;
        yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSANOW, m)) === 0, 2);
        yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSADRAIN, m)) === 0, 3);
        yield* check((yield* libc.read(TTY_FD, 100)) instanceof Uint8Array, 4); // "two" still there
        yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSAFLUSH, m)) === 0, 5);
        yield* libc.read(TTY_FD, 100); // "three" was flushed: waits for "four"
        return 0;
      },
      [],
      [
        (_k, t) => {
          t.type("one");
        },
        (_k, t) => {
          t.type("two");
          t.type("three");
        },
        (_k, t) => t.type("four"),
      ],
    );
    expect(term.driverCalls).toEqual(["modes", "modes", "flush", "modes"]);
  });

  it("errors change nothing: EBADF for no file, ENOTTY for a file that is no terminal, EINVAL for an unknown action, EFAULT for an unreadable or unwritable struct", () => {
    const { term } = expectPasses(function* () {
      const m = new Termios();
      m.lflag = 0; // raw, were it applied
      yield* check((yield* libc.tcsetattr(9, TcsaAction.TCSANOW, m)) === -Errno.EBADF, 1);
      yield* check((yield* libc.tcsetattr(1, TcsaAction.TCSANOW, m)) === -Errno.ENOTTY, 2); // boot console
      yield* check((yield* libc.tcgetattr(9)) === -Errno.EBADF, 3);
      yield* check((yield* libc.tcgetattr(1)) === -Errno.ENOTTY, 4);
      yield* check((yield* libc.tcsetattr(TTY_FD, 3, m)) === -Errno.EINVAL, 5);
      yield* check((yield* libc.tcsetattr(TTY_FD, -1, m)) === -Errno.EINVAL, 6);
      const unmapped = 0x7000_0000_0000;
      yield* check((yield* sys.tcsetattr(TTY_FD, TcsaAction.TCSAFLUSH, unmapped)) === -Errno.EFAULT, 7);
      yield* check((yield* sys.tcsetattr(TTY_FD, TcsaAction.TCSANOW, 0)) === -Errno.EFAULT, 8);
      yield* check((yield* sys.tcgetattr(TTY_FD, unmapped)) === -Errno.EFAULT, 9);
      const now = yield* libc.tcgetattr(TTY_FD);
      yield* check(typeof now !== "number" && now.equals(new Termios()), 10);
      return 0;
    });
    expect(term.driverCalls).toEqual([]); // no flush after the faulting TCSAFLUSH either
  });

  it("tcsetattr from a background group: SIGTTOU stops the caller's group even with TOSTOP clear; continued in the foreground it runs again", () => {
    const { term } = expectPasses(function* () {
      const job = yield* sys.fork();
      if (job === 0) {
        yield* sys.setpgid(0, 0);
        const m = new Termios();
        m.setLocal(LocalMode.ECHO, false);
        return yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSANOW, m); // stops here until continued
      }
      const r = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
      yield* check(WIFSTOPPED(r.status) && WSTOPSIG(r.status) === Sig.SIGTTOU, 1);
      const before = yield* libc.tcgetattr(TTY_FD); // allowed from anywhere; not changed yet
      yield* check(typeof before !== "number" && before.local(LocalMode.ECHO), 2);
      yield* sys.sigaction(Sig.SIGTTOU, SIG_IGN, 0, 0);
      yield* check((yield* sys.tcsetpgrp(TTY_FD, job)) === 0, 3);
      yield* sys.kill(job, Sig.SIGCONT);
      yield* check(WEXITSTATUS((yield* libc.waitpid(job)).status) === 0, 4);
      // From the background, SIGTTOU ignored: goes through (Linux's is_ignored).
      yield* check((yield* libc.tcsetattr(TTY_FD, TcsaAction.TCSANOW, new Termios())) === 0, 5);
      return 0;
    });
    expect(term.tty.termios.local(LocalMode.ECHO)).toBe(true);
    expect(term.driverCalls).toEqual(["modes", "modes"]);
  });
});

describe("tcgetsid (POSIX tcgetsid; Linux's TIOCGSID)", () => {
  it("the session the caller's controlling terminal belongs to; ENOTTY for another terminal or a file that is none; EBADF", () => {
    expectPasses(function* () {
      yield* check((yield* sys.tcgetsid(TTY_FD)) === 1, 1); // init leads session 1
      yield* check((yield* sys.tcgetsid(1)) === -Errno.ENOTTY, 2); // the boot console: not a tty
      yield* check((yield* sys.tcgetsid(9)) === -Errno.EBADF, 3);
      const inSession = yield* sys.fork();
      if (inSession === 0) {
        yield* sys.setpgid(0, 0); // a background group of the same session: still its terminal
        return (yield* sys.tcgetsid(TTY_FD)) === 1 ? 0 : 1;
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(inSession)).status) === 0, 4);
      const other = yield* sys.fork();
      if (other === 0) {
        yield* sys.setsid(); // a new session without a terminal: the descriptor is not its terminal
        return (yield* sys.tcgetsid(TTY_FD)) === -Errno.ENOTTY ? 0 : 1;
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(other)).status) === 0, 5);
      yield* check((yield* sys.tiocnotty(TTY_FD)) === 0, 6);
      return (yield* sys.tcgetsid(TTY_FD)) === -Errno.ENOTTY ? 0 : 7; // given up: no longer its terminal
    });
  });
});

describe("TOSTOP and an unreadable buffer (Linux's tty_write copies before n_tty_write checks)", () => {
  it("a background write from an unreadable buffer fails with EFAULT and sends no SIGTTOU", () => {
    const r = bootWithTerminal(
      function* () {
        const job = yield* sys.fork();
        if (job === 0) {
          yield* sys.setpgid(0, 0);
          return (yield* sys.write(TTY_FD, 8, 5)) === -Errno.EFAULT ? 0 : 1; // page 0 is never mapped
        }
        const st = yield* libc.waitpid(job, WaitOptions.WUNTRACED);
        yield* check(WIFEXITED(st.status) && WEXITSTATUS(st.status) === 0, 1); // not stopped by SIGTTOU
        return 0;
      },
      [],
      [],
      { tostop: true },
    );
    expect([r.outcome, r.status]).toEqual(["all-exited", 0]);
    expect(r.term.out).toBe("");
  });
});
