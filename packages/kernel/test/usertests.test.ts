// End-to-end scenarios in the spirit of xv6's usertests: each test boots a kernel with a small
// init program and checks what the programs observed, through exit statuses and the console.
// Run one alone: pnpm vitest run packages/kernel/test/usertests.test.ts -t "fork isolation"
import { describe, expect, it } from "vitest";
import {
  compute,
  Errno,
  type ExecutableImage,
  Kernel,
  libc,
  mem,
  ProgramRegistry,
  Prot,
  Sig,
  posixStubs as sys,
  WCOREDUMP,
  WEXITSTATUS,
  WIFCONTINUED,
  WIFEXITED,
  WIFSIGNALED,
  WIFSTOPPED,
  WSTOPSIG,
  WTERMSIG,
} from "../src/index.js";
import { boot, check } from "./boot-init.js";

const PAGE = 4096;

describe("exit and waitpid statuses", () => {
  it("waitpid reports exit codes, kills by signal and core dumps", () => {
    const { status, outcome } = boot(function* () {
      const a = yield* sys.fork();
      if (a === 0) return 7;
      let w = yield* libc.waitpid(a);
      yield* check(w.pid === a && WIFEXITED(w.status) && WEXITSTATUS(w.status) === 7, 1);
      const b = yield* sys.fork();
      if (b === 0) {
        for (;;) yield* compute(1000);
      }
      yield* sys.kill(b, Sig.SIGKILL);
      w = yield* libc.waitpid(b);
      yield* check(WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGKILL && !WCOREDUMP(w.status), 2);
      const c = yield* sys.fork();
      if (c === 0) {
        yield* mem.store32(0xdead_0000, 1); // unmapped: SIGSEGV, default action core
        return 0;
      }
      w = yield* libc.waitpid(c);
      yield* check(WTERMSIG(w.status) === Sig.SIGSEGV && WCOREDUMP(w.status), 3);
      yield* check((yield* sys.waitpid(-1, 0, 0)) === -Errno.ECHILD, 4);
      return 0;
    });
    expect(outcome).toBe("all-exited");
    expect(status).toBe(0);
  });

  it("WNOHANG returns 0 while the child runs", () => {
    const { status } = boot(function* () {
      const a = yield* sys.fork();
      if (a === 0) {
        yield* compute(50_000);
        return 3;
      }
      const w = yield* libc.waitpid(a, 1);
      yield* check(w.pid === 0, 1);
      const w2 = yield* libc.waitpid(a);
      return w2.pid === a ? WEXITSTATUS(w2.status) : 99;
    });
    expect(status >> 8).toBe(3);
  });
});

describe("fork", () => {
  it("fork isolation: parent and child write the same page, each sees its own", () => {
    const { status } = boot(function* () {
      const va = yield* libc.sbrk(PAGE);
      yield* mem.store32(va, 1);
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* mem.store32(va, 2);
        yield* compute(20_000);
        return (yield* mem.load32(va)) === 2 ? 0 : 1;
      }
      yield* mem.store32(va, 3);
      const w = yield* libc.waitpid(pid);
      yield* check(WEXITSTATUS(w.status) === 0, 1);
      return (yield* mem.load32(va)) === 3 ? 0 : 2;
    });
    expect(status).toBe(0);
  });

  it("the child continues from the fork with the parent's locals (replay)", () => {
    const { status } = boot(function* () {
      let acc = 0;
      for (let i = 0; i < 10; i++) acc += yield* sys.getpid();
      const pid = yield* sys.fork();
      if (pid === 0) return acc === 10 ? 0 : 1;
      return WEXITSTATUS((yield* libc.waitpid(pid)).status);
    });
    expect(status).toBe(0);
  });

  it("clone(fn, arg): a fork whose child starts at fn(arg), with a copy-on-write copy and no replay", () => {
    const { status } = boot(function* (s) {
      const va = yield* libc.sbrk(PAGE);
      yield* mem.store32(va, 5);
      const child = s.addressOf(function* (arg: number) {
        const v = yield* mem.load32(va); // the parent's value, through the COW copy
        yield* mem.store32(va, 99); // the child's own copy
        return v + arg;
      });
      const pid = yield* sys.clone(child, 2);
      const w = yield* libc.waitpid(pid);
      if (WEXITSTATUS(w.status) !== 7) return 1;
      return (yield* mem.load32(va)) === 5 ? 0 : 2;
    });
    expect(status).toBe(0);
  });

  it("a program that keeps state outside its locals makes the replay diverge: the child dies with a report", () => {
    let outside = 0; // JavaScript state the kernel cannot see: the replay runs with another value
    const { status, k } = boot(function* () {
      outside++;
      if (outside === 1) yield* sys.getpid();
      const pid = yield* sys.fork();
      if (pid === 0) return 0;
      return WTERMSIG((yield* libc.waitpid(pid)).status) === Sig.SIGILL ? 0 : 1;
    });
    expect(status).toBe(0);
    expect(k.crashes[0]?.message).toContain("fork replay diverged");
  });

  it("MAP_SHARED across fork: the child's writes reach the parent, MAP_PRIVATE ones do not", () => {
    const { status } = boot(function* () {
      const shared = yield* libc.mmapAnon(PAGE, { shared: true });
      const priv = yield* libc.mmapAnon(PAGE);
      yield* mem.store32(shared, 5);
      yield* mem.store32(priv, 5);
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* mem.store32(shared, 42);
        yield* mem.store32(priv, 42);
        return 0;
      }
      yield* libc.waitpid(pid);
      yield* check((yield* mem.load32(shared)) === 42, 1);
      yield* check((yield* mem.load32(priv)) === 5, 2);
      return 0;
    });
    expect(status).toBe(0);
  });
});

describe("mmap, munmap, mprotect", () => {
  it("munmap in the middle splits the mapping and the hole faults with SIGSEGV", () => {
    const { status } = boot(function* () {
      const va = yield* libc.mmapAnon(3 * PAGE);
      for (let i = 0; i < 3; i++) yield* mem.store32(va + i * PAGE, i + 1);
      yield* check((yield* sys.munmap(va + PAGE, PAGE)) === 0, 1);
      yield* check((yield* mem.load32(va)) === 1 && (yield* mem.load32(va + 2 * PAGE)) === 3, 2);
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* mem.load32(va + PAGE);
        return 0;
      }
      const w = yield* libc.waitpid(pid);
      return WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 3;
    });
    expect(status).toBe(0);
  });

  it("mprotect read-only then write raises SIGSEGV, reads still work", () => {
    const { status } = boot(function* () {
      const va = yield* libc.mmapAnon(PAGE);
      yield* mem.store32(va, 9);
      yield* check((yield* sys.mprotect(va, PAGE, Prot.PROT_READ)) === 0, 1);
      yield* check((yield* mem.load32(va)) === 9, 2);
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* mem.store32(va, 1);
        return 0;
      }
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 3;
    });
    expect(status).toBe(0);
  });

  it("a thread stack with a PROT_NONE guard page: running off the end faults with SIGSEGV", () => {
    const { status } = boot(function* () {
      const stack = yield* libc.mmapAnon(5 * PAGE);
      yield* sys.mprotect(stack, PAGE, 0); // the guard, below the stack as pthread stacks have it
      const pid = yield* sys.fork();
      if (pid === 0) {
        // "Recursion": push words downwards from the top until something stops us.
        for (let sp = stack + 5 * PAGE - 8; ; sp -= 8) yield* mem.store64(sp, BigInt(sp));
      }
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 1;
    });
    expect(status).toBe(0);
  });

  it("MAP_FIXED replaces what was mapped with fresh zero pages", () => {
    const { status } = boot(function* () {
      const va = yield* libc.mmapAnon(2 * PAGE);
      yield* mem.store32(va + PAGE, 77);
      const again = yield* libc.mmapAnon(PAGE, { at: va + PAGE, fixed: true });
      yield* check(again === va + PAGE, 1);
      return (yield* mem.load32(va + PAGE)) === 0 ? 0 : 2;
    });
    expect(status).toBe(0);
  });

  it("brk grows the heap and bad arguments are refused with errno", () => {
    const { status } = boot(function* () {
      const a = yield* libc.sbrk(10 * PAGE);
      yield* mem.store32(a + 9 * PAGE, 1);
      yield* check((yield* sys.write(1, 0xdead_0000, 10)) === -Errno.EFAULT, 1);
      yield* check((yield* sys.write(55, a, 1)) === -Errno.EBADF, 2);
      yield* check((yield* sys.mmap(0, 0, 3, 0x22, -1, 0)) === -Errno.EINVAL, 3);
      yield* check((yield* sys.munmap(a + 1, PAGE)) === -Errno.EINVAL, 4);
      return 0;
    });
    expect(status).toBe(0);
  });
});

describe("exec and spawn", () => {
  const echo: ExecutableImage = {
    name: "echo",
    *main(s) {
      yield* libc.write(1, `${s.argv.slice(1).join(" ")}\n`);
      return s.argv.length;
    },
  };

  it("exec replaces the image and keeps the pid; the parent sees the new program's status", () => {
    const { status, console } = boot(
      function* () {
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* libc.execv("echo", ["echo", "hello", "world"]);
          return 99;
        }
        return WEXITSTATUS((yield* libc.waitpid(pid)).status);
      },
      [echo],
    );
    expect(console).toBe("hello world\n");
    expect(status >> 8).toBe(3);
  });

  it("exec of a missing program returns ENOENT", () => {
    const { status } = boot(function* () {
      return (yield* libc.execv("nope")) === -Errno.ENOENT ? 0 : 1;
    });
    expect(status).toBe(0);
  });

  it("posix_spawn starts a child from scratch", () => {
    const { status, console } = boot(
      function* () {
        const pid = yield* libc.spawnv("echo", ["echo", "spawned"]);
        return WEXITSTATUS((yield* libc.waitpid(pid)).status);
      },
      [echo],
    );
    expect(console).toBe("spawned\n");
    expect(status >> 8).toBe(2);
  });
});

describe("pipes and descriptors", () => {
  it("a pipe carries bytes from child to parent; EOF when the writer closes", () => {
    const { status } = boot(function* () {
      const [r, w] = yield* libc.pipe();
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* sys.close(r);
        yield* libc.write(w, "ping");
        return 0;
      }
      yield* sys.close(w);
      const got = yield* libc.read(r, 16);
      yield* check(got instanceof Uint8Array && new TextDecoder().decode(got) === "ping", 1);
      const eof = yield* libc.read(r, 16);
      yield* check(eof instanceof Uint8Array && eof.length === 0, 2);
      yield* libc.waitpid(pid);
      return 0;
    });
    expect(status).toBe(0);
  });

  it("a blocking write larger than the pipe completes whole; writes of at most PIPE_BUF never interleave", () => {
    const { status } = boot(function* () {
      const [r, w] = yield* libc.pipe();
      const writers: number[] = [];
      for (const b of [0x11, 0x22]) {
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* sys.close(r);
          const n = yield* libc.write(w, new Uint8Array(3000).fill(b)); // ≤ PIPE_BUF: atomic
          const m = yield* libc.write(w, new Uint8Array(10_000).fill(b + 1)); // > buffer: blocks, completes
          return n === 3000 && m === 10_000 ? 0 : 1;
        }
        writers.push(pid);
      }
      yield* sys.close(w);
      const got: number[] = [];
      for (;;) {
        const chunk = yield* libc.read(r, 4096);
        if (!(chunk instanceof Uint8Array) || chunk.length === 0) break;
        got.push(...chunk);
      }
      for (const pid of writers) if (WEXITSTATUS((yield* libc.waitpid(pid)).status) !== 0) return 1;
      if (got.length !== 26_000) return 2;
      // Each 3000-byte write arrived in one piece.
      for (const b of [0x11, 0x22]) {
        const first = got.indexOf(b);
        if (got.slice(first, first + 3000).some((x) => x !== b)) return 3;
      }
      return 0;
    });
    expect(status).toBe(0);
  });

  it("a handler (SA_RESTART) that writes while a long pipe write is blocked: the write returns its count so far, and looping on it delivers every byte once", () => {
    // POSIX write(): a signal after some data was written ends the call with that count, SA_RESTART
    // or not; a program that must write everything loops, as every careful writer does.
    const { status, console } = boot(function* (s) {
      const [r, w] = yield* libc.pipe();
      const pid = yield* sys.fork();
      if (pid === 0) {
        const h = s.addressOf(function* () {
          yield* libc.write(1, "h");
        });
        yield* sys.sigaction(Sig.SIGUSR1, h, 0, 0x1000_0000); // SA_RESTART
        const data = new Uint8Array(10_000).fill(7);
        const first = yield* libc.write(w, data);
        if (first <= 0 || first >= 10_000) return 1; // interrupted after the first 4096 bytes
        let sent = first;
        while (sent < 10_000) {
          const n = yield* libc.write(w, data.subarray(sent));
          if (n <= 0) return 4;
          sent += n;
        }
        return 0;
      }
      yield* compute(30_000); // the child fills the pipe and blocks
      yield* sys.kill(pid, Sig.SIGUSR1);
      yield* compute(30_000);
      let total = 0;
      while (total < 10_000) {
        const c = yield* libc.read(r, 4096);
        if (!(c instanceof Uint8Array) || c.length === 0 || c.some((x) => x !== 7)) return 2;
        total += c.length;
      }
      return WEXITSTATUS((yield* libc.waitpid(pid)).status) === 0 && total === 10_000 ? 0 : 3;
    });
    expect(status).toBe(0);
    expect(console).toBe("h");
  });

  it("writing to a pipe with no reader gives EPIPE (SIGPIPE ignored)", () => {
    const { status } = boot(function* () {
      yield* sys.sigaction(Sig.SIGPIPE, 1, 0, 0);
      const [r, w] = yield* libc.pipe();
      yield* sys.close(r);
      return (yield* libc.write(w, "x")) === -Errno.EPIPE ? 0 : 1;
    });
    expect(status).toBe(0);
  });
});

describe("signals", () => {
  it("a handler runs for SIGUSR1, then the interrupted code continues", () => {
    const { status, console } = boot(function* (s) {
      const onUsr1 = s.addressOf(function* (sig: number) {
        yield* libc.write(1, `got ${sig}\n`);
      });
      yield* sys.sigaction(Sig.SIGUSR1, onUsr1, 0, 0);
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
      yield* libc.write(1, "after\n");
      return 0;
    });
    expect(console).toBe("got 10\nafter\n");
    expect(status).toBe(0);
  });

  it("a SIGSEGV handler can fix the mapping; the faulting store is retried", () => {
    const { status } = boot(function* (s) {
      const va = yield* libc.mmapAnon(PAGE);
      yield* sys.mprotect(va, PAGE, Prot.PROT_READ);
      const fix = s.addressOf(function* () {
        yield* sys.mprotect(va, PAGE, Prot.PROT_READ | Prot.PROT_WRITE);
      });
      yield* sys.sigaction(Sig.SIGSEGV, fix, 0, 0);
      yield* mem.store32(va, 1234);
      return (yield* mem.load32(va)) === 1234 ? 0 : 1;
    });
    expect(status).toBe(0);
  });

  it("the parent gets SIGCHLD and a blocked signal stays pending until unblocked", () => {
    const { console, status } = boot(function* (s) {
      const onChld = s.addressOf(function* () {
        yield* libc.write(1, "chld\n");
      });
      yield* sys.sigaction(Sig.SIGCHLD, onChld, 0, 0);
      yield* sys.sigprocmask(0, 1 << Sig.SIGCHLD);
      const pid = yield* sys.fork();
      if (pid === 0) return 0;
      yield* compute(50_000);
      yield* libc.write(1, "unblock\n");
      yield* sys.sigprocmask(1, 1 << Sig.SIGCHLD);
      yield* libc.waitpid(pid);
      return 0;
    });
    expect(console).toBe("unblock\nchld\n");
    expect(status).toBe(0);
  });

  it("a signal interrupts a blocked waitpid with EINTR", () => {
    const { status } = boot(function* (s) {
      const h = s.addressOf(function* () {});
      yield* sys.sigaction(Sig.SIGUSR2, h, 0, 0);
      const parent = yield* sys.getpid();
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(10_000);
        yield* sys.kill(parent, Sig.SIGUSR2);
        yield* compute(10_000);
        return 0;
      }
      const r = yield* sys.waitpid(pid, 0, 0);
      yield* check(r === -Errno.EINTR, 1);
      yield* libc.waitpid(pid);
      return 0;
    });
    expect(status).toBe(0);
  });
});

describe("job control", () => {
  it("SIGSTOP freezes a process (blocked threads too), SIGCONT resumes it, SIGKILL ends it stopped or not", () => {
    const { status, k } = boot(
      function* () {
        const counter = yield* libc.mmapAnon(PAGE, { shared: true });
        const pid = yield* sys.fork();
        if (pid === 0) {
          for (let i = 1; ; i++) {
            yield* mem.store32(counter, i);
            yield* compute(2000);
          }
        }
        yield* compute(30_000);
        yield* sys.kill(pid, Sig.SIGSTOP);
        yield* compute(1000);
        const a = yield* mem.load32(counter);
        yield* compute(50_000);
        const b = yield* mem.load32(counter);
        yield* sys.kill(pid, Sig.SIGCONT);
        yield* compute(50_000);
        const c = yield* mem.load32(counter);
        yield* sys.kill(pid, Sig.SIGSTOP);
        yield* sys.kill(pid, Sig.SIGKILL); // kills a stopped process
        const w = yield* libc.waitpid(pid);
        if (!(a > 0 && a === b && c > b)) return 1;
        return WTERMSIG(w.status) === Sig.SIGKILL ? 0 : 2;
      },
      [],
      { cpus: 2 },
    );
    expect(status).toBe(0);
    expect(k.crashes).toEqual([]);
  });
});

describe("job control reports", () => {
  it("waitpid(WUNTRACED) reports a stop once, waitpid(WCONTINUED) a continue once, without reaping", () => {
    const { status } = boot(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        for (;;) yield* compute(1000);
      }
      yield* sys.kill(pid, Sig.SIGSTOP);
      let w = yield* libc.waitpid(pid, 2); // WUNTRACED
      if (w.pid !== pid || !WIFSTOPPED(w.status) || WSTOPSIG(w.status) !== Sig.SIGSTOP) return 1;
      if ((yield* libc.waitpid(pid, 2 | 1)).pid !== 0) return 2; // reported once: nothing new
      yield* sys.kill(pid, Sig.SIGCONT);
      w = yield* libc.waitpid(pid, 8); // WCONTINUED
      if (w.pid !== pid || !WIFCONTINUED(w.status)) return 3;
      yield* sys.kill(pid, Sig.SIGTERM);
      w = yield* libc.waitpid(pid);
      return WIFSIGNALED(w.status) && !WIFSTOPPED(w.status) && WTERMSIG(w.status) === Sig.SIGTERM ? 0 : 4;
    });
    expect(status).toBe(0);
  });
});

describe("process tree", () => {
  it("orphans are re-parented to init, which reaps them", () => {
    const { status } = boot(function* () {
      const a = yield* sys.fork();
      if (a === 0) {
        const b = yield* sys.fork();
        if (b === 0) {
          yield* compute(30_000);
          return (yield* sys.getppid()) === 1 ? 5 : 6;
        }
        return 0;
      }
      yield* libc.waitpid(a);
      const w = yield* libc.waitpid(-1);
      return WEXITSTATUS(w.status);
    });
    expect(status >> 8).toBe(5);
  });

  it("a program that throws is killed like a crash; the rest keeps running", () => {
    const { status, k } = boot(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(10);
        throw new TypeError("undefined is not a function");
      }
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 1;
    });
    expect(status).toBe(0);
    expect(k.crashes).toHaveLength(1);
    expect(k.crashes[0]!.message).toContain("undefined is not a function");
  });
});

describe("threads and futexes", () => {
  it("thread_create runs a start routine; its exit clears the tid word and wakes a futex waiter", () => {
    const { status } = boot(function* (s) {
      const word = yield* libc.sbrk(8);
      const counter = word + 4;
      const body = s.addressOf(function* (arg: number) {
        yield* compute(5000);
        yield* mem.store32(counter, arg);
        return 0;
      });
      const tid = yield* sys.thread_create(body, 41, 0, word);
      yield* check(tid > 0, 1);
      // pthread_join: wait while the tid word is non-zero.
      for (;;) {
        const v = yield* mem.load32(word);
        if (v === 0) break;
        yield* sys.futex(word, 0, v, 0);
      }
      return (yield* mem.load32(counter)) === 41 ? 0 : 2;
    });
    expect(status).toBe(0);
  });
});

describe("regressions found by the grinder", () => {
  it("thread_create with a misaligned tid pointer is EINVAL (its exit would futex-wake a misaligned word)", () => {
    const { status } = boot(function* (s) {
      const word = yield* libc.sbrk(8);
      // biome-ignore lint/correctness/useYield: a thread body that returns at once is still user code
      const body = s.addressOf(function* () {
        return 0;
      });
      return (yield* sys.thread_create(body, 0, 0, word + 1)) === -Errno.EINVAL ? 0 : 1;
    });
    expect(status).toBe(0);
  });
});

describe("resources", () => {
  it("when every process has exited, every frame, object and handle is free again", () => {
    const { k } = boot(function* () {
      const va = yield* libc.mmapAnon(4 * PAGE, { shared: true });
      yield* mem.store32(va, 1);
      for (let i = 0; i < 3; i++) {
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* mem.store32(va + PAGE, i);
          yield* libc.pipe();
          return 0;
        }
      }
      for (let i = 0; i < 3; i++) yield* libc.waitpid(-1);
      return 0;
    });
    k.checkInvariants();
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("threads that were created, exited and joined leave no scheduler record behind (release_task)", () => {
    const { status, k } = boot(function* (s) {
      const word = yield* libc.sbrk(4);
      // biome-ignore lint/correctness/useYield: a thread body that returns at once is still user code
      const body = s.addressOf(function* () {
        return 0;
      });
      for (let i = 0; i < 20; i++) {
        if ((yield* sys.thread_create(body, i, 0, word)) <= 0) return 1;
        for (let v = yield* mem.load32(word); v !== 0; v = yield* mem.load32(word))
          yield* sys.futex(word, 0, v, 0);
      }
      return 0;
    });
    expect(status).toBe(0);
    expect(k.sched.threadIds()).toEqual([0]); // the idle task only
    expect(k.resourceLeaks()).toEqual([]);
  });
});

describe("time", () => {
  it("nanosleep sleeps at least the time asked; a futex wait with a timeout ends in ETIMEDOUT", () => {
    const { status, k } = boot(function* () {
      const word = yield* libc.sbrk(8);
      yield* sys.nanosleep(50_000);
      const r = yield* sys.futex(word, 0, 0, 20_000);
      return r === -Errno.ETIMEDOUT ? 0 : 1;
    });
    expect(status).toBe(0);
    expect(k.now).toBeGreaterThanOrEqual(70_000);
  });

  it("tickless idle: a 2^40-cycle sleep takes a handful of timer interrupts, not a billion (grinder regression)", () => {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        return (yield* sys.nanosleep(2 ** 40)) === 0 ? 0 : 1;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel[0]?.status).toBe(0);
    expect(k.now).toBeGreaterThanOrEqual(2 ** 40);
    expect(k.cpus[0]!.timer.expirations).toBeLessThan(100);
  });

  it("a signal interrupts nanosleep with EINTR", () => {
    const { status } = boot(function* (s) {
      yield* sys.sigaction(
        Sig.SIGUSR1,
        s.addressOf(function* () {}),
        0,
        0,
      );
      const parent = yield* sys.getpid();
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(5000);
        yield* sys.kill(parent, Sig.SIGUSR1);
        return 0;
      }
      const r = yield* sys.nanosleep(10_000_000);
      yield* libc.waitpid(pid);
      return r === -Errno.EINTR ? 0 : 1;
    });
    expect(status).toBe(0);
  });
});

describe("atomics", () => {
  it("xadd from threads on two CPUs loses no increment; cas32 and xchg32 return the old value", () => {
    const N = 200;
    const programs = new ProgramRegistry().register({
      name: "init",
      *main(s) {
        const page = yield* libc.mmapAnon(4096);
        const counter = page;
        const tids = [page + 8, page + 12, page + 16];
        const body = s.addressOf(function* () {
          for (let i = 0; i < N; i++) {
            yield* mem.xadd32(counter, 1);
            yield* compute(37);
          }
          return 0;
        });
        for (const w of tids) yield* sys.thread_create(body, 0, 0, w);
        for (const w of tids) {
          for (let v = yield* mem.load32(w); v !== 0; v = yield* mem.load32(w)) yield* sys.futex(w, 0, v, 0);
        }
        if ((yield* mem.load32(counter)) !== 3 * N) return 1;
        if ((yield* mem.cas32(counter, 5, 9)) !== 3 * N) return 2; // compare fails: unchanged
        if ((yield* mem.cas32(counter, 3 * N, 9)) !== 3 * N || (yield* mem.load32(counter)) !== 9) return 3;
        if ((yield* mem.xchg32(counter, -1)) !== 9 || (yield* mem.load32(counter)) !== 0xffffffff) return 4;
        const t1 = yield* sys.clock_gettime(1);
        yield* compute(1000);
        return (yield* sys.clock_gettime(1)) >= t1 + 1000 ? 0 : 5;
      },
    });
    const k = new Kernel({ programs, cpus: 2, paranoid: true });
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel[0]?.status).toBe(0);
  });

  it("a misaligned atomic is a split lock: SIGBUS", () => {
    const { status } = boot(function* () {
      const va = yield* libc.sbrk(8);
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* mem.xadd32(va + 2, 1);
        return 0;
      }
      return WTERMSIG((yield* libc.waitpid(pid)).status) === Sig.SIGBUS ? 0 : 1;
    });
    expect(status).toBe(0);
  });
});

describe("out of memory", () => {
  it("touching more pages than the machine has kills the toucher with SIGKILL; the rest is intact", () => {
    const { status, k } = boot(
      function* () {
        const pid = yield* sys.fork();
        if (pid === 0) {
          const va = yield* libc.mmapAnon(4096 * PAGE);
          for (let i = 0; i < 4096; i++) yield* mem.store8(va + i * PAGE, 1);
          return 0;
        }
        const w = yield* libc.waitpid(pid);
        return WTERMSIG(w.status) === Sig.SIGKILL ? 0 : 1;
      },
      [],
      { memoryFrames: 512 },
    );
    expect(status).toBe(0);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("forking until memory or the process limit runs out gives ENOMEM / EAGAIN, never an exception", () => {
    const { status, k } = boot(
      function* () {
        const errors = new Set<number>();
        let n = 0;
        for (let i = 0; i < 200; i++) {
          const pid = yield* sys.fork();
          if (pid === 0) {
            yield* sys.nanosleep(10_000_000); // stay alive, holding memory
            return 0;
          }
          if (pid < 0) errors.add(pid);
          else n++;
        }
        // Only refusals that fork may give; at least one child made it.
        for (const e of errors) if (e !== -Errno.ENOMEM && e !== -Errno.EAGAIN) return 1;
        return n > 0 && errors.size > 0 ? 0 : 2;
      },
      [],
      { memoryFrames: 512, maxProcesses: 512 },
    );
    expect(status).toBe(0);
    k.shutdown();
    k.run();
    expect(k.resourceLeaks()).toEqual([]);
  });
});
