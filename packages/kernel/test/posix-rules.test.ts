// POSIX rules, one test each, as Linux and POSIX.1-2008 state them: what a student reading the
// kernel may rely on. Each program exits 0 when every rule held, else 100 + the number of the
// first check that failed, so a failure names the broken rule.
// Run one alone: pnpm vitest run packages/kernel/test/posix-rules.test.ts -t "SIGCHLD"
import { describe, expect, it } from "vitest";
import {
  Console,
  checkFileInvariants,
  compute,
  Errno,
  type ExecutableImage,
  FdTable,
  FileMode,
  Kernel,
  type KernelEvent,
  libc,
  MAX_FDS,
  MapFlags,
  MMAP_BASE,
  mem,
  OpenFile,
  ProgramRegistry,
  Prot,
  SIG_IGN,
  Sig,
  SigHow,
  posixStubs as sys,
  WaitOptions,
  WCOREDUMP,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WTERMSIG,
} from "../src/index.js";
import { check } from "./boot-init.js";
import { bit, expectPasses, PAGE } from "./posix-expect.js";

describe("wait", () => {
  it("SIGCHLD set to SIG_IGN: children are not kept as zombies, and a blocked waitpid ends with ECHILD", () => {
    // POSIX wait(): if SIGCHLD is SIG_IGN, the calling thread blocks until all of its children
    // terminate, and then fails with ECHILD (no zombies are created). Linux does the same.
    expectPasses(function* () {
      yield* sys.sigaction(Sig.SIGCHLD, SIG_IGN, 0, 0);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* compute(20_000);
        return 3;
      }
      yield* check((yield* sys.waitpid(-1, 0, 0)) === -Errno.ECHILD, 1);
      const b = yield* sys.fork();
      if (b === 0) {
        yield* compute(20_000);
        return 3;
      }
      yield* check((yield* sys.waitpid(b, 0, 0)) === -Errno.ECHILD, 2);
      return 0;
    });
  });

  it("a blocked waitpid returns the child whose exit sent SIGCHLD, not EINTR, when a SIGCHLD handler is installed", () => {
    // Linux's do_wait finds the zombie before it looks for pending signals; the handler then runs
    // on the way back to user mode.
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, "chld ");
      });
      yield* sys.sigaction(Sig.SIGCHLD, h, 0, 0);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* compute(30_000);
        return 4;
      }
      const w = yield* libc.waitpid(a);
      yield* check(w.pid === a && WEXITSTATUS(w.status) === 4, 1);
      yield* libc.write(1, "reaped ");
      // A waitpid for another child is interrupted by the handler, as any blocking call.
      const slow = yield* sys.fork();
      if (slow === 0) {
        for (let i = 0; i < 40; i++) yield* compute(2000); // preemptible: fast exits well before
        return 0;
      }
      const fast = yield* sys.fork();
      if (fast === 0) return 0;
      yield* check((yield* sys.waitpid(slow, 0, 0)) === -Errno.EINTR, 2);
      yield* check((yield* sys.waitpid(fast, 0, 0)) === fast, 3);
      yield* check((yield* sys.waitpid(slow, 0, 0)) === slow, 4);
      return 0;
    });
    expect(r.console).toBe("chld reaped chld chld ");
  });

  it("a SIGCHLD handler that reaps with WNOHANG runs after the blocked waitpid has returned the child", () => {
    // The classic reaper (while (waitpid(-1, &st, WNOHANG) > 0) ...) must not take the child a
    // blocked waitpid was woken for: on Linux the waitpid returns it, then the handler finds none.
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        const got = yield* sys.waitpid(-1, 0, WaitOptions.WNOHANG);
        yield* libc.write(1, got === -Errno.ECHILD ? "none " : `handler reaped ${got} `);
      });
      yield* sys.sigaction(Sig.SIGCHLD, h, 0, 0);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* compute(30_000);
        return 4;
      }
      yield* check((yield* sys.waitpid(a, 0, 0)) === a, 1);
      yield* libc.write(1, "reaped ");
      return 0;
    });
    expect(r.console).toBe("none reaped ");
  });

  it("ECHILD without children, for a pid that is no child, and with WNOHANG; 0 with WNOHANG while a child runs", () => {
    expectPasses(function* () {
      yield* check((yield* sys.waitpid(-1, 0, 0)) === -Errno.ECHILD, 1);
      yield* check((yield* sys.waitpid(-1, 0, WaitOptions.WNOHANG)) === -Errno.ECHILD, 2);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* compute(30_000);
        return 0;
      }
      yield* check((yield* sys.waitpid(a + 1000, 0, 0)) === -Errno.ECHILD, 3);
      yield* check((yield* sys.waitpid(a, 0, WaitOptions.WNOHANG)) === 0, 4);
      yield* check((yield* sys.waitpid(a, 0, 0)) === a, 5);
      yield* check((yield* sys.waitpid(a, 0, 0)) === -Errno.ECHILD, 6); // reaped: gone
      return 0;
    });
  });

  it("waitpid(pid) waits for that child only; waitpid(-1) takes whichever has ended", () => {
    expectPasses(function* () {
      const slow = yield* sys.fork();
      if (slow === 0) {
        yield* compute(60_000);
        return 1;
      }
      const fast = yield* sys.fork();
      if (fast === 0) return 2;
      yield* compute(20_000); // fast is a zombie now, slow still runs
      const w = yield* libc.waitpid(slow);
      yield* check(w.pid === slow && WEXITSTATUS(w.status) === 1, 1);
      const v = yield* libc.waitpid(-1);
      yield* check(v.pid === fast && WEXITSTATUS(v.status) === 2, 2);
      return 0;
    });
  });

  it("a child stays a zombie until it is reaped: kill(zombie, 0) succeeds, after waitpid ESRCH", () => {
    const r = expectPasses(function* () {
      const a = yield* sys.fork();
      if (a === 0) return 0;
      yield* compute(30_000);
      yield* check((yield* sys.kill(a, 0)) === 0, 1);
      yield* check((yield* sys.kill(a, Sig.SIGTERM)) === 0, 2); // no effect on a zombie
      const w = yield* libc.waitpid(a);
      yield* check(WIFEXITED(w.status) && WEXITSTATUS(w.status) === 0, 3);
      yield* check((yield* sys.kill(a, 0)) === -Errno.ESRCH, 4);
      return 0;
    });
    expect(r.k.processes.size).toBe(1); // only pid 0 is left
  });

  it("the exit status keeps the low 8 bits of the code (exit(261) is 5, exit(-1) is 255)", () => {
    expectPasses(function* () {
      const a = yield* sys.fork();
      if (a === 0) yield* sys.exit_group(261);
      yield* check(WEXITSTATUS((yield* libc.waitpid(a)).status) === 5, 1);
      const b = yield* sys.fork();
      if (b === 0) yield* sys.exit_group(-1);
      yield* check(WEXITSTATUS((yield* libc.waitpid(b)).status) === 255, 2);
      return 0;
    });
  });

  it("getpid/getppid: the child's parent is the forker; an orphan's parent becomes init (1)", () => {
    expectPasses(function* () {
      const me = yield* sys.getpid();
      yield* check(me === 1 && (yield* sys.getppid()) === 0, 1);
      const a = yield* sys.fork();
      if (a === 0) {
        const ok = (yield* sys.getppid()) === me && (yield* sys.getpid()) !== me;
        return ok ? 0 : 1;
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(a)).status) === 0, 2);
      return 0;
    });
  });
});

describe("fork", () => {
  it("the child's pending signals are empty; its mask and dispositions are the parent's", () => {
    const r = expectPasses(function* (s) {
      const h = s.addressOf(function* () {
        yield* libc.write(1, `H${yield* sys.getpid()}\n`);
      });
      yield* sys.sigaction(Sig.SIGUSR1, h, 0, 0);
      yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGUSR1));
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1); // pending in the parent only
      const a = yield* sys.fork();
      if (a === 0) {
        const old = yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(Sig.SIGUSR1));
        yield* compute(1000);
        return old === bit(Sig.SIGUSR1) ? 0 : 1;
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(a)).status) === 0, 1);
      yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(Sig.SIGUSR1));
      return 0;
    });
    expect(r.console).toBe("H1\n");
  });

  it("descriptors are duplicated: the child closing its copy of a pipe end does not close the parent's", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.close(r);
        yield* sys.close(w);
        return 0;
      }
      yield* libc.waitpid(a);
      yield* check((yield* libc.write(w, "x")) === 1, 1);
      const got = yield* libc.read(r, 8);
      yield* check(got instanceof Uint8Array && got.length === 1, 2);
      return 0;
    });
  });
});

describe("exec", () => {
  const probe: ExecutableImage = {
    name: "probe",
    *main() {
      // sigaction returns the previous handler: SIG_IGN stays, a caught signal is back to SIG_DFL.
      if ((yield* sys.sigaction(Sig.SIGUSR1, 0, 0, 0)) !== SIG_IGN) return 1;
      if ((yield* sys.sigaction(Sig.SIGUSR2, 0, 0, 0)) !== 0) return 2;
      // The mask is kept, and so is the signal pending behind it.
      const mask = yield* sys.sigprocmask(SigHow.SIG_BLOCK, 0);
      if (mask !== bit(Sig.SIGTERM)) return 3;
      // fd 3 (a pipe end without FD_CLOEXEC) stays open.
      if ((yield* libc.write(4, "kept")) !== 4) return 4;
      yield* sys.sigprocmask(SigHow.SIG_UNBLOCK, bit(Sig.SIGTERM)); // the pending SIGTERM kills
      return 5;
    },
  };

  it("caught signals reset to SIG_DFL, ignored ones stay ignored; the mask, pending signals and descriptors stay", () => {
    expectPasses(
      function* (s) {
        const [r] = yield* libc.pipe();
        const a = yield* sys.fork();
        if (a === 0) {
          const h = s.addressOf(function* () {});
          yield* sys.sigaction(Sig.SIGUSR1, SIG_IGN, 0, 0);
          yield* sys.sigaction(Sig.SIGUSR2, h, 0, 0);
          yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGTERM));
          yield* sys.kill(yield* sys.getpid(), Sig.SIGTERM);
          yield* libc.execv("probe");
          return 99;
        }
        const w = yield* libc.waitpid(a);
        yield* check(WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGTERM, WEXITSTATUS(w.status));
        const got = yield* libc.read(r, 8);
        yield* check(got instanceof Uint8Array && new TextDecoder().decode(got) === "kept", 20);
        return 0;
      },
      [probe],
    );
  });
});

describe("posix_spawn", () => {
  const child: ExecutableImage = {
    name: "child",
    *main() {
      if ((yield* sys.sigaction(Sig.SIGUSR1, 0, 0, 0)) !== SIG_IGN) return 1; // ignored stays ignored
      if ((yield* sys.sigaction(Sig.SIGUSR2, 0, 0, 0)) !== 0) return 2; // caught is default
      if ((yield* sys.sigprocmask(SigHow.SIG_BLOCK, 0)) !== bit(Sig.SIGTERM)) return 3; // the mask
      const st = yield* libc.sbrk(256);
      if ((yield* sys.fstat(3, st)) !== 0) return 4; // a plain descriptor is inherited
      if ((yield* sys.fstat(4, st)) !== -Errno.EBADF) return 5; // an FD_CLOEXEC one is not
      return 0;
    },
  };

  it("the child keeps ignored signals ignored, resets caught ones, keeps the mask and the descriptors without FD_CLOEXEC", () => {
    const programs = new ProgramRegistry()
      .register({
        name: "init",
        *main(s) {
          const h = s.addressOf(function* () {});
          yield* sys.sigaction(Sig.SIGUSR1, SIG_IGN, 0, 0);
          yield* sys.sigaction(Sig.SIGUSR2, h, 0, 0);
          yield* sys.sigprocmask(SigHow.SIG_BLOCK, bit(Sig.SIGTERM));
          const pid = yield* libc.spawnv("child");
          return WEXITSTATUS((yield* libc.waitpid(pid)).status);
        },
      })
      .register(child);
    const k = new Kernel({ programs, paranoid: true });
    const init = k.boot("init");
    // fd 3 plain, fd 4 with FD_CLOEXEC (what open(O_CLOEXEC) would give).
    init.files.install(new OpenFile(new Console(), FileMode.READ_WRITE));
    init.files.install(new OpenFile(new Console(), FileMode.READ_WRITE), true);
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
    expect(k.resourceLeaks()).toEqual([]);
  });
});

describe("threads and the process", () => {
  const after: ExecutableImage = {
    name: "after",
    *main(s) {
      return s.argv[1] === String(yield* sys.getpid()) ? 6 : 7; // the same pid, one thread
    },
  };

  it("exec from a second thread ends the others (one blocked in a futex wait) and keeps the pid", () => {
    expectPasses(
      function* (s) {
        const a = yield* sys.fork();
        if (a === 0) {
          const word = yield* libc.mmapAnon(PAGE);
          const pid = yield* sys.getpid();
          const execer = s.addressOf(function* () {
            yield* compute(5000);
            yield* libc.execv("after", ["after", String(pid)]);
            return 99;
          });
          yield* sys.thread_create(execer, 0, 0, 0);
          yield* sys.futex(word, 0, 0, 0); // the main thread sleeps for good
          return 98;
        }
        const st = (yield* libc.waitpid(a)).status;
        yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 6, WEXITSTATUS(st));
        return 0;
      },
      [after],
    );
  });

  it("threads ending one by one with exit(2): the process's status is the main thread's value, not the last thread's", () => {
    // Linux: with no exit_group, wait reports the thread-group leader's exit code
    // (wait_task_zombie reads the leader's exit_code); the others' values are lost.
    expectPasses(function* (s) {
      const late = s.addressOf(function* () {
        yield* compute(20_000); // outlives the main thread
        yield* sys.exit(9);
        return 0;
      });
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.thread_create(late, 0, 0, 0);
        yield* sys.exit(5); // the main thread ends first; the process lives on
        return 0;
      }
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 5, WEXITSTATUS(st));
      return 0;
    });
  });

  it("exit_group from any thread ends the whole process with its status; a signal's default kills every thread", () => {
    expectPasses(function* (s) {
      const spin = s.addressOf(function* () {
        for (;;) yield* compute(1000);
      });
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.thread_create(spin, 0, 0, 0);
        const ender = s.addressOf(function* () {
          yield* compute(3000);
          yield* sys.exit_group(9);
          return 0;
        });
        yield* sys.thread_create(ender, 0, 0, 0);
        for (;;) yield* compute(1000);
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(a)).status) === 9, 1);
      const b = yield* sys.fork();
      if (b === 0) {
        yield* sys.thread_create(spin, 0, 0, 0);
        for (;;) yield* compute(1000);
      }
      yield* compute(5000);
      yield* sys.kill(b, Sig.SIGTERM);
      const st = (yield* libc.waitpid(b)).status;
      yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGTERM, 2);
      return 0;
    });
  });
});

describe("pipes and descriptors", () => {
  it("a blocked pipe write goes on when another thread closes its descriptor: the write holds the file, so the pipe keeps its writer", () => {
    // Linux's write holds the file (fdget) for the whole call, sleeps included: close(2) by
    // another thread removes the descriptor, not the open file; the write ends with every byte
    // and only then does the pipe lose its last writer (the reader's EOF). Before, the write went
    // on from the descriptor: EBADF after moving 4096 bytes, and EOF at once for the reader.
    expectPasses(function* (s) {
      const [rd, wr] = yield* libc.pipe();
      const word = yield* libc.mmapAnon(PAGE);
      const closer = s.addressOf(function* () {
        yield* compute(20_000); // the main thread has filled the pipe and waits for room
        yield* sys.close(wr);
        let total = 0;
        for (;;) {
          const c = yield* libc.read(rd, 4096);
          if (!(c instanceof Uint8Array) || c.length === 0) break;
          total += c.length;
        }
        yield* mem.store32(word, total);
        return 0;
      });
      yield* sys.thread_create(closer, 0, 0, 0);
      const n = yield* libc.write(wr, new Uint8Array(10_000).fill(7));
      yield* check(n === 10_000, 1);
      for (let i = 0; i < 50 && (yield* mem.load32(word)) === 0; i++) yield* compute(5_000);
      yield* check((yield* mem.load32(word)) === 10_000, 2);
      yield* check((yield* sys.write(wr, word, 4)) === -Errno.EBADF, 3);
      return 0;
    });
  });

  it("a blocked pipe read goes on when another thread closes its descriptor: the read holds the file, so the pipe keeps its reader", () => {
    // As for write (above): Linux's read holds the file across its sleep, so close(2) by another
    // thread leaves the read end open; a write then succeeds (no EPIPE, no SIGPIPE) and the
    // blocked read returns its bytes. Before, the read's retry looked the descriptor up again
    // (EBADF) and the close had taken the pipe's last reader, so the write got EPIPE.
    expectPasses(function* (s) {
      const [rd, wr] = yield* libc.pipe();
      const word = yield* libc.mmapAnon(PAGE);
      const reader = s.addressOf(function* () {
        const c = yield* libc.read(rd, 16);
        yield* mem.store32(word, c instanceof Uint8Array ? 100 + c.length : 1);
        return 0;
      });
      yield* sys.thread_create(reader, 0, 0, 0);
      yield* compute(20_000); // the reader is blocked on the empty pipe
      yield* check((yield* sys.close(rd)) === 0, 1);
      const n = yield* libc.write(wr, "held");
      yield* check(n === 4, 2); // the read end is still open: no EPIPE
      for (let i = 0; i < 50 && (yield* mem.load32(word)) === 0; i++) yield* compute(5_000);
      yield* check((yield* mem.load32(word)) === 104, 3);
      return 0;
    });
  });

  it("read gives end of file only when every write end is closed (a child's copy keeps the pipe open)", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      const a = yield* sys.fork();
      if (a === 0) {
        yield* sys.close(r);
        yield* compute(40_000); // holds its write end a while
        yield* libc.write(w, "late");
        return 0;
      }
      yield* sys.close(w);
      const got = yield* libc.read(r, 8);
      yield* check(got instanceof Uint8Array && new TextDecoder().decode(got) === "late", 1);
      const eof = yield* libc.read(r, 8);
      yield* check(eof instanceof Uint8Array && eof.length === 0, 2);
      yield* libc.waitpid(a);
      return 0;
    });
  });

  it("a write with no reader left raises SIGPIPE, whose default action kills without core", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      yield* sys.close(r);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* libc.write(w, "x");
        return 0;
      }
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGPIPE && !WCOREDUMP(st), 1);
      return 0;
    });
  });

  it("a write of 0 bytes to a pipe with no reader returns 0: no EPIPE, no SIGPIPE (Linux)", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      yield* sys.close(r);
      yield* check((yield* libc.write(w, new Uint8Array(0))) === 0, 1); // SIGPIPE would kill us
      yield* sys.sigaction(Sig.SIGPIPE, SIG_IGN, 0, 0);
      yield* check((yield* libc.write(w, "x")) === -Errno.EPIPE, 2);
      return 0;
    });
  });

  it("a read into a buffer the program cannot write is EFAULT and consumes nothing: the bytes are still there", () => {
    // Linux's pipe_read advances the pipe only by what copy_to_user managed; the bytes stay.
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe();
      yield* libc.write(w, "data");
      const ro = yield* libc.mmapAnon(PAGE, { prot: Prot.PROT_READ });
      yield* check((yield* sys.read(r, ro, 4)) === -Errno.EFAULT, 1);
      yield* check((yield* sys.read(r, 0x5555_0000, 4)) === -Errno.EFAULT, 2); // unmapped
      // A buffer with 2 writable bytes before a hole takes a short read of 2; the rest stays.
      const two = yield* libc.mmapAnon(2 * PAGE);
      yield* sys.munmap(two + PAGE, PAGE);
      yield* check((yield* sys.read(r, two + PAGE - 2, 4)) === 2, 3);
      yield* check((yield* mem.load16(two + PAGE - 2)) === 0x6164, 4); // "da", little-endian
      const got = yield* libc.read(r, 8);
      yield* check(got instanceof Uint8Array && new TextDecoder().decode(got) === "ta", 5);
      return 0;
    });
  });

  it("dup2: onto itself returns it; onto an open descriptor closes that first; clears FD_CLOEXEC; EBADF leaves newfd open", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe(); // 3, 4
      yield* check((yield* sys.dup2(w, w)) === w, 1);
      yield* check((yield* sys.dup2(9, r)) === -Errno.EBADF, 2); // oldfd closed: r stays open
      yield* check((yield* sys.dup2(w, 64)) === -Errno.EBADF && (yield* sys.dup2(w, -1)) === -Errno.EBADF, 3);
      yield* check((yield* sys.dup2(w, 10)) === 10, 4);
      yield* check((yield* libc.write(10, "via 10")) === 6, 5);
      const got = yield* libc.read(r, 16);
      yield* check(got instanceof Uint8Array && new TextDecoder().decode(got) === "via 10", 6);
      // dup2 of the write end onto the only read end closes it: now no reader is left.
      yield* sys.sigaction(Sig.SIGPIPE, SIG_IGN, 0, 0);
      yield* check((yield* sys.dup2(w, r)) === r, 7);
      yield* check((yield* libc.write(w, "x")) === -Errno.EPIPE, 8);
      yield* check(
        (yield* sys.close(10)) === 0 && (yield* sys.close(r)) === 0 && (yield* sys.close(w)) === 0,
        9,
      );
      return 0;
    });
  });

  it("FdTable.installAt, dup2's table step: a description moved onto its own slot is not released; FD_CLOEXEC is cleared", () => {
    const t = new FdTable();
    const f = new OpenFile(new Console(), FileMode.READ_WRITE);
    expect(t.install(f, true)).toBe(0);
    expect(t.installAt(0, f)).toBe(0);
    expect(f.released).toBe(false);
    expect(f.refs).toBe(1);
    expect(t.isCloseOnExec(0)).toBe(false);
    expect(t.installAt(MAX_FDS, f)).toBe(-1);
    expect(t.installAt(5, f)).toBe(5);
    expect(f.refs).toBe(2);
    checkFileInvariants([t]);
  });

  it("dup takes the lowest free descriptor; close of a bad or closed fd is EBADF", () => {
    expectPasses(function* () {
      const [r, w] = yield* libc.pipe(); // 3, 4
      yield* check(r === 3 && w === 4, 1);
      yield* check((yield* sys.close(1)) === 0, 2);
      yield* check((yield* sys.dup(w)) === 1, 3);
      yield* check((yield* sys.close(1)) === 0 && (yield* sys.close(1)) === -Errno.EBADF, 4);
      yield* check((yield* sys.close(63)) === -Errno.EBADF, 5);
      yield* check((yield* sys.close(-1)) === -Errno.EBADF, 6);
      yield* check((yield* sys.dup(40)) === -Errno.EBADF, 7);
      return 0;
    });
  });
});

describe("memory", () => {
  it("mmap, munmap and mprotect refuse misaligned addresses and bad lengths with EINVAL, unmapped ranges with ENOMEM", () => {
    expectPasses(function* () {
      const anon = MapFlags.MAP_ANONYMOUS | MapFlags.MAP_PRIVATE;
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      const va = yield* libc.mmapAnon(2 * PAGE);
      yield* check(va > 0 && va % PAGE === 0, 1);
      yield* check(
        (yield* sys.mmap(va + 1, PAGE, rw, anon | MapFlags.MAP_FIXED, -1, 0)) === -Errno.EINVAL,
        2,
      );
      yield* check((yield* sys.mmap(0, 0, rw, anon, -1, 0)) === -Errno.EINVAL, 3);
      yield* check((yield* sys.munmap(va + 1, PAGE)) === -Errno.EINVAL, 4);
      yield* check((yield* sys.munmap(va, 0)) === -Errno.EINVAL, 5);
      yield* check((yield* sys.mprotect(va + 8, PAGE, Prot.PROT_READ)) === -Errno.EINVAL, 6);
      yield* check((yield* sys.mprotect(va, 3 * PAGE, Prot.PROT_READ)) === -Errno.ENOMEM, 7);
      yield* check((yield* sys.mprotect(0x7000_0000, PAGE, Prot.PROT_READ)) === -Errno.ENOMEM, 8);
      return 0;
    });
  });

  it("mmap's hint is only a hint: any address is accepted (POSIX: EINVAL for addr only with MAP_FIXED), the range starts at the hint's page when free, else at the first free range above it", () => {
    expectPasses(function* () {
      const anon = MapFlags.MAP_ANONYMOUS | MapFlags.MAP_PRIVATE;
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      const h = yield* sys.mmap(0x4000_0123, PAGE, rw, anon, -1, 0);
      yield* check(h === 0x4000_1000, 1); // rounded up to a page, as Linux's PAGE_ALIGN(addr)
      const taken = yield* sys.mmap(0x4000_1000, 2 * PAGE, rw, anon, -1, 0);
      yield* check(taken === 0x4000_2000, 2); // the hint's page is taken: the next free range
      const none = yield* sys.mmap(0, PAGE, rw, anon, -1, 0);
      yield* check(none >= MMAP_BASE && none % PAGE === 0, 3); // no hint: above MMAP_BASE
      return 0;
    });
  });

  it("MAP_FIXED with a range the address space cannot hold is ENOMEM (POSIX mmap), not EINVAL", () => {
    expectPasses(function* () {
      const flags = MapFlags.MAP_ANONYMOUS | MapFlags.MAP_PRIVATE | MapFlags.MAP_FIXED;
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      const top = 2 ** 47 - PAGE; // the last page of user space: never mappable here (USER_END)
      yield* check((yield* sys.mmap(top, PAGE, rw, flags, -1, 0)) === -Errno.ENOMEM, 1);
      yield* check((yield* sys.mmap(top - PAGE, 2 * PAGE, rw, flags, -1, 0)) === -Errno.ENOMEM, 2);
      yield* check((yield* sys.mmap(0, PAGE, rw, flags, -1, 0)) === -Errno.ENOMEM, 3); // page 0 stays unmapped
      yield* check((yield* sys.mmap(top - PAGE, PAGE, rw, flags, -1, 0)) === top - PAGE, 4);
      // Past user space altogether, or "negative" (a huge uintptr_t): ENOMEM still, not EINVAL.
      yield* check((yield* sys.mmap(2 ** 47 + PAGE, PAGE, rw, flags, -1, 0)) === -Errno.ENOMEM, 5);
      yield* check((yield* sys.mmap(-PAGE, PAGE, rw, flags, -1, 0)) === -Errno.ENOMEM, 6);
      return 0;
    });
  });

  it("without MAP_FIXED an address outside user space is a hint the call ignores: the mapping goes elsewhere", () => {
    // POSIX mmap: without MAP_FIXED, addr is used "in an implementation-defined manner"; Linux
    // ignores a hint above TASK_SIZE and places the mapping as if there were none.
    expectPasses(function* () {
      const flags = MapFlags.MAP_ANONYMOUS | MapFlags.MAP_PRIVATE;
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      for (const [i, hint] of [2 ** 47 + PAGE, 2 ** 52, -PAGE].entries()) {
        const va = yield* sys.mmap(hint, PAGE, rw, flags, -1, 0);
        yield* check(va >= MMAP_BASE && va < 2 ** 47, 1 + i);
        yield* mem.store32(va, 7);
      }
      return 0;
    });
  });

  it("a store to a PROT_READ page and a load from a PROT_NONE page raise SIGSEGV", () => {
    expectPasses(function* () {
      for (const prot of [Prot.PROT_READ, 0]) {
        const va = yield* libc.mmapAnon(PAGE, { prot });
        const a = yield* sys.fork();
        if (a === 0) {
          if (prot === 0) yield* mem.load32(va);
          else yield* mem.store32(va, 1);
          return 0;
        }
        const st = (yield* libc.waitpid(a)).status;
        yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGSEGV, prot + 1);
      }
      return 0;
    });
  });

  it("brk(0) reports the break; shrinking gives the pages back (they fault); an impossible break leaves it", () => {
    expectPasses(function* () {
      const b0 = yield* sys.brk(0);
      yield* check((yield* sys.brk(b0 + 3 * PAGE)) === b0 + 3 * PAGE, 1);
      yield* mem.store32(b0 + 2 * PAGE, 7);
      yield* check((yield* sys.brk(b0 + PAGE)) === b0 + PAGE, 2);
      yield* check((yield* sys.brk(0)) === b0 + PAGE, 3);
      yield* check((yield* sys.brk(2 ** 46)) === b0 + PAGE, 4);
      const a = yield* sys.fork();
      if (a === 0) {
        yield* mem.load32(b0 + 2 * PAGE);
        return 0;
      }
      const st = (yield* libc.waitpid(a)).status;
      yield* check(WTERMSIG(st) === Sig.SIGSEGV, 5);
      return 0;
    });
  });

  it("bad pointers from user space give EFAULT, never a kernel exception", () => {
    expectPasses(function* () {
      const hole = 0x5555_0000;
      const [r, w] = yield* libc.pipe();
      yield* check((yield* sys.write(w, hole, 16)) === -Errno.EFAULT, 1);
      yield* libc.write(w, "abc");
      yield* check((yield* sys.read(r, hole, 3)) === -Errno.EFAULT, 2);
      yield* check((yield* sys.pipe(hole)) === -Errno.EFAULT, 3);
      yield* check((yield* sys.fstat(r, hole)) === -Errno.EFAULT, 4);
      yield* check((yield* sys.execve(hole, 0, 0)) === -Errno.EFAULT, 5);
      yield* check((yield* sys.sigaction(Sig.SIGUSR1, hole, 0, 0)) === -Errno.EFAULT, 6);
      yield* check((yield* sys.futex(hole, 0, 0, 0)) === -Errno.EFAULT, 7);
      yield* check((yield* sys.write(w, 0, 1)) === -Errno.EFAULT, 8);
      yield* check((yield* sys.read(r, 2 ** 47 - 1, 2)) === -Errno.EFAULT, 9);
      const a = yield* sys.fork();
      if (a === 0) return 0;
      yield* compute(10_000);
      yield* check((yield* sys.waitpid(a, hole, 0)) === -Errno.EFAULT, 10);
      return 0;
    });
  });
});

describe("determinism", () => {
  it("the same seed gives the same trace, event for event, on two CPUs", () => {
    const run = (seed: number): string => {
      const events: KernelEvent[] = [];
      const programs = new ProgramRegistry().register({
        name: "init",
        *main() {
          const [r, w] = yield* libc.pipe();
          for (let i = 0; i < 3; i++) {
            const a = yield* sys.fork();
            if (a === 0) {
              yield* compute(5000 * (i + 1));
              yield* libc.write(w, `${i}`);
              return i;
            }
          }
          yield* sys.close(w);
          for (;;) {
            const got = yield* libc.read(r, 1);
            if (!(got instanceof Uint8Array) || got.length === 0) break;
          }
          for (let i = 0; i < 3; i++) yield* libc.waitpid(-1);
          return 0;
        },
      });
      const k = new Kernel({ programs, cpus: 2, seed, tracer: { emit: (e) => events.push(e) } });
      k.boot("init");
      expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
      return JSON.stringify(events);
    };
    const a = run(7);
    expect(run(7)).toBe(a);
    expect(a.length).toBeGreaterThan(1000);
  });
});
