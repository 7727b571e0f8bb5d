/**
 * Inodes of the in-memory file system, and the limits it shares with its callers (its error
 * numbers are the kernel's `Errno`: ENOTDIR, EISDIR, EFBIG, ENOSPC, ENOTEMPTY among them).
 *
 * An {@link Inode} is one file, directory, program or device; its record lives in a 32-byte
 * object of the slab cache `inode_cache` and its bytes in whole frames (see `vfs.ts` for the
 * layout and the tree). A character device is a driver behind the {@link CharDevice} interface
 * (`serial.ts` is one).
 *
 * Related: `vfs.ts` (the tree that holds inodes), `file.ts` (open files).
 */
import type { TerminalControl } from "@osbricks/kernel";
import type { FrameAllocator, FrameMemory } from "@osbricks/vm";

/** The longest name of one directory entry (Linux NAME_MAX). */
export const NAME_MAX = 255;
/** The longest path accepted (Linux PATH_MAX). */
export const PATH_MAX = 4096;
/** The largest regular file, in bytes (a teaching limit; Linux's is the disk). */
export const FILE_MAX = 1 << 20;
/** Bytes of one page of file data. */
export const FS_PAGE = 4096;
/** Bytes of the in-RAM inode record (its layout is drawn in vfs.ts's banner). */
export const INODE_BYTES = 32;

/** Where the file system keeps itself: RAM frames for file data, a slab cache for inode records. */
export interface FsBacking {
  readonly memory: Pick<FrameMemory, "frameBytes" | "zeroFrame">;
  /** File data frames come from here. */
  readonly frames: Pick<FrameAllocator, "allocFrame" | "freeFrame">;
  /** Inode records: a slab cache of {@link INODE_BYTES}-byte objects (addresses are physical). */
  readonly inodes: { alloc(): number | null; free(addr: number): void };
}

/** The kind byte of an inode record. */
export const KIND_CODE = { dir: 1, file: 2, exec: 3, char: 4 } as const;

/** What an inode is. */
export type InodeKind = "dir" | "file" | "exec" | "char";

/** A character device: the driver behind an inode of kind `"char"`. */
export interface CharDevice {
  /** Device name for listings (`"ttyS0"`). */
  readonly name: string;
  /**
   * Read up to `max` bytes. Returns the bytes, an empty array at end of input, or `null` when the
   * caller must wait (the syscall blocks on {@link CharDevice.waiters} and restarts).
   * @param now the simulated time of the call (cycles); `since`: when this read first began;
   *   `done`: bytes it already took while waiting (the kernel's `FileOperations.read`). Drivers
   *   that do not time reads ignore them.
   */
  read(max: number, now?: number, since?: number, done?: number): Uint8Array | null;
  /**
   * When a read that must wait should run again anyway (cycles), +Infinity for never; optional.
   * `done`: the bytes it already took while waiting ({@link CharDevice.takeWhileWaiting}).
   */
  readDeadline?(now: number, since: number, done?: number): number;
  /** The bytes a read that waits takes as they come (kernel `FileOperations.takeWhileWaiting`); optional. */
  takeWhileWaiting?(max: number): Uint8Array;
  /** Write bytes; returns how many were taken. */
  write(bytes: Uint8Array): number;
  /** Threads parked in `read`, woken by the driver when input comes. */
  readonly waiters: { wakeToRetry(): void }[];
  /**
   * Threads parked in `write` for room (a terminal whose output is stopped, its buffer full),
   * woken by the driver when there is room again; absent for a device whose writes never wait.
   */
  readonly writeWaiters?: { wakeToRetry(): void }[];
  /** A terminal's job-control state (foreground group, controlling session); absent for other devices. */
  readonly tty?: TerminalControl;
}

/** One inode. Fields that do not apply to its kind are left empty. */
export class Inode {
  /** Directory entries that name this inode. */
  links = 0;
  /** Open file descriptions that hold it (see `VfsFile.release`). */
  opens = 0;
  /** Regular file: its length in bytes. */
  size = 0;
  /** Regular file: the frame of each page, 0 for a hole. */
  pages: number[] = [];
  /** Physical address of its record in the inode slab cache, 0 once freed. */
  record = 0;
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
