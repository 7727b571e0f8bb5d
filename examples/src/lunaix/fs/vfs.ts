/**
 * A small in-memory file system: the tree of inodes the Lunaix-like kernel mounts at `/`.
 *
 * ```
 *   /                      dir   (ino 1, its own parent)
 *   ├── bin/               dir
 *   │   ├── sh             exec  → program image "/bin/sh"   (what exec and spawn load)
 *   │   └── ...
 *   ├── dev/               dir
 *   │   ├── ttyS0          char  → the serial console driver (COM1)
 *   │   └── null           char  → reads EOF, swallows writes
 *   └── tmp/               dir   (scratch space for the demos)
 * ```
 *
 * Four kinds of inode, like the `S_IF*` types of `stat(2)`: directories (a name → inode map,
 * listed in name order so `readdir` is deterministic), regular files (bytes that grow on write),
 * executables (a name in the kernel's program registry: there are no ELF bytes to load) and
 * character devices (a driver's read/write).
 *
 * Invariants (`checkInvariants`): every directory entry names a live inode whose `links` counts
 * exactly the entries that point at it; a directory has one entry (its parent's), so the tree has
 * no hard-linked directories and no cycles; names are 1..255 bytes without `/` or NUL; a file's
 * `size` never exceeds its buffer.
 *
 * Semantics kept from POSIX: unlinking an open file removes its name only, and the open file keeps
 * reading and writing the inode until its last descriptor closes (the inode is garbage collected
 * with it); `rmdir` refuses a non-empty directory (ENOTEMPTY); a path component that is not a
 * directory is ENOTDIR. Simplified: no permissions, no cwd (relative paths resolve from `/`), no
 * symlinks, no hard links to directories.
 *
 * Related: `file.ts` (open file descriptions: offsets and flags), `syscalls.ts` (the calls).
 */
import { errnoName, Errno as KernelErrno } from "@osbricks/kernel";

/**
 * The kernel's error numbers plus the file-system ones its POSIX personality does not need yet
 * (Linux x86-64 values, `asm-generic/errno-base.h`: ENOTDIR 20, EISDIR 21, EFBIG 27; `errno.h`:
 * ENOTEMPTY 39).
 */
export const Errno = { ...KernelErrno, ENOTDIR: 20, EISDIR: 21, EFBIG: 27, ENOTEMPTY: 39 } as const;

const FS_NAMES: Readonly<Record<number, string>> = {
  20: "ENOTDIR",
  21: "EISDIR",
  27: "EFBIG",
  39: "ENOTEMPTY",
};

/** `strerror`-style name of a raw result (`-2` → `"ENOENT"`), `"E?"` for an unknown one. */
export function errorName(result: number): string {
  return errnoName(result) ?? FS_NAMES[-result] ?? `E${-result}`;
}

/** The longest name of one directory entry (Linux NAME_MAX). */
export const NAME_MAX = 255;
/** The longest path accepted (Linux PATH_MAX). */
export const PATH_MAX = 4096;
/** The largest regular file, in bytes (a teaching limit; Linux's is the disk). */
export const FILE_MAX = 1 << 20;

/** What an inode is. */
export type InodeKind = "dir" | "file" | "exec" | "char";

/** A character device: the driver behind an inode of kind `"char"`. */
export interface CharDevice {
  /** Device name for listings (`"ttyS0"`). */
  readonly name: string;
  /**
   * Read up to `max` bytes. Returns the bytes, an empty array at end of input, or `null` when the
   * caller must wait (the syscall blocks on {@link CharDevice.waiters} and restarts).
   */
  read(max: number): Uint8Array | null;
  /** Write bytes; returns how many were taken. */
  write(bytes: Uint8Array): number;
  /** Threads parked in `read`, woken by the driver when input comes. */
  readonly waiters: { wakeToRetry(): void }[];
}

/** One inode. Fields that do not apply to its kind are left empty. */
export class Inode {
  /** Directory entries that name this inode. */
  links = 0;
  /** Regular file: its bytes are `data[0, size)`. */
  data: Uint8Array = new Uint8Array(0);
  size = 0;
  /** Directory: entries by name. */
  readonly entries = new Map<string, Inode>();
  /** Directory: the parent (the root is its own). */
  parent: Inode;

  constructor(
    /** Inode number, unique in the file system. */
    readonly ino: number,
    readonly kind: InodeKind,
    /** Executable: the image name in the program registry. */
    readonly image: string = "",
    /** Character device: its driver. */
    readonly device: CharDevice | null = null,
  ) {
    this.parent = this;
  }

  /** The `d_type` of `getdents64` (`<dirent.h>`: DT_CHR 2, DT_DIR 4, DT_REG 8). */
  get dtype(): number {
    return this.kind === "dir" ? 4 : this.kind === "char" ? 2 : 8;
  }
}

/** A successful lookup, or the errno that refused it. */
export type Lookup = Inode | number;

/**
 * The file system.
 *
 * @example
 * ```ts
 * const fs = new Vfs();
 * fs.mkdir("/tmp");
 * const f = fs.create("/tmp/a.txt");   // an Inode, or -errno
 * fs.unlink("/tmp/a.txt");             // 0
 * fs.lookup("/tmp/a.txt");             // -Errno.ENOENT
 * ```
 */
export class Vfs {
  private nextIno = 1;
  /** The root directory (ino 1). */
  readonly root: Inode;

  constructor() {
    this.root = new Inode(this.nextIno++, "dir");
    this.root.links = 1; // the mount's reference
  }

  /** Split a path into components, refusing bad ones; -errno for an unusable path. */
  private components(path: string): string[] | number {
    if (path.length === 0) return -Errno.ENOENT;
    if (path.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    for (const p of parts) if (p.length > NAME_MAX) return -Errno.ENAMETOOLONG;
    return parts;
  }

  /** Walk `parts` from the root; `..` goes to the parent. */
  private walk(parts: readonly string[]): Lookup {
    let node = this.root;
    for (const p of parts) {
      if (node.kind !== "dir") return -Errno.ENOTDIR;
      if (p === "..") {
        node = node.parent;
        continue;
      }
      const next = node.entries.get(p);
      if (next === undefined) return -Errno.ENOENT;
      node = next;
    }
    return node;
  }

  /** The inode at `path` (absolute; a relative path starts at `/`), or -ENOENT/-ENOTDIR/-ENAMETOOLONG. */
  lookup(path: string): Lookup {
    const parts = this.components(path);
    return typeof parts === "number" ? parts : this.walk(parts);
  }

  /** The directory that would hold `path`'s last component, and that component. */
  private parentOf(path: string): { dir: Inode; name: string } | number {
    const parts = this.components(path);
    if (typeof parts === "number") return parts;
    const name = parts.pop();
    if (name === undefined || name === "..") return -Errno.EEXIST; // "/" or ".." always exist
    const dir = this.walk(parts);
    if (typeof dir === "number") return dir;
    if (dir.kind !== "dir") return -Errno.ENOTDIR;
    return { dir, name };
  }

  private link(dir: Inode, name: string, node: Inode): Inode {
    dir.entries.set(name, node);
    node.links++;
    if (node.kind === "dir") node.parent = dir;
    return node;
  }

  private add(path: string, make: () => Inode): Lookup {
    const at = this.parentOf(path);
    if (typeof at === "number") return at;
    if (at.dir.entries.has(at.name)) return -Errno.EEXIST;
    return this.link(at.dir, at.name, make());
  }

  /** mkdir(2): a new empty directory; -EEXIST, -ENOENT (no parent), -ENOTDIR. */
  mkdir(path: string): Lookup {
    return this.add(path, () => new Inode(this.nextIno++, "dir"));
  }

  /** A new empty regular file (open with O_CREAT); -EEXIST when the name is taken. */
  create(path: string): Lookup {
    return this.add(path, () => new Inode(this.nextIno++, "file"));
  }

  /** Install an executable that names program `image` (how `/bin` is populated at boot). */
  installProgram(path: string, image: string): Lookup {
    return this.add(path, () => new Inode(this.nextIno++, "exec", image));
  }

  /** mknod(2) for a character device. */
  mknod(path: string, device: CharDevice): Lookup {
    return this.add(path, () => new Inode(this.nextIno++, "char", "", device));
  }

  /** unlink(2): remove a non-directory's name; -EISDIR for a directory (Linux's answer). */
  unlink(path: string): number {
    const at = this.parentOf(path);
    if (typeof at === "number") return at === -Errno.EEXIST ? -Errno.EISDIR : at;
    const node = at.dir.entries.get(at.name);
    if (node === undefined) return -Errno.ENOENT;
    if (node.kind === "dir") return -Errno.EISDIR;
    at.dir.entries.delete(at.name);
    node.links--;
    return 0;
  }

  /** rmdir(2): remove an empty directory; -ENOTEMPTY, -ENOTDIR, -EBUSY for `/`. */
  rmdir(path: string): number {
    const at = this.parentOf(path);
    if (typeof at === "number") return at === -Errno.EEXIST ? -Errno.EBUSY : at;
    const node = at.dir.entries.get(at.name);
    if (node === undefined) return -Errno.ENOENT;
    if (node.kind !== "dir") return -Errno.ENOTDIR;
    if (node.entries.size > 0) return -Errno.ENOTEMPTY;
    at.dir.entries.delete(at.name);
    node.links--;
    return 0;
  }

  /** A directory's entries in name order, `.` and `..` first (as `ls -a` shows them). */
  readdir(dir: Inode): { name: string; node: Inode }[] {
    const names = [...dir.entries.keys()].sort();
    return [
      { name: ".", node: dir },
      { name: "..", node: dir.parent },
      ...names.map((name) => ({ name, node: dir.entries.get(name)! })),
    ];
  }

  /** Inodes in use and bytes held by regular files (for `free` and the summary). */
  usage(): { inodes: number; bytes: number } {
    let inodes = 0;
    let bytes = 0;
    const visit = (n: Inode): void => {
      inodes++;
      bytes += n.data.length;
      for (const c of n.entries.values()) visit(c);
    };
    visit(this.root);
    return { inodes, bytes };
  }

  /**
   * Check the banner's invariants.
   * @throws Error naming the first broken one.
   */
  checkInvariants(): void {
    const counted = new Map<Inode, number>([[this.root, 1]]);
    const seenDirs = new Set<Inode>();
    const visit = (dir: Inode): void => {
      if (seenDirs.has(dir)) throw new Error(`vfs: directory ino ${dir.ino} reachable twice (cycle)`);
      seenDirs.add(dir);
      for (const [name, n] of dir.entries) {
        if (name.length === 0 || name.length > NAME_MAX || name.includes("/") || name.includes("\0"))
          throw new Error(`vfs: bad name ${JSON.stringify(name)} in ino ${dir.ino}`);
        counted.set(n, (counted.get(n) ?? 0) + 1);
        if (n.kind === "dir") {
          if (n.parent !== dir) throw new Error(`vfs: ino ${n.ino}'s parent is not the directory naming it`);
          visit(n);
        }
        if (n.size > n.data.length) throw new Error(`vfs: ino ${n.ino} size ${n.size} > buffer`);
      }
    };
    visit(this.root);
    for (const [n, c] of counted) {
      if (n.links !== c) throw new Error(`vfs: ino ${n.ino} has links=${n.links} but ${c} entries name it`);
    }
  }
}
