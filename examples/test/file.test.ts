// Open file descriptions: offsets, holes, append, devices, and the linux_dirent64 records.

import {
  Cc,
  Errno,
  FcntlCmd,
  type FileOperations,
  Kernel,
  LocalMode,
  libc,
  ProgramRegistry,
  Prot,
  WEXITSTATUS,
  Whence,
} from "@osbricks/kernel";
import { fileOperationsLaws } from "@osbricks/kernel/laws";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { direntLength, OpenFlags, VfsFile } from "../src/lunaix/fs/file.js";
import { FILE_MAX, type Inode, type Vfs } from "../src/lunaix/fs/vfs.js";
import { LineSink } from "../src/lunaix/line-sink.js";
import { lunaixPersonality, lunaixStubs as sys } from "../src/lunaix/personality.js";
import { SerialConsole } from "../src/lunaix/serial.js";
import { ramFs } from "./ramfs.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | number) => (b instanceof Uint8Array ? new TextDecoder().decode(b) : b);

function file(): { fs: Vfs; node: Inode } {
  const { fs } = ramFs();
  return { fs, node: fs.create("/f") as Inode };
}

describe("VfsFile", () => {
  it("reads what was written, from the shared offset", () => {
    const { fs, node } = file();
    const f = new VfsFile(fs, node, true, true);
    expect(f.write(bytes("hello, lunaix"))).toBe(13);
    expect(f.seek(7, Whence.SEEK_SET)).toBe(7);
    expect(text(f.read(100))).toBe("lunaix");
    expect(text(f.read(100))).toBe("");
  });

  it("a write past the end leaves a hole that reads as zeros", () => {
    const { fs, node } = file();
    const f = new VfsFile(fs, node, true, true);
    f.write(bytes("ab"));
    f.seek(5, Whence.SEEK_SET);
    f.write(bytes("z"));
    f.seek(0, Whence.SEEK_SET);
    expect([...(f.read(10) as Uint8Array)]).toEqual([97, 98, 0, 0, 0, 122]);
  });

  it("a write told O_APPEND goes to the end whatever the offset; one told nothing lands at the offset", () => {
    const { fs, node } = file();
    new VfsFile(fs, node, false, true).write(bytes("one\n"));
    const a = new VfsFile(fs, node, true, true);
    a.seek(0, Whence.SEEK_SET);
    a.write(bytes("two\n"), OpenFlags.O_APPEND);
    a.seek(0, Whence.SEEK_SET);
    a.write(bytes("ON"), 0);
    a.seek(0, Whence.SEEK_SET);
    expect(text(a.read(100))).toBe("ONe\ntwo\n");
  });

  it("a write of 0 bytes has no other results (POSIX write): told O_APPEND it leaves the offset, past the end it makes no hole", () => {
    // Both failed before: the offset went to the end first, and writeAt grew the size to the offset.
    const { fs, node } = file();
    const f = new VfsFile(fs, node, true, true);
    f.write(bytes("hello"));
    f.seek(2, Whence.SEEK_SET);
    expect(f.write(new Uint8Array(0), OpenFlags.O_APPEND)).toBe(0);
    expect(f.seek(0, Whence.SEEK_CUR)).toBe(2);
    f.seek(100, Whence.SEEK_SET);
    expect(f.write(new Uint8Array(0), 0)).toBe(0);
    expect(node.size).toBe(5);
    expect(f.stat().size).toBe(5);
  });

  it("refuses by access mode, bad seeks and size", () => {
    const { fs, node } = file();
    expect(new VfsFile(fs, node, false, true).read(1)).toBe(-Errno.EBADF);
    expect(new VfsFile(fs, node, true, false).write(bytes("x"))).toBe(-Errno.EBADF);
    const f = new VfsFile(fs, node, true, true);
    expect(f.seek(-1, Whence.SEEK_SET)).toBe(-Errno.EINVAL);
    expect(f.seek(0, 9)).toBe(-Errno.EINVAL);
    f.seek(FILE_MAX, Whence.SEEK_SET);
    expect(f.write(bytes("x"))).toBe(-Errno.EFBIG);
    // A write that crosses the limit writes what fits (POSIX: "only as many bytes as there is
    // room for"); EFBIG is for a write that starts there.
    f.seek(FILE_MAX - 2, Whence.SEEK_SET);
    expect(f.write(bytes("abcd"))).toBe(2);
    expect(f.write(bytes("e"))).toBe(-Errno.EFBIG);
    expect(f.stat().size).toBe(FILE_MAX);
    expect(new VfsFile(fs, fs.root, true, false).read(1)).toBe(-Errno.EISDIR);
  });

  it("matches a byte-array model for any sequence of writes and seeks", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), data: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({ kind: fc.constant("seek" as const), to: fc.nat(200) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { fs, node } = file();
        const f = new VfsFile(fs, node, true, true);
        let model: number[] = [];
        let pos = 0;
        for (const o of ops) {
          if (o.kind === "seek") {
            pos = o.to;
            f.seek(o.to, Whence.SEEK_SET);
          } else if (o.data.length > 0) {
            // 0 bytes make no hole: POSIX write, "no other results".
            while (model.length < pos) model.push(0);
            model = [...model.slice(0, pos), ...o.data, ...model.slice(pos + o.data.length)];
            pos += o.data.length;
            f.write(o.data);
          } else f.write(o.data);
        }
        f.seek(0, Whence.SEEK_SET);
        expect([...(f.read(10_000) as Uint8Array)]).toEqual(model);
      }),
      { numRuns: 100 },
    );
  });

  it("devices: reads come from the driver, lseek is ESPIPE", () => {
    const { fs } = ramFs();
    const dev = fs.mknod("/null", {
      name: "null",
      waiters: [],
      read: () => null,
      write: (b) => b.length,
    }) as Inode;
    const f = new VfsFile(fs, dev, true, true);
    expect(f.read(4)).toBeNull();
    expect(f.write(bytes("abc"))).toBe(3);
    expect(f.seek(0, Whence.SEEK_SET)).toBe(-Errno.ESPIPE);
  });
});

describe("getdents64", () => {
  it("record length: 19 header bytes + name + NUL, rounded up to 8 ('sh' → 24)", () => {
    expect(direntLength(2)).toBe(24);
    expect(direntLength(4)).toBe(24);
    expect(direntLength(5)).toBe(32);
  });

  it("lays out linux_dirent64 records and resumes from the offset", () => {
    const { fs } = ramFs();
    fs.mkdir("/bin");
    fs.installProgram("/bin/sh", "/bin/sh");
    const bin = fs.lookup("/bin") as Inode;
    const f = new VfsFile(fs, bin, true, false);
    const first = f.getdents(48) as Uint8Array; // room for "." and ".." only
    expect(first.length).toBe(48);
    const dv = new DataView(first.buffer, first.byteOffset);
    expect(Number(dv.getBigUint64(0, true))).toBe(bin.ino);
    expect(dv.getUint16(16, true)).toBe(24);
    expect(first[18]).toBe(4); // DT_DIR
    expect(first[19]).toBe(".".charCodeAt(0));
    expect(Number(dv.getBigInt64(24 + 8, true))).toBe(2); // d_off of ".." = cookie of the next
    const rest = f.getdents(100) as Uint8Array;
    expect(rest.length).toBe(24);
    expect(text(rest.subarray(19, 21))).toBe("sh");
    expect(rest[18]).toBe(8); // DT_REG
    expect((f.getdents(100) as Uint8Array).length).toBe(0);
    expect(new VfsFile(fs, bin, true, false).getdents(10)).toBe(-Errno.EINVAL);
  });
});

describe("open file descriptions through the system calls", () => {
  it("fork and dup share the offset (one description); a second open has its own", () => {
    const { fs } = ramFs();
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const path = yield* libc.cstring("/f");
        const fd = yield* sys.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        yield* libc.write(fd, "abcdefgh");
        yield* sys.lseek(fd, 0, Whence.SEEK_SET);
        const pid = yield* sys.fork();
        if (pid === 0) {
          const got = yield* libc.read(fd, 2);
          return got instanceof Uint8Array && text(got) === "ab" ? 0 : 1;
        }
        if (WEXITSTATUS((yield* libc.waitpid(pid)).status) !== 0) return 2;
        if ((yield* sys.lseek(fd, 0, Whence.SEEK_CUR)) !== 2) return 3; // the child's read moved it
        const copy = yield* sys.dup(fd);
        const cd = yield* libc.read(copy, 2);
        if (!(cd instanceof Uint8Array) || text(cd) !== "cd") return 4;
        if ((yield* sys.lseek(fd, 0, Whence.SEEK_CUR)) !== 4) return 5;
        const other = yield* sys.open(path, OpenFlags.O_RDONLY, 0);
        const ab = yield* libc.read(other, 2);
        return ab instanceof Uint8Array && text(ab) === "ab" ? 0 : 6;
      },
    });
    const k = new Kernel({ programs, personality: lunaixPersonality(fs, () => ""), paranoid: true });
    const init = k.boot("init");
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
  });
});

describe("O_APPEND is the open file description's flag (POSIX open, fcntl)", () => {
  it("open(O_APPEND) writes at the end; F_SETFL clears it for the description, dups included; a second open of the file is not affected", () => {
    const { fs } = ramFs();
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const path = yield* libc.cstring("/log");
        const plain = yield* sys.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0);
        yield* libc.write(plain, "0123456789");
        const fd = yield* sys.open(path, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0);
        if ((yield* sys.fcntl(fd, FcntlCmd.F_GETFL, 0)) !== (OpenFlags.O_WRONLY | OpenFlags.O_APPEND))
          return 1;
        yield* libc.write(fd, "ab"); // at the end: 10
        if ((yield* sys.lseek(fd, 0, Whence.SEEK_CUR)) !== 12) return 2;
        const dup = yield* sys.dup(fd);
        yield* sys.fcntl(dup, FcntlCmd.F_SETFL, 0); // through the dup: the description is shared
        yield* sys.lseek(fd, 2, Whence.SEEK_SET);
        yield* libc.write(fd, "XY"); // at the position now: 2
        yield* sys.fcntl(fd, FcntlCmd.F_SETFL, OpenFlags.O_APPEND);
        yield* sys.lseek(plain, 0, Whence.SEEK_SET);
        yield* libc.write(plain, "-"); // the first description never had O_APPEND: at 0
        yield* libc.write(dup, "!"); // at the end again: 12
        return 0;
      },
    });
    const k = new Kernel({ programs, personality: lunaixPersonality(fs, () => ""), paranoid: true });
    const init = k.boot("init");
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
    expect(text(fs.readAt(fs.lookup("/log") as Inode, 0, 100))).toBe("-1XY456789ab!");
  });

  it("open(O_NONBLOCK) on the console: a read with no line typed is EAGAIN instead of waiting", () => {
    const { fs } = ramFs();
    fs.mknod("/tty", new SerialConsole({ sink: new LineSink(() => {}), echo: false }));
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const path = yield* libc.cstring("/tty");
        const fd = yield* sys.open(path, OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_NONBLOCK, 0);
        return (yield* libc.read(fd, 10)) === -Errno.EAGAIN ? 0 : 1;
      },
    });
    const k = new Kernel({ programs, personality: lunaixPersonality(fs, () => ""), paranoid: true });
    const init = k.boot("init");
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
  });
});

describe("open through the system call", () => {
  it("a directory opened for writing, or with O_CREAT and no O_DIRECTORY, is EISDIR (POSIX open)", () => {
    const { fs } = ramFs();
    fs.mkdir("/d");
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const d = yield* libc.cstring("/d");
        if ((yield* sys.open(d, OpenFlags.O_WRONLY, 0)) !== -Errno.EISDIR) return 1;
        if ((yield* sys.open(d, OpenFlags.O_CREAT, 0)) !== -Errno.EISDIR) return 2;
        if ((yield* sys.open(d, OpenFlags.O_CREAT | OpenFlags.O_DIRECTORY, 0)) < 0) return 3;
        if ((yield* sys.open(d, OpenFlags.O_RDONLY, 0)) < 0) return 4;
        return 0;
      },
    });
    const k = new Kernel({ programs, personality: lunaixPersonality(fs, () => ""), paranoid: true });
    const init = k.boot("init");
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
  });
});

describe("getdents64 through the system call", () => {
  it("a buffer the program cannot write is EFAULT and consumes no entry: the next call still gets them", () => {
    const { fs } = ramFs();
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const path = yield* libc.cstring("/");
        const fd = yield* sys.open(path, OpenFlags.O_DIRECTORY, 0);
        const buf = yield* libc.mmapAnon(4096);
        const ro = yield* libc.mmapAnon(4096, { prot: Prot.PROT_READ });
        if ((yield* sys.getdents64(fd, ro, 100)) !== -Errno.EFAULT) return 1;
        if ((yield* sys.getdents64(fd, 0x5555_0000, 100)) !== -Errno.EFAULT) return 2;
        return (yield* sys.getdents64(fd, buf, 100)) === 48 ? 0 : 3; // "." and ".."
      },
    });
    const k = new Kernel({ programs, personality: lunaixPersonality(fs, () => ""), paranoid: true });
    const init = k.boot("init");
    expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
    expect(k.life.reapedByKernel.find((r) => r.pid === init.pid)?.status).toBe(0);
  });
});

describe("the file system in RAM", () => {
  it("file bytes take frames; unlink frees them, and the inode's slab object", () => {
    const { fs, frames, inodes } = ramFs();
    const before = frames.freeFrames();
    const live = inodes.stats().objectsInUse;
    const n = fs.create("/big") as Inode;
    const f = new VfsFile(fs, n, true, true);
    expect(f.write(new Uint8Array(3 * 4096 + 1).fill(7))).toBe(3 * 4096 + 1);
    expect(n.pages.filter((p) => p !== 0)).toHaveLength(4);
    fs.checkInvariants(); // the record in RAM says 4 frames, size 12289
    expect(fs.unlink("/big")).toBe(0);
    expect(fs.usage().orphans).toBe(1); // still open: the bytes stay readable
    f.seek(4096, Whence.SEEK_SET);
    expect((f.read(2) as Uint8Array)[0]).toBe(7);
    f.release();
    fs.checkInvariants();
    expect(fs.usage().orphans).toBe(0);
    expect(inodes.stats().objectsInUse).toBe(live);
    expect(frames.freeFrames()).toBe(before);
  });

  it("a hole takes no frame, and reads as zeros", () => {
    const { fs } = ramFs();
    const n = fs.create("/sparse") as Inode;
    const f = new VfsFile(fs, n, true, true);
    f.seek(5 * 4096, Whence.SEEK_SET);
    f.write(bytes("end"));
    expect(n.pages.filter((p) => p !== 0)).toHaveLength(1);
    f.seek(4096, Whence.SEEK_SET);
    expect([...(f.read(4) as Uint8Array)]).toEqual([0, 0, 0, 0]);
  });

  it("out of RAM: a short write, then ENOSPC; nothing leaks", () => {
    const { fs, frames } = ramFs(64);
    const n = fs.create("/fill") as Inode;
    const f = new VfsFile(fs, n, true, true);
    const free = frames.freeFrames();
    const want = (free + 2) * 4096;
    const r = f.write(new Uint8Array(want));
    expect(r).toBe(free * 4096);
    expect(f.write(bytes("x"))).toBe(-Errno.ENOSPC);
    fs.checkInvariants();
    f.release();
    fs.unlink("/fill");
    expect(frames.freeFrames()).toBe(free);
  });

  it("unmount gives every frame and slab object back", () => {
    const { fs, frames, inodes } = ramFs();
    fs.mkdir("/d");
    const n = fs.create("/d/f") as Inode;
    new VfsFile(fs, n, false, true).write(new Uint8Array(10_000));
    fs.unmount();
    inodes.destroy();
    expect(frames.freeFrames()).toBe(1023); // everything but frame 0, the root's slab included
    frames.checkInvariants();
  });
});

describe("VfsFile keeps the kernel's FileOperations laws", () => {
  // The console behind each file the consoles' factories made: the stream law types into it.
  const consoles = new WeakMap<FileOperations, SerialConsole>();
  const consoleFile = (fs: Vfs, change: (tty: SerialConsole) => void = () => {}): VfsFile => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    change(tty);
    const f = new VfsFile(fs, fs.mknod("/ttyS0", tty) as Inode, true, true);
    consoles.set(f, tty);
    return f;
  };
  const raw = (vmin: number, vtime: number) => (tty: SerialConsole) => {
    tty.tty.termios.setLocal(LocalMode.ICANON, false);
    tty.tty.termios.cc[Cc.VMIN] = vmin;
    tty.tty.termios.cc[Cc.VTIME] = vtime;
  };
  const kinds: Record<string, (fs: Vfs) => VfsFile> = {
    // Each write is told O_APPEND or not, as the laws draw it (fcntl F_SETFL between writes).
    "a regular file, read-write": (fs) => new VfsFile(fs, fs.create("/f") as Inode, true, true),
    "a directory": (fs) => new VfsFile(fs, fs.root, true, false),
    "a device": (fs) => {
      const dev = fs.mknod("/null", {
        name: "null",
        waiters: [],
        read: () => new Uint8Array(0),
        write: (b) => b.length,
      });
      return new VfsFile(fs, dev as Inode, true, true);
    },
    // The laws caught read(0) waiting for a line here (it must return 0 at once).
    "the serial console": (fs) => consoleFile(fs),
    // Non-canonical with VTIME: reads are driven across the read timer, and a waiting read's
    // deadline (readDeadline) must be after now.
    "the serial console, -icanon min 0 time 1": (fs) => consoleFile(fs, raw(0, 1)),
    // MIN > 0: a waiting read takes the bytes as they come (takeWhileWaiting), told back as done.
    "the serial console, -icanon min 3 time 0": (fs) => consoleFile(fs, raw(3, 0)),
    "the serial console, -icanon min 2 time 1": (fs) => consoleFile(fs, raw(2, 1)),
  };
  // The stream law types the fed bytes (letters and newlines) at the console.
  const feed = (f: FileOperations, bytes: Uint8Array) =>
    consoles.get(f)?.hostInput(new TextDecoder().decode(bytes));
  for (const [what, make] of Object.entries(kinds)) {
    const typed = what.startsWith("the serial console");
    for (const law of fileOperationsLaws(() => make(ramFs(64).fs), {
      numRuns: 40,
      ...(typed ? { feed } : {}),
    })) {
      it(`${what}: ${law.name}`, () => law.check());
    }
  }
});
