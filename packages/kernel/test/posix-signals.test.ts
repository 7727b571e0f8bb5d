// POSIX signal rules, one test each, as Linux and POSIX.1-2008 state them (the other rules are in
// posix-rules.test.ts): generation, delivery, stops, handlers, SA_RESTART, partial writes, init.
// Each program exits 0 when every rule held, else 100 + the number of the first failed check.
// Run one alone: pnpm vitest run packages/kernel/test/posix-signals.test.ts -t "SIGSTOP"
import { describe, expect, it } from "vitest";
import {
  compute,
  Errno,
  libc,
  mem,
  SIG_IGN,
  Sig,
  SigHow,
  posixStubs as sys,
  type UserCode,
  WaitOptions,
  WCOREDUMP,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WIFSTOPPED,
  WTERMSIG,
} from "../src/index.js";
import { check } from "./boot-init.js";
import { bit, expectPasses, PAGE, readAllThenReap } from "./posix-expect.js";

describe("signals", () => {
  it("init is unkillable: kill(1, sig) succeeds but a default action is dropped, SIGKILL and SIGSTOP too; a handler of init's runs", () => {
    // Linux: init has SIGNAL_UNKILLABLE; kill(2) returns 0 and sig_task_ignored drops the signal.
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, "usr1 ");
      });
      yield* sys.sigaction(Sig.SIGUSR1, h, 0, 0);
      const a = yield* sys.fork();
      if (a === 0) {
        for (const sig of [Sig.SIGKILL, Sig.SIGSTOP, Sig.SIGTERM, Sig.SIGUSR1]) {
          if ((yield* sys.kill(1, sig)) !== 0) return 1;
        }
        return 0;
      }
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 1);
      yield* compute(10_000); // init is still here, not stopped
      return 0;
    });
    expect(r.console).toBe("usr1 ");
  });

  it("init is unkillable by the kernel's own signals too: a write to a pipe with no reader fails with EPIPE and SIGPIPE is dropped", () => {
    // Linux's pipe_write sends SIGPIPE with send_sig(), not a forced signal, so init's
    // SIGNAL_UNKILLABLE drops it as it drops kill(1, SIGPIPE) (sig_task_ignored); the write fails.
    expectPasses(function* () {
      const [rd, wr] = yield* libc.pipe();
      yield* sys.close(rd);
      yield* check((yield* libc.write(wr, "x")) === -Errno.EPIPE, 1);
      yield* check((yield* sys.sigprocmask(SigHow.SIG_BLOCK, 0)) === 0, 2);
      return 0;
    });
  });

  it("init is unkillable at delivery too: a signal pending while caught or blocked, whose action is the default by the time it is delivered, is dropped", () => {
    // Linux's get_signal: "Global init gets no signals it doesn't want": a default action other
    // than ignore is skipped for SIGNAL_UNKILLABLE, whenever the signal was generated.
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, "caught ");
      });
      for (const sig of [Sig.SIGTERM, Sig.SIGTSTP]) {
        yield* sys.sigaction(sig, h, 0, 0);
        yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(sig));
        yield* check((yield* sys.kill(1, sig)) === 0, 1); // caught: pending, blocked
        yield* sys.sigaction(sig, 0, 0, 0); // SIG_DFL: a pending SIGTERM or SIGTSTP stays pending
        yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(sig)); // delivered now: dropped
        yield* libc.write(1, `${sig} `);
      }
      return 0;
    });
    expect(r.console).toBe(`${Sig.SIGTERM} ${Sig.SIGTSTP} `);
  });

  it("SIGKILL and SIGSTOP can be neither caught, ignored nor blocked", () => {
    expectPasses(function* (s) {
      const h = s.addressOf(function* () {});
      yield* check((yield* sys.sigaction(Sig.SIGKILL, h, 0, 0)) === -Errno.EINVAL, 1);
      yield* check((yield* sys.sigaction(Sig.SIGKILL, SIG_IGN, 0, 0)) === -Errno.EINVAL, 2);
      yield* check((yield* sys.sigaction(Sig.SIGSTOP, SIG_IGN, 0, 0)) === -Errno.EINVAL, 3);
      yield* sys.sigprocmask(SigHow.SIG_SETMASK, 0xffff_fffe);
      const mask = yield* sys.sigprocmask(SigHow.SIG_SETMASK, 0);
      yield* check((mask & (bit(Sig.SIGKILL) | bit(Sig.SIGSTOP))) === 0, 4);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.sigprocmask(SigHow.SIG_SETMASK, 0xffff_fffe);
        yield* sys.kill(yield* sys.getpid(), Sig.SIGKILL);
        return 0;
      }
      const w = yield* libc.waitpid(a);
      yield* check(WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGKILL, 5);
      return 0;
    });
  });

  it("a standard signal is pending at most once: three kills while blocked run the handler once", () => {
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, "h");
      });
      yield* sys.sigaction(Sig.SIGUSR1, h, 0, 0);
      yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGUSR1));
      const me = yield* sys.getpid();
      for (let i = 0; i < 3; i++) yield* sys.kill(me, Sig.SIGUSR1);
      yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(Sig.SIGUSR1));
      yield* libc.write(1, ".");
      return 0;
    });
    expect(r.console).toBe("h.");
  });

  it("the signal is blocked while its handler runs, and sigreturn restores the mask even if the handler changed it", () => {
    expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        const inside = yield* sys.sigprocmask(SigHow.SIG_SETMASK, 0); // the handler unblocks all
        if (inside !== (bit(Sig.SIGUSR1) | bit(Sig.SIGUSR2) | bit(Sig.SIGHUP))) yield* sys.exit_group(150);
      });
      yield* sys.sigaction(Sig.SIGUSR1, h, bit(Sig.SIGUSR2), 0);
      yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGHUP));
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
      const after = yield* sys.sigprocmask(SigHow.SIG_BLOCK, 0);
      yield* check(after === bit(Sig.SIGHUP), 1);
      return 0;
    });
  });

  it("default actions: SIGCHLD, SIGURG, SIGWINCH and SIGCONT are ignored; SIGTERM ends without core, SIGQUIT with", () => {
    expectPasses(function* () {
      const me = yield* sys.getpid();
      for (const sig of [Sig.SIGCHLD, Sig.SIGURG, Sig.SIGWINCH, Sig.SIGCONT]) yield* sys.kill(me, sig);
      yield* compute(100);
      const cases: [number, boolean][] = [
        [Sig.SIGTERM, false],
        [Sig.SIGQUIT, true],
        [Sig.SIGUSR1, false],
        [Sig.SIGABRT, true],
        [Sig.SIGALRM, false],
        [Sig.SIGSYS, true],
      ];
      for (const [sig, core] of cases) {
        const a = yield* sys.fork();
        if (a === 0) {
          yield* sys.kill(yield* sys.getpid(), sig);
          yield* compute(1000);
          return 0;
        }
        const w = yield* libc.waitpid(a);
        yield* check(
          WIFSIGNALED(w.status) && WTERMSIG(w.status) === sig && WCOREDUMP(w.status) === core,
          sig,
        );
      }
      return 0;
    });
  });

  it("SIGCONT with SIG_DFL continues a stopped process without interrupting its blocked calls (no EINTR)", () => {
    // Linux: SIGCONT's default is ignored once it has continued the process (sig_kernel_ignore),
    // so it is discarded at generation and wakes no sleeper.
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      const a = yield* sys.fork();
      if (a === 0) {
        const got = yield* libc.read(r, 4); // blocks until the parent writes
        return got instanceof Uint8Array && new TextDecoder().decode(got) === "go" ? 0 : 1;
      }
      yield* compute(20_000);
      yield* sys.kill(a, Sig.SIGCONT); // not stopped: nothing to do
      yield* sys.kill(a, Sig.SIGSTOP);
      yield* sys.kill(a, Sig.SIGCONT); // stopped while blocked: continued, still blocked
      yield* compute(20_000);
      yield* libc.write(w, "go");
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, WEXITSTATUS(st) + 10);
      return 0;
    });
  });

  it("a stop signal's default action stops a process blocked in read; after SIGCONT the read goes on (no EINTR)", () => {
    // Linux: the sleeper is woken to stop (-ERESTARTSYS); no handler runs, so the call restarts.
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      const a = yield* sys.fork();
      if (a === 0) {
        const got = yield* libc.read(r, 4);
        return got instanceof Uint8Array && new TextDecoder().decode(got) === "go" ? 0 : 1;
      }
      yield* compute(20_000);
      yield* sys.kill(a, Sig.SIGTSTP);
      const stopped = yield* libc.waitpid(a, WaitOptions.WUNTRACED);
      yield* check(stopped.pid === a && WIFSTOPPED(stopped.status), 1);
      yield* sys.kill(a, Sig.SIGCONT);
      yield* compute(20_000);
      yield* libc.write(w, "go");
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, WEXITSTATUS(st) + 10);
      return 0;
    });
  });

  it("a stop leaves a sleep alone: after SIGCONT it ends at its deadline and returns 0, not EINTR", () => {
    // Linux restarts a nanosleep that a stop interrupted with the time left (restart_syscall(2)),
    // counting the time spent stopped; only a handler ends a sleep early (signal(7): sleeps are
    // never restarted after a handler, SA_RESTART or not).
    for (const stop of [Sig.SIGTSTP, Sig.SIGSTOP]) {
      expectPasses(function* () {
        const a = yield* sys.fork();
        if (a === 0) {
          const t0 = yield* sys.clock_gettime(1);
          const r = yield* sys.nanosleep(400_000);
          const slept = (yield* sys.clock_gettime(1)) - t0;
          return r !== 0 ? 1 : slept < 400_000 ? 2 : 0;
        }
        yield* compute(20_000);
        yield* sys.kill(a, stop);
        const stopped = yield* libc.waitpid(a, WaitOptions.WUNTRACED);
        yield* check(stopped.pid === a && WIFSTOPPED(stopped.status), 1);
        yield* compute(20_000);
        yield* sys.kill(a, Sig.SIGCONT);
        const st = (yield* libc.waitpid(a)).status;
        yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, WEXITSTATUS(st) + 10);
        return 0;
      });
    }
  });

  it("a sleep or a timed futex wait whose deadline passes while the process is stopped completes, but the thread runs only after SIGCONT", () => {
    // POSIX 2.4.1: while a process is stopped, none of its threads runs; the timer that ends the
    // call fires meanwhile, and the thread returns from it once continued (Linux: the stopped
    // task's restart_syscall finds the deadline past and returns 0, or ETIMEDOUT for the futex).
    for (const call of ["nanosleep", "futex"]) {
      const r = expectPasses(function* () {
        const a = yield* sys.fork();
        if (a === 0) {
          const word = yield* libc.mmapAnon(PAGE);
          const r =
            call === "nanosleep" ? yield* sys.nanosleep(50_000) : yield* sys.futex(word, 0, 0, 50_000);
          yield* libc.write(1, `woke ${r} `);
          return 0;
        }
        yield* compute(20_000);
        yield* sys.kill(a, Sig.SIGTSTP);
        yield* check(WIFSTOPPED((yield* libc.waitpid(a, WaitOptions.WUNTRACED)).status), 1);
        for (let i = 0; i < 100; i++) yield* compute(5_000); // both deadlines pass meanwhile
        yield* libc.write(1, "SIGCONT ");
        yield* sys.kill(a, Sig.SIGCONT);
        const st = (yield* libc.waitpid(a)).status;
        yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 2);
        return 0;
      });
      expect(r.console, call).toBe(`SIGCONT woke ${call === "nanosleep" ? 0 : -Errno.ETIMEDOUT} `);
    }
  });

  it("a stop leaves a timed futex wait alone: after SIGCONT it times out with ETIMEDOUT, not EINTR", () => {
    // Linux: FUTEX_WAIT with a timeout restarts after a stop (restart_syscall(2)), its deadline kept.
    expectPasses(function* () {
      const a = yield* sys.fork();
      if (a === 0) {
        const word = yield* libc.mmapAnon(PAGE);
        const r = yield* sys.futex(word, 0, 0, 400_000);
        return r === -Errno.ETIMEDOUT ? 0 : r === -Errno.EINTR ? 1 : 2;
      }
      yield* compute(20_000);
      yield* sys.kill(a, Sig.SIGTSTP);
      const stopped = yield* libc.waitpid(a, WaitOptions.WUNTRACED);
      yield* check(stopped.pid === a && WIFSTOPPED(stopped.status), 1);
      yield* sys.kill(a, Sig.SIGCONT);
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, WEXITSTATUS(st) + 10);
      return 0;
    });
  });

  it("a blocked pipe write that moved some bytes returns their count when a signal comes: a handler, SA_RESTART or not, or a stop", () => {
    // POSIX write(): "If write() is interrupted by a signal after it successfully writes some
    // data, it shall return the number of bytes written" — whatever the disposition. Linux's
    // pipe_write returns -ERESTARTSYS only when nothing was written yet. 10,000 bytes into an
    // empty 4096-byte pipe: 4096 go in, then the writer blocks.
    for (const how of ["handler", "handler with SA_RESTART", "SIGTSTP", "SIGSTOP"]) {
      const r = expectPasses(function* (s) {
        const [rd, wr] = yield* libc.pipe();
        const a = yield* sys.fork();
        if (a === 0) {
          yield* sys.close(rd);
          const h = s.addressOf(function* () {
            yield* libc.write(1, "h ");
          });
          yield* sys.sigaction(Sig.SIGUSR1, h, 0, how === "handler" ? 0 : 0x1000_0000);
          const n = yield* libc.write(wr, new Uint8Array(10_000).fill(7));
          yield* libc.write(1, `wrote ${n} `);
          return 0;
        }
        yield* sys.close(wr);
        yield* compute(30_000); // the child fills the pipe and blocks
        const sig = how === "SIGTSTP" ? Sig.SIGTSTP : how === "SIGSTOP" ? Sig.SIGSTOP : Sig.SIGUSR1;
        yield* sys.kill(a, sig);
        if (sig !== Sig.SIGUSR1) {
          const stopped = yield* libc.waitpid(a, WaitOptions.WUNTRACED);
          yield* check(stopped.pid === a && WIFSTOPPED(stopped.status), 1);
          yield* sys.kill(a, Sig.SIGCONT);
        }
        return yield* readAllThenReap(rd, a);
      });
      expect(r.console, how).toBe(`${how.startsWith("handler") ? "h " : ""}wrote 4096 read 4096`);
    }
  });

  it("a stop of a process on 2 CPUs: the thread blocked in a partial write gets its count, the running one is suspended and goes on after SIGCONT", () => {
    const r = expectPasses(
      function* (s) {
        const [rd, wr] = yield* libc.pipe();
        const a = yield* sys.fork();
        if (a === 0) {
          yield* sys.close(rd);
          const spin = s.addressOf(function* () {
            for (let i = 0; i < 200; i++) yield* compute(1000); // runs on the other CPU meanwhile
            yield* libc.write(1, "spun ");
            return 0;
          });
          yield* sys.thread_create(spin, 0, 0, 0);
          const n = yield* libc.write(wr, new Uint8Array(10_000).fill(7));
          yield* libc.write(1, `wrote ${n} `);
          for (let i = 0; i < 300; i++) yield* compute(1000);
          return 0;
        }
        yield* sys.close(wr);
        yield* compute(30_000);
        yield* sys.kill(a, Sig.SIGTSTP);
        yield* check(WIFSTOPPED((yield* libc.waitpid(a, WaitOptions.WUNTRACED)).status), 1);
        yield* sys.kill(a, Sig.SIGCONT);
        return yield* readAllThenReap(rd, a);
      },
      [],
      2,
    );
    expect(r.console).toBe("wrote 4096 spun read 4096");
  });

  it("a stop signal every thread blocks stays pending; unblocking it stops the process then, reported to WUNTRACED", () => {
    const r = expectPasses(function* () {
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGTSTP));
        for (let i = 0; i < 50; i++) yield* compute(1000);
        yield* libc.write(1, "unblock ");
        yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(Sig.SIGTSTP)); // stops here
        yield* libc.write(1, "continued ");
        return 4;
      }
      yield* compute(10_000);
      yield* sys.kill(a, Sig.SIGTSTP);
      yield* check(WIFSTOPPED((yield* libc.waitpid(a, WaitOptions.WUNTRACED)).status), 1);
      yield* libc.write(1, "stopped ");
      yield* sys.kill(a, Sig.SIGCONT);
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 4, 2);
      return 0;
    });
    expect(r.console).toBe("unblock stopped continued ");
  });

  it("a handler's own blocked write that a second signal interrupts returns its count; the interrupted write's count comes back after both handlers", () => {
    // 3000 bytes fit; the SIGUSR1 handler's 6000-byte write moves 1096 and blocks; SIGUSR2's
    // handler takes effect on it (POSIX write: the count so far), then runs first.
    const r = expectPasses(function* (s) {
      const [rd, wr] = yield* libc.pipe();
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.close(rd);
        const h2 = s.addressOf(function* () {
          yield* libc.write(1, "h2 ");
        });
        const h1 = s.addressOf(function* () {
          const n = yield* libc.write(wr, new Uint8Array(6000).fill(1));
          yield* libc.write(1, `h1 wrote ${n} `);
        });
        yield* sys.sigaction(Sig.SIGUSR1, h1, 0, 0x1000_0000);
        yield* sys.sigaction(Sig.SIGUSR2, h2, 0, 0x1000_0000);
        const n = yield* libc.write(wr, new Uint8Array(3000).fill(7));
        yield* libc.write(1, `main wrote ${n} `);
        yield* compute(50_000);
        return 0;
      }
      yield* sys.close(wr);
      yield* compute(30_000);
      yield* sys.kill(a, Sig.SIGUSR1);
      yield* compute(30_000);
      yield* sys.kill(a, Sig.SIGUSR2);
      return yield* readAllThenReap(rd, a);
    });
    expect(r.console).toBe("main wrote 3000 h2 h1 wrote 1096 read 4096");
  });

  it("a synchronous SIGSEGV that is blocked or ignored still kills (it cannot be skipped)", () => {
    expectPasses(function* () {
      for (const how of ["block", "ignore"]) {
        const a = yield* sys.fork();
        if (a === 0) {
          if (how === "block") yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGSEGV));
          else yield* sys.sigaction(Sig.SIGSEGV, SIG_IGN, 0, 0);
          yield* mem.store32(0xdead_0000, 1);
          return 0;
        }
        const w = yield* libc.waitpid(a);
        yield* check(WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGSEGV, how === "block" ? 1 : 2);
      }
      return 0;
    });
  });

  it("a blocked pipe read returns EINTR after a handler; with SA_RESTART it goes on and gets the data", () => {
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, "h");
      });
      const parent = yield* sys.getpid();
      for (const restart of [false, true]) {
        yield* sys.sigaction(Sig.SIGUSR1, h, 0, restart ? 0x1000_0000 : 0);
        const [r, w] = yield* libc.pipe();
        const a = yield* sys.fork();
        if (a === 0) {
          yield* compute(10_000);
          yield* sys.kill(parent, Sig.SIGUSR1);
          yield* compute(10_000);
          yield* libc.write(w, "d");
          return 0;
        }
        const got = yield* libc.read(r, 1);
        if (restart) yield* check(got instanceof Uint8Array && got[0] === "d".charCodeAt(0), 2);
        else yield* check(got === -Errno.EINTR, 1);
        yield* libc.waitpid(a);
        yield* sys.close(r);
        yield* sys.close(w);
      }
      return 0;
    });
    expect(r.console).toBe("hh");
  });
});

describe("SA_RESTART on every blocking call", () => {
  // A blocked call that a handler with SA_RESTART interrupts is restarted (Linux: ERESTARTSYS), or,
  // where that is not possible, returns EINTR; it never resumes with no result at all.
  const calls: [string, (word: number) => UserCode<number>, readonly number[]][] = [
    // Restarted: the word is compared again, and the wait ends with the child's wake (0), or at
    // once if the word changed already (EAGAIN).
    ["futex wait is restarted", (word) => sys.futex(word, 0, 0, 0), [0, -Errno.EAGAIN]],
    // Not restartable here (the timeout would start over): EINTR.
    ["futex wait with a timeout returns EINTR", (word) => sys.futex(word, 0, 0, 200_000), [-Errno.EINTR]],
    ["nanosleep returns EINTR", () => sys.nanosleep(200_000), [-Errno.EINTR]],
  ];
  for (const [what, call, allowed] of calls) {
    it(what, () => {
      const r = expectPasses(function* (s) {
        const h = s.addressOf(function* () {
          yield* libc.write(1, "h");
        });
        yield* sys.sigaction(Sig.SIGUSR1, h, 0, 0x1000_0000);
        const word = yield* libc.mmapAnon(PAGE, { shared: true });
        const parent = yield* sys.getpid();
        const a = yield* sys.fork();
        if (a === 0) {
          yield* compute(20_000);
          yield* sys.kill(parent, Sig.SIGUSR1);
          yield* compute(20_000);
          yield* mem.store32(word, 1);
          yield* sys.futex(word, 1, 1, 0);
          return 0;
        }
        const res = yield* call(word);
        yield* check(typeof res === "number", 1);
        yield* check(allowed.includes(res), 2);
        yield* libc.waitpid(a);
        return 0;
      });
      expect(r.console).toBe("h");
    });
  }
});
