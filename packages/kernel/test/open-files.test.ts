// Open file descriptions as an extension point (Linux's struct file + file_operations): a file
// kind of the test's own is installed in init's descriptor table, and programs observe, through a
// second "probe" file whose read reports the release count, that the description is released
// exactly once and at the moment its last descriptor goes — by close, dup'd copies, fork + exit,
// a kill, or exec of an FD_CLOEXEC descriptor. Also: fstat and lseek reach the operations.
// Run one alone: pnpm vitest run packages/kernel/test/open-files.test.ts -t "exec"
import { describe, expect, it } from "vitest";
import {
  compute,
  Errno,
  type ExecutableImage,
  FcntlCmd,
  FD_CLOEXEC,
  FileContractError,
  FileMode,
  type FileOperations,
  type FileStat,
  FileType,
  Kernel,
  libc,
  mem,
  OpenFile,
  ProgramRegistry,
  Sig,
  STAT_BYTES,
  StatusFlags,
  posixStubs as sys,
  type UserCode,
  type Waiter,
  WaitOptions,
  WEXITSTATUS,
  Whence,
  WIFEXITED,
} from "../src/index.js";

/** A seekable file of the test's own that counts its releases. */
class Counted implements FileOperations {
  readonly kind = "counted";
  releases = 0;
  pos = 0;
  /** The status flags each write was told (`write`'s second argument), in order. */
  readonly toldFlags: number[] = [];
  read = (): Uint8Array => new Uint8Array(0);
  write = (b: Uint8Array, flags: number): number => {
    this.toldFlags.push(flags);
    return b.length;
  };
  lseek(offset: number, whence: number): number {
    const next = (whence === Whence.SEEK_SET ? 0 : whence === Whence.SEEK_CUR ? this.pos : 5000) + offset;
    if (next < 0) return -Errno.EINVAL;
    this.pos = next;
    return next;
  }
  stat = (): FileStat => ({ mode: FileType.S_IFREG | 0o644, size: 5000, ino: 42, nlink: 1 });
  release(): void {
    this.releases++;
  }
}

/** Reads one byte: how many times `of` has been released so far. */
class Probe implements FileOperations {
  readonly kind = "probe";
  constructor(readonly of: Counted) {}
  read = (): Uint8Array => Uint8Array.of(this.of.releases);
  write = (): number => -Errno.EBADF;
  stat = (): FileStat => ({ mode: FileType.S_IFCHR, size: 0, ino: 0, nlink: 1 });
}

const A = 3; // the counted file
const PROBE = 4;

function* released(): UserCode<number> {
  const b = yield* libc.read(PROBE, 1);
  return typeof b === "number" ? -1 : b[0]!;
}

/** Assert inside a program: exit with a distinctive code when false. */
function* check(cond: boolean, code: number): UserCode<void> {
  if (!cond) yield* sys.exit_group(100 + code);
}

/** Boot `init` with fd 3 = a counted file (FD_CLOEXEC if asked) and fd 4 = its probe; run to the end. */
function boot(init: () => UserCode<number>, extra: ExecutableImage[] = [], cloexec = false, flags = 0) {
  const programs = new ProgramRegistry().register({ name: "init", main: init });
  for (const e of extra) programs.register(e);
  const k = new Kernel({ programs, paranoid: true });
  const p = k.boot("init");
  const counted = new Counted();
  expect(p.files.install(new OpenFile(counted, FileMode.READ_WRITE, flags), cloexec)).toBe(A);
  expect(p.files.install(new OpenFile(new Probe(counted), FileMode.READ))).toBe(PROBE);
  const r = k.run({ maxCycles: 5e8 });
  const reaped = k.life.reapedByKernel.find((x) => x.pid === p.pid);
  return { k, counted, outcome: r.outcome, status: reaped?.status ?? -1 };
}

describe("last close releases an open file exactly once", () => {
  it("dup'd copies: released at the close of the last one, not before", () => {
    const { status, counted, k } = boot(function* () {
      const b = yield* sys.dup(A);
      const c = yield* sys.dup(b);
      yield* sys.close(A);
      yield* sys.close(c);
      yield* check((yield* released()) === 0, 1);
      yield* sys.close(b);
      yield* check((yield* released()) === 1, 2);
      yield* check((yield* sys.close(b)) === -Errno.EBADF, 3);
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("fork: the child's exit drops the last reference and releases at once", () => {
    const { status, counted } = boot(function* () {
      const [r, w] = yield* libc.pipe();
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* sys.close(w);
        yield* libc.read(r, 1); // until the parent says go (EOF)
        return 0; // exit with fd 3 still open
      }
      yield* sys.close(A);
      yield* check((yield* released()) === 0, 1); // the child still holds it
      yield* sys.close(w); // go
      yield* libc.waitpid(pid);
      yield* check((yield* released()) === 1, 2);
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
  });

  it("a child killed while it blocks releases its copies once; the parent's close does the rest", () => {
    const { status, counted } = boot(function* () {
      const [r, w] = yield* libc.pipe();
      const kids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* sys.dup(A); // two references in this child
          yield* libc.read(r, 1); // blocks forever: nobody writes
          return 1;
        }
        kids.push(pid);
      }
      for (const pid of kids) {
        yield* compute(20_000);
        yield* sys.kill(pid, Sig.SIGKILL);
        yield* libc.waitpid(pid);
      }
      yield* check((yield* released()) === 0, 1);
      yield* sys.close(A);
      yield* check((yield* released()) === 1, 2);
      yield* sys.close(w);
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
  });

  it("exec closes FD_CLOEXEC descriptors (a dup'd copy has the flag clear and survives)", () => {
    const after: ExecutableImage = {
      name: "after",
      *main() {
        const buf = yield* libc.sbrk(STAT_BYTES);
        yield* check((yield* sys.fstat(A, buf)) === -Errno.EBADF, 1); // fd 3 went with the exec
        yield* check((yield* released()) === 0, 2); // fd 5 still holds the description
        yield* sys.close(5);
        yield* check((yield* released()) === 1, 3);
        return 0;
      },
    };
    const { status, counted } = boot(
      function* () {
        yield* check((yield* sys.dup(A)) === 5, 4);
        yield* libc.execv("after");
        return 99;
      },
      [after],
      true,
    );
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
  });

  it("init's exit releases whatever it still holds", () => {
    const { status, counted } = boot(function* () {
      yield* sys.dup(A);
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
  });
});

describe("the operations behind a descriptor", () => {
  it("fstat writes the file's stat into a Linux struct stat; lseek reaches the file or says ESPIPE", () => {
    const { status } = boot(function* () {
      const buf = yield* libc.sbrk(STAT_BYTES);
      yield* check((yield* sys.fstat(A, buf)) === 0, 1);
      yield* check((yield* mem.load32(buf + 8)) === 42, 2); // st_ino
      yield* check((yield* mem.load32(buf + 24)) === (FileType.S_IFREG | 0o644), 3); // st_mode
      yield* check((yield* mem.load32(buf + 48)) === 5000, 4); // st_size
      yield* check((yield* mem.load32(buf + 64)) === 16, 5); // st_blocks: 2 pages of 8 sectors
      yield* check((yield* sys.lseek(A, 10, Whence.SEEK_END)) === 5010, 6);
      yield* check((yield* sys.lseek(A, -20_000, Whence.SEEK_CUR)) === -Errno.EINVAL, 7);
      const [r] = yield* libc.pipe();
      yield* check((yield* sys.lseek(r, 0, Whence.SEEK_SET)) === -Errno.ESPIPE, 8);
      yield* check((yield* sys.fstat(r, buf)) === 0, 9);
      yield* check(((yield* mem.load32(buf + 24)) & 0o170000) === FileType.S_IFIFO, 10);
      yield* check((yield* sys.write(PROBE, buf, 1)) === -Errno.EBADF, 11); // opened read-only
      yield* check((yield* sys.fstat(A, 0x10)) === -Errno.EFAULT, 12);
      return 0;
    });
    expect(status).toBe(0);
  });

  it("a host that installs a description it never hands out can still drop it (refs stay exact)", () => {
    const f = new OpenFile(new Counted(), FileMode.READ);
    expect(() => f.put()).toThrow(/refs is 0/);
    f.get();
    f.put();
    expect(f.released).toBe(true);
    expect(() => f.get()).toThrow(/already released/);
    expect((f.ops as Counted).releases).toBe(1);
  });
});

describe("status flags belong to the open file description (POSIX XBD 3.258, fcntl)", () => {
  const { O_APPEND, O_NONBLOCK } = StatusFlags;

  it("each write tells the file the description's flags of the moment; F_SETFL through one descriptor changes them for its dups and a forked child", () => {
    const { status, counted } = boot(
      function* () {
        yield* libc.write(A, "a"); // told O_APPEND: the description was opened with it
        yield* check((yield* sys.fcntl(A, FcntlCmd.F_GETFL, 0)) === (2 | O_APPEND), 1); // O_RDWR | O_APPEND
        const d = yield* sys.dup(A);
        yield* check((yield* sys.fcntl(d, FcntlCmd.F_SETFL, 0)) === 0, 2);
        yield* libc.write(A, "b"); // cleared through the dup: no O_APPEND
        const c = yield* sys.fork();
        if (c === 0) {
          yield* sys.fcntl(A, FcntlCmd.F_SETFL, O_APPEND | O_NONBLOCK | 0o100 | 1); // O_CREAT, O_WRONLY ignored
          return 0;
        }
        yield* libc.waitpid(c);
        yield* check((yield* sys.fcntl(d, FcntlCmd.F_GETFL, 0)) === (2 | O_APPEND | O_NONBLOCK), 3);
        yield* libc.write(d, "c");
        return 0;
      },
      [],
      false,
      O_APPEND,
    );
    expect(status).toBe(0);
    expect(counted.toldFlags).toEqual([O_APPEND, 0, O_APPEND | O_NONBLOCK]);
  });

  it("F_GETFD/F_SETFD: FD_CLOEXEC is the descriptor's own (a dup has it clear); EINVAL for another command, EBADF for no file", () => {
    const { status } = boot(
      function* () {
        yield* check((yield* sys.fcntl(A, FcntlCmd.F_GETFD, 0)) === FD_CLOEXEC, 1);
        const d = yield* sys.dup(A);
        yield* check((yield* sys.fcntl(d, FcntlCmd.F_GETFD, 0)) === 0, 2);
        yield* check((yield* sys.fcntl(A, FcntlCmd.F_SETFD, 0)) === 0, 3);
        yield* check((yield* sys.fcntl(A, FcntlCmd.F_GETFD, 0)) === 0, 4);
        yield* check((yield* sys.fcntl(d, FcntlCmd.F_SETFD, FD_CLOEXEC)) === 0, 5);
        yield* check((yield* sys.fcntl(d, FcntlCmd.F_GETFD, 0)) === FD_CLOEXEC, 6);
        yield* check((yield* sys.fcntl(A, 999, 0)) === -Errno.EINVAL, 7); // no such command
        yield* check((yield* sys.fcntl(9, FcntlCmd.F_GETFL, 0)) === -Errno.EBADF, 8);
        yield* check((yield* sys.fcntl(PROBE, FcntlCmd.F_GETFL, 0)) === 0, 9); // O_RDONLY, no flags
        return 0;
      },
      [],
      true,
    );
    expect(status).toBe(0);
  });

  it("O_NONBLOCK: an empty pipe's read and a full pipe's write return EAGAIN instead of waiting; a long write returns what fit", () => {
    const { status } = boot(function* () {
      const [r, w] = yield* libc.pipe();
      yield* sys.fcntl(r, FcntlCmd.F_SETFL, O_NONBLOCK);
      yield* sys.fcntl(w, FcntlCmd.F_SETFL, O_NONBLOCK);
      yield* check((yield* libc.read(r, 10)) === -Errno.EAGAIN, 1);
      yield* check((yield* libc.write(w, new Uint8Array(3000))) === 3000, 2);
      // 1096 bytes of room: a PIPE_BUF write that does not fit moves nothing (POSIX write)...
      yield* check((yield* libc.write(w, new Uint8Array(2000))) === -Errno.EAGAIN, 3);
      // ...a longer one takes what fits and returns its count.
      yield* check((yield* libc.write(w, new Uint8Array(5000))) === 1096, 4);
      yield* check((yield* libc.write(w, new Uint8Array(1))) === -Errno.EAGAIN, 5);
      const got = yield* libc.read(r, 8192);
      yield* check(got instanceof Uint8Array && got.length === 4096, 6);
      // Cleared again: a read of the empty pipe waits, here for a child's write.
      yield* sys.fcntl(r, FcntlCmd.F_SETFL, 0);
      if ((yield* sys.fork()) === 0) {
        yield* compute(20_000);
        yield* libc.write(w, "late");
        return 0;
      }
      const late = yield* libc.read(r, 10);
      yield* check(late instanceof Uint8Array && late.length === 4, 7);
      return 0;
    });
    expect(status).toBe(0);
  });
});

describe("fcntl F_DUPFD and F_DUPFD_CLOEXEC (POSIX fcntl; Linux's f_dupfd)", () => {
  it("the lowest free descriptor not below arg, the same description; FD_CLOEXEC clear, or set by F_DUPFD_CLOEXEC", () => {
    const { status, counted } = boot(function* () {
      const d = yield* sys.fcntl(A, FcntlCmd.F_DUPFD, 10);
      yield* check(d === 10, 1);
      yield* check((yield* sys.fcntl(d, FcntlCmd.F_GETFD, 0)) === 0, 2);
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD, 10)) === 11, 3); // 10 is taken
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD, 0)) === 5, 4); // 0..2 are the boot console's, 3 and 4 taken
      const e = yield* sys.fcntl(A, FcntlCmd.F_DUPFD_CLOEXEC, 7);
      yield* check(e === 7 && (yield* sys.fcntl(e, FcntlCmd.F_GETFD, 0)) === FD_CLOEXEC, 5);
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_GETFD, 0)) === 0, 6); // the original keeps its own flag
      yield* libc.write(d, "x"); // the same description
      for (const fd of [A, d, 11, 5, e]) yield* sys.close(fd);
      yield* check((yield* released()) === 1, 7); // released once, at the last of the five closes
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.toldFlags).toEqual([0]);
  });

  it("EINVAL for a negative arg or one at or above the table's size (64), EMFILE when every descriptor from arg is open; neither installs anything", () => {
    const { status, counted } = boot(function* () {
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD, -1)) === -Errno.EINVAL, 1);
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD_CLOEXEC, 64)) === -Errno.EINVAL, 2);
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD, 63)) === 63, 3);
      yield* check((yield* sys.fcntl(A, FcntlCmd.F_DUPFD, 63)) === -Errno.EMFILE, 4);
      yield* check((yield* sys.fcntl(99, FcntlCmd.F_DUPFD, 5)) === -Errno.EBADF, 5);
      // Nothing was installed by the refusals: 5..62 are free, and one close of 63 and of A releases.
      for (let fd = 5; fd < 63; fd++)
        yield* check((yield* sys.fcntl(fd, FcntlCmd.F_GETFD, 0)) === -Errno.EBADF, 6);
      yield* sys.close(63);
      yield* sys.close(A);
      yield* check((yield* released()) === 1, 7);
      return 0;
    });
    expect(status).toBe(0);
    expect(counted.releases).toBe(1);
  });
});

/** A file whose read times out: nothing to read until `data` is set; a read waits at most `wait` cycles from its start. */
class Timed implements FileOperations {
  readonly kind = "timed";
  readonly list: Waiter[] = [];
  data: Uint8Array | null = null;
  readonly calls: [number, number][] = [];
  constructor(readonly wait: number) {}
  read = (_max: number, now = 0, since = 0): Uint8Array | null => {
    this.calls.push([now, since]);
    if (this.data !== null) return this.data;
    return now >= since + this.wait ? new Uint8Array(0) : null;
  };
  readDeadline = (_now: number, since: number): number => since + this.wait;
  write = (): number => -Errno.EBADF;
  waiters = (): Waiter[] => this.list;
  stat = (): FileStat => ({ mode: FileType.S_IFCHR, size: 0, ino: 0, nlink: 1 });
}

describe("a read with a deadline (FileOperations.readDeadline; a terminal's VTIME)", () => {
  it("runs again at its deadline, told the time and when it began, and returns what the file then says", () => {
    const timed = new Timed(50_000);
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const r = yield* libc.read(3, 10);
        return typeof r !== "number" && r.length === 0 ? 0 : 1; // the file's answer at the deadline
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const p = k.boot("init");
    p.files.install(new OpenFile(timed, FileMode.READ));
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status).toBe(0);
    expect(timed.calls.length).toBe(2); // the first call, and the one at the deadline
    const [[now0, since0], [now1, since1]] = timed.calls as [[number, number], [number, number]];
    expect(since1).toBe(since0); // the same read, run again
    expect(now0).toBe(since0);
    expect(now1).toBeGreaterThanOrEqual(since0 + 50_000);
    expect(timed.list).toEqual([]); // off the list
    expect(k.sched.timers.nextDeadline()).toBe(Number.POSITIVE_INFINITY); // nothing left armed
  });

  it("a stop interrupts it: after SIGCONT the read begins again, and its timer counts from then (Linux's n_tty_read returns -ERESTARTSYS to the stop)", () => {
    // Linux: the stop signal makes the waiting n_tty_read return -ERESTARTSYS; the task stops on
    // its way out and, once continued, enters read afresh — a new timeout, counted from then. The
    // deadline passing while the process is stopped must not end the read at SIGCONT.
    const W = 1_000_000;
    const timed = new Timed(W);
    let continuedAt = -1;
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const child = yield* sys.fork();
        if (child === 0) {
          const r = yield* libc.read(3, 10);
          return typeof r !== "number" && r.length === 0 ? 0 : 1;
        }
        yield* compute(20_000);
        yield* sys.kill(child, Sig.SIGSTOP);
        yield* libc.waitpid(child, WaitOptions.WUNTRACED);
        yield* sys.nanosleep(3 * W); // the read's deadline passes while it is stopped
        continuedAt = yield* sys.clock_gettime(1);
        yield* sys.kill(child, Sig.SIGCONT);
        const st = (yield* libc.waitpid(child)).status;
        return WIFEXITED(st) && WEXITSTATUS(st) === 0 ? 0 : 2;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const p = k.boot("init");
    p.files.install(new OpenFile(timed, FileMode.READ));
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status).toBe(0);
    const [now0, since0] = timed.calls[0]!;
    const [nowN, sinceN] = timed.calls[timed.calls.length - 1]!;
    expect(now0).toBe(since0);
    expect(sinceN).toBeGreaterThanOrEqual(continuedAt); // begun again after the continue
    expect(nowN).toBeGreaterThanOrEqual(continuedAt + W); // and it waited its whole time again
    expect(timed.list).toEqual([]);
    expect(k.sched.timers.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("a process killed while its read waits leaves no timer armed and nothing on the file's list", () => {
    const timed = new Timed(10_000_000);
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const child = yield* sys.fork();
        if (child === 0) {
          yield* libc.read(3, 10);
          return 1;
        }
        yield* compute(20_000);
        yield* sys.kill(child, Sig.SIGKILL);
        yield* libc.waitpid(child);
        return 0;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const p = k.boot("init");
    p.files.install(new OpenFile(timed, FileMode.READ));
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    expect(k.now).toBeLessThan(10_000_000); // nobody waited for the dead read's deadline
    expect(timed.list).toEqual([]);
    expect(k.sched.timers.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("blockUntil refuses a thread that is not running, and arms nothing", () => {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        yield* compute(1);
        return 0;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const t = k.boot("init").threads[0]!; // ready, not running
    const wait = { on: "test", restart: null, cancel: () => {}, interruptible: true, timedOut: () => {} };
    expect(() => k.blockUntil(t, wait, 1000)).toThrow(/not running/);
    expect(t.runState).toBe("ready");
    expect(k.sched.timers.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("a wake before the deadline disarms its timer: the read returns the data, and nothing fires later", () => {
    const timed = new Timed(10_000_000);
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const r = yield* libc.read(3, 10);
        return typeof r !== "number" && r.length === 2 ? 0 : 1;
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const p = k.boot("init");
    p.files.install(new OpenFile(timed, FileMode.READ));
    expect(k.run({ stopWhenIdle: true, maxCycles: 1e6 }).outcome).not.toBe("all-exited");
    timed.data = Uint8Array.of(1, 2);
    for (const w of timed.list.splice(0)) w.wakeToRetry();
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status).toBe(0);
    expect(k.sched.timers.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("a deadline at or before now is a defect in the file: the kernel throws FileContractError naming the file and the times, not a spin", () => {
    // One not after now would park the read until a moment already past, run it again at once,
    // and again: the kernel refuses it where the read would block (the laws check it too).
    for (const lateBy of [0, 1]) {
      const timed = new Timed(0);
      timed.readDeadline = (now: number): number => now - lateBy;
      const programs = new ProgramRegistry().register({
        name: "init",
        *main() {
          yield* libc.read(3, 10);
          return 0;
        },
      });
      const k = new Kernel({ programs, paranoid: true });
      k.boot("init").files.install(new OpenFile(timed, FileMode.READ));
      timed.read = (_max: number, now = 0, since = 0) => {
        timed.calls.push([now, since]);
        return null; // never ready: only its deadline could end the wait
      };
      let thrown: unknown = null;
      try {
        k.run({ maxCycles: 5e7 });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(FileContractError);
      const [now] = timed.calls[0]!;
      expect((thrown as Error).message).toMatch(
        new RegExp(
          `timed file.*readDeadline\\(${now}, ${now}\\) returned ${now - lateBy}, not after now \\(${now}\\)`,
        ),
      );
      expect(timed.calls.length).toBe(1); // refused at the first wait, not run again
    }
  });
});

/**
 * A file whose read waits for `min` bytes and takes bytes as they come while it waits (a
 * terminal's non-canonical read with MIN > 0: Linux's n_tty_read copies them at once).
 */
class Trickle implements FileOperations {
  readonly kind = "trickle";
  readonly list: Waiter[] = [];
  constructor(
    readonly queued: number[],
    readonly min: number,
  ) {}
  private take(max: number): Uint8Array {
    return Uint8Array.from(this.queued.splice(0, max));
  }
  read = (max: number, _now = 0, _since = 0, done = 0): Uint8Array | null =>
    done + this.queued.length >= Math.min(this.min, done + max) ? this.take(max) : null;
  takeWhileWaiting = (max: number): Uint8Array => this.take(max);
  write = (): number => -Errno.EBADF;
  waiters = (): Waiter[] => this.list;
  stat = (): FileStat => ({ mode: FileType.S_IFCHR, size: 0, ino: 0, nlink: 1 });
}

describe("a read that takes bytes as they come (FileOperations.takeWhileWaiting; a terminal's MIN)", () => {
  /** Fork a reader of `max` bytes of fd 3, interrupt it by `how`, and return its exit status (its count). */
  function interrupted(file: Trickle, how: "handler" | "handler with SA_RESTART" | "SIGSTOP", max = 10) {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main(s) {
        const child = yield* sys.fork();
        if (child === 0) {
          const h = s.addressOf(function* () {});
          yield* sys.sigaction(Sig.SIGUSR1, h, 0, how === "handler" ? 0 : 0x1000_0000);
          const r = yield* libc.read(3, max);
          return typeof r === "number" ? 100 - r : r.length;
        }
        yield* compute(20_000); // the child reads and waits
        if (how === "SIGSTOP") {
          yield* sys.kill(child, Sig.SIGSTOP);
          yield* libc.waitpid(child, WaitOptions.WUNTRACED);
          yield* sys.kill(child, Sig.SIGCONT);
        } else yield* sys.kill(child, Sig.SIGUSR1);
        return WEXITSTATUS((yield* libc.waitpid(child)).status);
      },
    });
    const k = new Kernel({ programs, paranoid: true });
    const p = k.boot("init");
    p.files.install(new OpenFile(file, FileMode.READ));
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    return k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status;
  }

  it("a signal that interrupts it returns the count taken so far, whatever the disposition (n_tty_read: kb - kbuf before -ERESTARTSYS)", () => {
    for (const how of ["handler", "handler with SA_RESTART", "SIGSTOP"] as const) {
      const file = new Trickle([0x61, 0x62, 0x63], 5);
      expect(interrupted(file, how), how).toBe(3 << 8);
      expect(file.queued, how).toEqual([]); // taken, not left queued
      expect(file.list, how).toEqual([]);
    }
  });

  it("with nothing taken a signal still interrupts it as before: EINTR, or run again under SA_RESTART", () => {
    expect(interrupted(new Trickle([], 5), "handler")).toBe((100 - -Errno.EINTR) << 8);
  });
});
