/**
 * The user-side library of the Lunaix-like kernel's programs: printing, reading lines, files,
 * directories, spawning and waiting — libc over `lunaixStubs`, written as user code that traps.
 *
 * Every program makes one {@link UserIo} at the start of `main`. It maps one scratch region
 * (64 KiB, anonymous, private) for the bytes it passes to the kernel — output text, path strings,
 * argv vectors, status words — instead of growing the heap with every call, so a shell that runs
 * for hours keeps a constant footprint. Nothing lives in JavaScript state between calls except
 * values that come from traps, so fork's replay rebuilds the same object in the child.
 *
 * ```
 *   scratch (64 KiB)
 *   +0      status words, small out-parameters (64 B)
 *   +64     strings and argv vectors of the current call (an arena reset at each call)
 *   +32K    I/O buffer: text to write, bytes read, directory records
 * ```
 *
 * Related: `../personality.ts` (the stubs), `../fs/file.ts` (dirent layout), `sh.ts`.
 */
import {
  Errno,
  encodeCString,
  errorName,
  MapFlags,
  mem,
  Prot,
  type SpawnAttr,
  SpawnFlags,
  STAT_BYTES,
  TERMIOS_BYTES,
  Termios,
  type UserCode,
} from "@osbricks/kernel";
import { OpenFlags } from "../fs/file.js";
import { lunaixStubs as sys } from "../personality.js";

const SCRATCH = 64 * 1024;
const ARENA = 64;
const IO = 32 * 1024;
const IO_BYTES = SCRATCH - IO;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One directory entry as `readdir(3)` returns it. */
export interface DirEntry {
  readonly ino: number;
  readonly name: string;
  /** `d_type`: 2 char device, 4 directory, 8 regular file or program. */
  readonly type: number;
}

/** A wait status, decoded (`<sys/wait.h>`: exited = code << 8, killed = the signal number). */
export interface ChildStatus {
  readonly pid: number;
  readonly status: number;
}

/** Per-process I/O helper (see the banner). */
export class UserIo {
  private arenaTop = ARENA;
  private pending: number[] = [];

  private constructor(private readonly base: number) {}

  /**
   * Map the scratch region; call once at the start of `main`.
   * @throws Error when the mapping fails (the program then dies with a clear crash report).
   */
  static *create(): UserCode<UserIo> {
    const base = yield* sys.mmap(
      0,
      SCRATCH,
      Prot.PROT_READ | Prot.PROT_WRITE,
      MapFlags.MAP_PRIVATE | MapFlags.MAP_ANONYMOUS,
      -1,
      0,
    );
    if (base < 0) throw new Error(`UserIo: mmap of the scratch region failed (${errorName(base)})`);
    return new UserIo(base);
  }

  /**
   * Copy `s` into the arena as a C string; its address, or `null` when the arena (32 KiB less
   * the status words) has no room left: the caller answers as the kernel would for a string that
   * long (ENAMETOOLONG for a path, E2BIG for arguments), so a long command line is an error
   * message, never a crashed shell.
   */
  *cstr(s: string): UserCode<number | null> {
    const bytes = encodeCString(s);
    const size = Math.ceil(bytes.length / 8) * 8;
    if (this.arenaTop + size > IO) return null;
    const va = this.base + this.arenaTop;
    this.arenaTop += size;
    yield* mem.write(va, bytes);
    return va;
  }

  /** A NULL-terminated vector of C strings in the arena; its address, or `null` without room. */
  *vector(strings: readonly string[]): UserCode<number | null> {
    const ptrs: number[] = [];
    for (const s of strings) {
      const p = yield* this.cstr(s);
      if (p === null) return null;
      ptrs.push(p);
    }
    if (this.arenaTop + 8 * (ptrs.length + 1) > IO) return null;
    const va = this.base + this.arenaTop;
    this.arenaTop += 8 * (ptrs.length + 1);
    const words = new Uint8Array(8 * (ptrs.length + 1));
    const dv = new DataView(words.buffer);
    for (let i = 0; i < ptrs.length; i++) dv.setBigUint64(8 * i, BigInt(ptrs[i]!), true);
    yield* mem.write(va, words);
    return va;
  }

  private resetArena(): void {
    this.arenaTop = ARENA;
  }

  /** Write all of `data` to `fd` (looping over partial writes); bytes written or -errno. */
  *write(fd: number, data: string | Uint8Array): UserCode<number> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let done = 0;
    while (done < bytes.length) {
      const chunk = bytes.subarray(done, done + IO_BYTES);
      yield* mem.write(this.base + IO, chunk);
      const n = yield* sys.write(fd, this.base + IO, chunk.length);
      if (n < 0) return n;
      done += n;
    }
    return done;
  }

  /** tcgetattr(fd): the terminal's modes, or -errno. */
  *tcgetattr(fd: number): UserCode<Termios | number> {
    const r = yield* sys.tcgetattr(fd, this.base + IO);
    return r < 0 ? r : Termios.decode(yield* mem.read(this.base + IO, TERMIOS_BYTES));
  }

  /** tcsetattr(fd, action, modes); 0 or -errno. */
  *tcsetattr(fd: number, action: number, modes: Termios): UserCode<number> {
    yield* mem.write(this.base + IO, modes.encode());
    return yield* sys.tcsetattr(fd, action, this.base + IO);
  }

  /** Print text on standard output. */
  *print(text: string): UserCode<void> {
    yield* this.write(1, text);
  }

  /** Read up to `max` bytes from `fd`; the bytes (empty at end of file) or -errno. */
  *read(fd: number, max = IO_BYTES): UserCode<Uint8Array | number> {
    const n = yield* sys.read(fd, this.base + IO, Math.min(max, IO_BYTES));
    if (n <= 0) return n === 0 ? new Uint8Array(0) : n;
    return yield* mem.read(this.base + IO, n);
  }

  /** Everything `fd` holds until end of file, as text; or -errno. */
  *readAll(fd: number): UserCode<string | number> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const r = yield* this.read(fd);
      if (typeof r === "number") return r;
      if (r.length === 0) break;
      parts.push(r);
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return dec.decode(all);
  }

  /**
   * One line from `fd` without its `\n`; `null` at end of file; `-EINTR` when a signal handler
   * interrupted the read (the bytes of a partial line are kept for the next call).
   */
  *readLine(fd: number): UserCode<string | null | number> {
    for (;;) {
      const nl = this.pending.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.pending.splice(0, nl + 1);
        return dec.decode(Uint8Array.from(line.slice(0, -1)));
      }
      const r = yield* this.read(fd);
      if (r === -Errno.EINTR) return r;
      if (typeof r === "number" || r.length === 0) {
        if (this.pending.length === 0) return null;
        const rest = this.pending.splice(0);
        return dec.decode(Uint8Array.from(rest));
      }
      for (const b of r) this.pending.push(b);
    }
  }

  /** open(2); the fd or -errno. */
  *open(path: string, flags: number): UserCode<number> {
    this.resetArena();
    const p = yield* this.cstr(path);
    return p === null ? -Errno.ENAMETOOLONG : yield* sys.open(p, flags, 0o644);
  }

  /** A one-path call: mkdir, rmdir or unlink; 0 or -errno. */
  *pathCall(call: "mkdir" | "rmdir" | "unlink", path: string): UserCode<number> {
    this.resetArena();
    const p = yield* this.cstr(path);
    if (p === null) return -Errno.ENAMETOOLONG;
    return call === "mkdir"
      ? yield* sys.mkdir(p, 0o755)
      : call === "rmdir"
        ? yield* sys.rmdir(p)
        : yield* sys.unlink(p);
  }

  /** The entries of directory `path` (with `.` and `..`), or -errno. */
  *readdir(path: string): UserCode<DirEntry[] | number> {
    const fd = yield* this.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
    if (fd < 0) return fd;
    const out: DirEntry[] = [];
    for (;;) {
      const n = yield* sys.getdents64(fd, this.base + IO, 4096);
      if (n <= 0) {
        yield* sys.close(fd);
        return n < 0 ? n : out;
      }
      const recs = yield* mem.read(this.base + IO, n);
      const dv = new DataView(recs.buffer, recs.byteOffset, recs.byteLength);
      for (let at = 0; at < n; ) {
        const reclen = dv.getUint16(at + 16, true);
        const nameBytes = recs.subarray(at + 19, at + reclen);
        const nul = nameBytes.indexOf(0);
        out.push({
          ino: Number(dv.getBigUint64(at, true)),
          type: recs[at + 18]!,
          name: dec.decode(nameBytes.subarray(0, nul < 0 ? nameBytes.length : nul)),
        });
        at += reclen;
      }
    }
  }

  /**
   * posix_spawn(path, argv); the child's pid or -errno. `attr` as `libc.spawnv`'s: `pgroup`
   * (POSIX_SPAWN_SETPGROUP, 0 for a group the child leads), `sigdefault` (POSIX_SPAWN_SETSIGDEF),
   * `foreground` (POSIX_SPAWN_TCSETPGROUP: its group becomes the terminal's foreground first).
   */
  *spawn(path: string, argv: readonly string[], attr: SpawnAttr = {}): UserCode<number> {
    this.resetArena();
    const p = yield* this.cstr(path);
    if (p === null) return -Errno.ENAMETOOLONG;
    const v = yield* this.vector(argv);
    if (v === null) return -Errno.E2BIG;
    const flags =
      (attr.pgroup !== undefined ? SpawnFlags.POSIX_SPAWN_SETPGROUP : 0) |
      (attr.setsid === true ? SpawnFlags.POSIX_SPAWN_SETSID : 0) |
      (attr.sigdefault !== undefined ? SpawnFlags.POSIX_SPAWN_SETSIGDEF : 0) |
      (attr.foreground === true ? SpawnFlags.POSIX_SPAWN_TCSETPGROUP : 0);
    return yield* sys.spawn(p, v, 0, flags, attr.pgroup ?? 0, attr.sigdefault ?? 0);
  }

  /** execve(path, argv): replaces the program; returns only on failure (-errno). */
  *exec(path: string, argv: readonly string[]): UserCode<number> {
    this.resetArena();
    const p = yield* this.cstr(path);
    if (p === null) return -Errno.ENAMETOOLONG;
    const v = yield* this.vector(argv);
    return v === null ? -Errno.E2BIG : yield* sys.execve(p, v, 0);
  }

  /** waitpid(pid, &status, options), with the status read back. */
  *waitpid(pid: number, options = 0): UserCode<ChildStatus> {
    const r = yield* sys.waitpid(pid, this.base, options);
    return { pid: r, status: r > 0 ? yield* mem.load32(this.base) : 0 };
  }

  /** fstat(2): the fields of `struct stat` the kernel fills, or -errno. */
  *fstat(fd: number): UserCode<{ ino: number; nlink: number; mode: number; size: number } | number> {
    const buf = this.base + IO;
    const r = yield* sys.fstat(fd, buf);
    if (r < 0) return r;
    const st = new DataView((yield* mem.read(buf, STAT_BYTES)).buffer);
    return {
      ino: Number(st.getBigUint64(8, true)),
      nlink: Number(st.getBigUint64(16, true)),
      mode: st.getUint32(24, true),
      size: Number(st.getBigInt64(48, true)),
    };
  }

  /** pipe(2): [read end, write end], or -errno in both. */
  *pipe(): UserCode<readonly [number, number]> {
    const r = yield* sys.pipe(this.base + 8);
    if (r < 0) return [r, r];
    return [yield* mem.load32(this.base + 8), yield* mem.load32(this.base + 12)];
  }

  /** Ask a kernel inspector (`lunadbg`); the report text. */
  *lunadbg(command: string): UserCode<string> {
    this.resetArena();
    const c = yield* this.cstr(command);
    if (c === null) return `lunadbg: ${errorName(-Errno.E2BIG)}`;
    const n = yield* sys.lunadbg(c, this.base + IO, IO_BYTES);
    if (n < 0) return `lunadbg: ${errorName(n)}`;
    const bytes = yield* mem.read(this.base + IO, Math.min(n, IO_BYTES));
    return dec.decode(bytes) + (n > IO_BYTES ? "\n[report truncated]" : "");
  }
}

/** `"exited 3"`, `"killed by SIGSEGV"`: a wait status for people. */
export function describeStatus(status: number, signalName: (sig: number) => string): string {
  const sig = status & 0x7f;
  if (sig === 0) return `exited ${(status >> 8) & 0xff}`;
  return `killed by ${signalName(sig)}${(status & 0x80) !== 0 ? " (core dumped)" : ""}`;
}
