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
 * It lives in the machine's RAM, as Linux's ramfs lives in the page cache (`mount` attaches it):
 *
 * ```
 *   struct inode (32 B, from the slab cache "inode_cache")     file data: whole frames
 *   +0  ino    u32   +4 kind u8 (1 dir, 2 file, 3 exec, 4 char)  Inode.pages[i] = frame holding
 *   +6  links  u16   +8 size u64                                  bytes [4096 i, 4096 (i+1));
 *   +16 pages  u32 (frames held)  +20 opens u32                   0 = a hole (reads as zeros)
 * ```
 *
 * An inode and its frames are freed when its last name is gone and no open file holds it (POSIX
 * unlink semantics). `unmount` frees everything, so the kernel's leak check at halt covers it.
 *
 * Invariants (`checkInvariants`): every directory entry names a live inode whose `links` counts
 * exactly the entries that point at it; a directory has one entry (its parent's), so the tree has
 * no hard-linked directories and no cycles; names are 1..255 bytes without `/` or NUL; a file
 * holds no frame past its size; every live inode's record in RAM matches it; the frames and slab
 * objects held are exactly those of live inodes (tree or still open).
 *
 * Semantics kept from POSIX: unlinking an open file removes its name only, and the open file keeps
 * reading and writing the inode until its last descriptor closes (its frames and record are
 * freed then); `rmdir` refuses a non-empty directory (ENOTEMPTY) and a final `.` (EINVAL); a path
 * component that is not a directory is ENOTDIR, and so is a trailing slash or a `.` after a
 * file's name (XBD 4.13: "/f/" resolves only if f is a directory). Simplified: no permissions, no cwd (relative paths resolve from `/`), no
 * symlinks, no hard links to directories.
 *
 * Related: `file.ts` (open file descriptions: offsets and flags), `syscalls.ts` (the calls).
 */
import { Errno } from "@osbricks/kernel";
import {
  type CharDevice,
  FILE_MAX,
  FS_PAGE,
  type FsBacking,
  Inode,
  type InodeKind,
  KIND_CODE,
  NAME_MAX,
  PATH_MAX,
} from "./inode.js";

export * from "./inode.js";

export type Lookup = Inode | number;

/**
 * The file system.
 *
 * @example
 * ```ts
 * const fs = new Vfs();
 * fs.mount(backing);                   // RAM frames and an inode slab cache (see FsBacking)
 * fs.mkdir("/tmp");
 * const f = fs.create("/tmp/a.txt");   // an Inode, or -errno
 * fs.unlink("/tmp/a.txt");             // 0
 * fs.lookup("/tmp/a.txt");             // -Errno.ENOENT
 * ```
 */
export class Vfs {
  private nextIno = 1;
  private backing: FsBacking | null = null;
  /** Inodes with no name left but still open (freed at their last release, or at unmount). */
  private readonly orphans = new Set<Inode>();
  /** The root directory (ino 1). */
  readonly root: Inode;

  constructor() {
    this.root = new Inode(this.nextIno++, "dir");
    this.root.links = 1; // the mount's reference
  }

  /**
   * Attach the file system to RAM: its root's record is allocated now, everything else as made.
   * @throws Error when already mounted or when the slab has no room for the root.
   */
  mount(backing: FsBacking): void {
    if (this.backing !== null) throw new Error("Vfs.mount: already mounted");
    this.backing = backing;
    const rec = backing.inodes.alloc();
    if (rec === null) throw new Error("Vfs.mount: no memory for the root inode");
    this.root.record = rec;
    this.writeRecord(this.root);
  }

  private get ram(): FsBacking {
    if (this.backing === null) throw new Error("Vfs: not mounted (call mount first)");
    return this.backing;
  }

  /** Store an inode's record in its slab object (little-endian, see the banner). */
  private writeRecord(n: Inode): void {
    const { memory } = this.ram;
    const pfn = Math.floor(n.record / FS_PAGE);
    const dv = new DataView(memory.frameBytes(pfn).buffer, memory.frameBytes(pfn).byteOffset);
    const off = n.record % FS_PAGE;
    dv.setUint32(off, n.ino, true);
    dv.setUint8(off + 4, KIND_CODE[n.kind]);
    dv.setUint16(off + 6, Math.min(n.links, 0xffff), true);
    dv.setBigUint64(off + 8, BigInt(n.size), true);
    dv.setUint32(off + 16, n.pages.filter((p) => p !== 0).length, true);
    dv.setUint32(off + 20, n.opens, true);
  }

  private readRecord(n: Inode): [number, number, number, number, number, number] {
    const bytes = this.ram.memory.frameBytes(Math.floor(n.record / FS_PAGE));
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const off = n.record % FS_PAGE;
    return [
      dv.getUint32(off, true),
      dv.getUint8(off + 4),
      dv.getUint16(off + 6, true),
      Number(dv.getBigUint64(off + 8, true)),
      dv.getUint32(off + 16, true),
      dv.getUint32(off + 20, true),
    ];
  }

  /** A fresh inode with its record, or -ENOSPC when the slab cache has no memory. */
  private make(kind: InodeKind, image = "", device: CharDevice | null = null): Inode | number {
    const rec = this.ram.inodes.alloc();
    if (rec === null) return -Errno.ENOSPC;
    const n = new Inode(this.nextIno++, kind, image, device);
    n.record = rec;
    return n;
  }

  /** Give back an inode's frames and record (its last name and last open are gone). */
  private destroy(n: Inode): void {
    const { frames, inodes } = this.ram;
    for (const pfn of n.pages) if (pfn !== 0) frames.freeFrame(pfn);
    n.pages = [];
    n.size = 0;
    if (n.record !== 0) inodes.free(n.record);
    n.record = 0;
    this.orphans.delete(n);
  }

  /** A name of `n` was removed: free it now, or when its last open file is released. */
  private dropped(n: Inode): void {
    if (n.links > 0 || n.opens > 0) {
      if (n.links === 0) this.orphans.add(n);
      this.writeRecord(n);
    } else this.destroy(n);
  }

  /** An open file description of `n` was created (open). */
  opened(n: Inode): void {
    n.opens++;
    this.writeRecord(n);
  }

  /** An open file description of `n` was released (the kernel closed its last descriptor). */
  released(n: Inode): void {
    if (n.opens <= 0) throw new Error(`Vfs.released(ino ${n.ino}): not open`);
    n.opens--;
    if (n.links === 0 && n.opens === 0) this.destroy(n);
    else if (n.record !== 0) this.writeRecord(n);
  }

  /**
   * Copy `length` bytes of file `n` from `offset` (clipped at the size; holes read as zeros).
   */
  readAt(n: Inode, offset: number, length: number): Uint8Array {
    const end = Math.min(n.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const { memory } = this.ram;
    for (let at = offset; at < end; ) {
      const page = Math.floor(at / FS_PAGE);
      const inPage = at % FS_PAGE;
      const n1 = Math.min(FS_PAGE - inPage, end - at);
      const pfn = n.pages[page] ?? 0;
      if (pfn !== 0) out.set(memory.frameBytes(pfn).subarray(inPage, inPage + n1), at - offset);
      at += n1;
    }
    return out;
  }

  /**
   * Write `bytes` into file `n` at `offset`, taking zeroed frames for pages not yet backed.
   * Returns the bytes written: fewer than asked (at least one) when RAM ran out midway or the
   * write reaches {@link FILE_MAX} (POSIX write: "only as many bytes as there is room for shall
   * be written"), -ENOSPC when not even one byte fit in RAM, -EFBIG when `offset` is at or past
   * FILE_MAX already (Linux's generic_write_checks).
   */
  writeAt(n: Inode, offset: number, data: Uint8Array): number {
    if (data.length > 0 && offset >= FILE_MAX) return -Errno.EFBIG;
    const bytes = offset + data.length > FILE_MAX ? data.subarray(0, FILE_MAX - offset) : data;
    const { memory, frames } = this.ram;
    let done = 0;
    while (done < bytes.length) {
      const at = offset + done;
      const page = Math.floor(at / FS_PAGE);
      const inPage = at % FS_PAGE;
      const n1 = Math.min(FS_PAGE - inPage, bytes.length - done);
      let pfn = n.pages[page] ?? 0;
      if (pfn === 0) {
        const got = frames.allocFrame();
        if (got === null) break;
        memory.zeroFrame(got);
        while (n.pages.length <= page) n.pages.push(0);
        n.pages[page] = pfn = got;
      }
      memory.frameBytes(pfn).set(bytes.subarray(done, done + n1), inPage);
      done += n1;
    }
    if (done === 0 && bytes.length > 0) return -Errno.ENOSPC;
    if (offset + done > n.size) n.size = offset + done;
    this.writeRecord(n);
    return done;
  }

  /** O_TRUNC: the file becomes empty and its frames go back. */
  truncate(n: Inode): void {
    const { frames } = this.ram;
    for (const pfn of n.pages) if (pfn !== 0) frames.freeFrame(pfn);
    n.pages = [];
    n.size = 0;
    this.writeRecord(n);
  }

  /**
   * Split a path into components, refusing bad ones; -errno for an unusable path. `dirOnly`: the
   * path ends in a slash, so it must name a directory (POSIX XBD 4.13: "/f/" for a file is ENOTDIR).
   */
  private components(path: string): { parts: string[]; dirOnly: boolean } | number {
    if (path.length === 0) return -Errno.ENOENT;
    if (path.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
    const parts = path.split("/").filter((p) => p !== "");
    for (const p of parts) if (p.length > NAME_MAX) return -Errno.ENAMETOOLONG;
    return { parts, dirOnly: parts.length > 0 && path.endsWith("/") };
  }

  /** Walk `parts` from the root; `.` stays (in a directory only), `..` goes to the parent. */
  private walk(parts: readonly string[]): Lookup {
    let node = this.root;
    for (const p of parts) {
      if (node.kind !== "dir") return -Errno.ENOTDIR;
      if (p === ".") continue;
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
    const c = this.components(path);
    if (typeof c === "number") return c;
    const node = this.walk(c.parts);
    return typeof node !== "number" && c.dirOnly && node.kind !== "dir" ? -Errno.ENOTDIR : node;
  }

  /**
   * The directory that would hold `path`'s last component, and that component (`.` or `..` as
   * given: each caller says what they mean for it), or -errno for the way there. -EEXIST for `/`.
   */
  private parentOf(path: string): { dir: Inode; name: string; dirOnly: boolean } | number {
    const c = this.components(path);
    if (typeof c === "number") return c;
    const name = c.parts.pop();
    if (name === undefined) return -Errno.EEXIST; // "/" always exists
    const dir = this.walk(c.parts);
    if (typeof dir === "number") return dir;
    if (dir.kind !== "dir") return -Errno.ENOTDIR;
    return { dir, name, dirOnly: c.dirOnly };
  }

  private add(path: string, kind: InodeKind, image = "", device: CharDevice | null = null): Lookup {
    const at = this.parentOf(path);
    if (typeof at === "number") return at;
    if (at.name === "." || at.name === ".." || at.dir.entries.has(at.name)) return -Errno.EEXIST;
    if (at.dirOnly && kind !== "dir") return -Errno.EISDIR; // open("new/", O_CREAT): Linux's answer
    const node = this.make(kind, image, device);
    if (typeof node === "number") return node;
    at.dir.entries.set(at.name, node);
    node.links++;
    if (node.kind === "dir") node.parent = at.dir;
    this.writeRecord(node);
    return node;
  }

  /** mkdir(2): a new empty directory; -EEXIST, -ENOENT (no parent), -ENOTDIR, -ENOSPC. */
  mkdir(path: string): Lookup {
    return this.add(path, "dir");
  }

  /** A new empty regular file (open with O_CREAT); -EEXIST when the name is taken. */
  create(path: string): Lookup {
    return this.add(path, "file");
  }

  /** Install an executable that names program `image` (how `/bin` is populated at boot). */
  installProgram(path: string, image: string): Lookup {
    return this.add(path, "exec", image);
  }

  /** mknod(2) for a character device. */
  mknod(path: string, device: CharDevice): Lookup {
    return this.add(path, "char", "", device);
  }

  /** unlink(2): remove a non-directory's name; -EISDIR for a directory (Linux's answer). */
  unlink(path: string): number {
    const at = this.parentOf(path);
    if (typeof at === "number") return at === -Errno.EEXIST ? -Errno.EISDIR : at;
    if (at.name === "." || at.name === "..") return -Errno.EISDIR;
    const node = at.dir.entries.get(at.name);
    if (node === undefined) return -Errno.ENOENT;
    if (node.kind === "dir") return -Errno.EISDIR;
    if (at.dirOnly) return -Errno.ENOTDIR;
    at.dir.entries.delete(at.name);
    node.links--;
    this.dropped(node);
    return 0;
  }

  /**
   * rmdir(2): remove an empty directory; -ENOTEMPTY, -ENOTDIR, -EBUSY for `/`, -EINVAL for a
   * final `.` (POSIX), -ENOTEMPTY for a final `..` (Linux).
   */
  rmdir(path: string): number {
    const at = this.parentOf(path);
    if (typeof at === "number") return at === -Errno.EEXIST ? -Errno.EBUSY : at;
    if (at.name === ".") return -Errno.EINVAL;
    if (at.name === "..") return -Errno.ENOTEMPTY;
    const node = at.dir.entries.get(at.name);
    if (node === undefined) return -Errno.ENOENT;
    if (node.kind !== "dir") return -Errno.ENOTDIR;
    if (node.entries.size > 0) return -Errno.ENOTEMPTY;
    at.dir.entries.delete(at.name);
    node.links--;
    this.dropped(node);
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

  private live(): Inode[] {
    const out: Inode[] = [];
    const visit = (n: Inode): void => {
      out.push(n);
      for (const c of n.entries.values()) visit(c);
    };
    visit(this.root);
    return [...out, ...[...this.orphans].sort((a, b) => a.ino - b.ino)];
  }

  /** Live inodes (named or still open), bytes of file data, and frames holding them. */
  usage(): { inodes: number; bytes: number; frames: number; orphans: number } {
    let bytes = 0;
    let frames = 0;
    const all = this.live();
    for (const n of all) {
      bytes += n.size;
      for (const p of n.pages) if (p !== 0) frames++;
    }
    return { inodes: all.length, bytes, frames, orphans: this.orphans.size };
  }

  /** Free every inode and frame (shutdown), leaving an empty, unmounted file system. */
  unmount(): void {
    if (this.backing === null) return;
    for (const n of this.live()) this.destroy(n);
    this.root.entries.clear();
    this.backing = null;
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
      }
    };
    visit(this.root);
    for (const [n, c] of counted) {
      if (n.links !== c) throw new Error(`vfs: ino ${n.ino} has links=${n.links} but ${c} entries name it`);
    }
    const frames = new Set<number>();
    for (const n of this.live()) {
      if (n.pages.length > Math.ceil(n.size / FS_PAGE))
        throw new Error(`vfs: ino ${n.ino} holds ${n.pages.length} pages for ${n.size} bytes`);
      for (const p of n.pages) {
        if (p === 0) continue;
        if (frames.has(p)) throw new Error(`vfs: frame 0x${p.toString(16)} held twice`);
        frames.add(p);
      }
      if (this.backing === null) continue;
      if (n.record === 0) throw new Error(`vfs: live ino ${n.ino} has no record`);
      const [ino, kind, links, size, held, opens] = this.readRecord(n);
      const want = [
        n.ino,
        KIND_CODE[n.kind],
        n.links,
        n.size,
        n.pages.filter((p) => p !== 0).length,
        n.opens,
      ];
      if ([ino, kind, links, size, held, opens].some((v, i) => v !== want[i]))
        throw new Error(`vfs: ino ${n.ino}'s record [${[ino, kind, links, size, held, opens]}] != [${want}]`);
    }
    for (const n of this.orphans) {
      if (n.links !== 0 || n.opens === 0)
        throw new Error(`vfs: orphan ino ${n.ino} has links ${n.links}, opens ${n.opens}`);
    }
  }
}
