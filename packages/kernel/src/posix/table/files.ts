/**
 * The file calls: read, write, close, fstat, lseek, pipe, dup, dup2, fcntl; the fcntl commands, the descriptor flag, lseek's whence values and the size of `struct stat`.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../file-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { i64, syscallGroup } from "./group.js";

/**
 * `fcntl` commands (`<fcntl.h>`, Linux values): duplicating a descriptor at or above a number
 * (F_DUPFD, and F_DUPFD_CLOEXEC = F_LINUX_SPECIFIC_BASE 1024 + 6, which POSIX 2008 adopted), the
 * descriptor's flags (FD_CLOEXEC) and the open file description's status flags (`StatusFlags`:
 * O_APPEND, O_NONBLOCK). The locks are not provided.
 */
export const FcntlCmd = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
} as const;
/** The one descriptor flag (`<fcntl.h>`): close the descriptor at exec. */
export const FD_CLOEXEC = 1;
/** `lseek` whence values (`<unistd.h>`). */
export const Whence = { SEEK_SET: 0, SEEK_CUR: 1, SEEK_END: 2 } as const;
/** Bytes of Linux x86-64's `struct stat` (what `fstat` writes; layout in `../file-calls.ts`, `encodeStat`). */
export const STAT_BYTES = 144;

/** The declarations of this group, for `posixSyscalls`. */
export const fileDecls = syscallGroup({
  read: {
    nr: 0,
    args: [
      arg.fd("fd", { doc: "descriptor open for reading" }),
      arg.ptr("buf", { access: "out", len: "count", doc: "where the bytes go" }),
      arg.size("count", { doc: "most bytes to read" }),
    ],
    result: "size",
    blocks: true,
    doc: "Read up to `count` bytes through the open file's read operation. A pipe with no data blocks until a writer writes or the last writer closes (then 0, end of file). A file may also give a waiting read a deadline (FileOperations.readDeadline: a terminal's VTIME), when it runs again though nothing woke it, and may hand a waiting read its bytes as they come (FileOperations.takeWhileWaiting: a terminal's MIN, as Linux's n_tty_read): a signal then ends the read with the count so far. The console has no input and returns 0. A read of the caller's controlling terminal from a background process group sends SIGTTIN to the group and runs again after it (POSIX 11.1.4): the group stops, and reads once it is continued in the foreground.",
    errors: {
      EBADF: "fd not open for reading",
      EFAULT:
        "buf not writable (checked first: nothing is consumed; a buffer writable only in part gets a short read)",
      EINTR: "a handler ran before any data came",
      EAGAIN:
        "no data (none taken either), and the file has nowhere to wait (no read wait list) or is O_NONBLOCK",
      EIO: "a background read of the controlling terminal while SIGTTIN is blocked or ignored, or from an orphaned group",
    },
  },
  write: {
    nr: 1,
    args: [
      arg.fd("fd", { doc: "descriptor open for writing" }),
      arg.ptr("buf", { access: "in", len: "count", doc: "the bytes" }),
      arg.size("count", { doc: "bytes to write" }),
    ],
    result: "size",
    blocks: true,
    doc: "Write `count` bytes. A pipe write blocks until every byte is in (writes of at most PIPE_BUF = 4096 bytes are atomic: never interleaved with other writers); a signal ends it early with the count written so far, or EINTR if none. A pipe with no reader raises SIGPIPE and returns EPIPE (or the count already written). A terminal whose output is stopped (^S under IXON) takes what fits in its transmit buffer and the write waits for the rest until output restarts, as n_tty_write. With the terminal's TOSTOP mode set, a write of the caller's controlling terminal from a background process group sends SIGTTOU to the group and runs again after it (POSIX 11.1.4), unless the caller blocks or ignores SIGTTOU (then it writes).",
    errors: {
      EBADF: "fd not open for writing",
      EFAULT: "buf not readable",
      EIO: "TOSTOP is set and the caller's background group is orphaned (nobody would continue it)",
      EPIPE: "no reader left",
      EINTR: "a handler ran before any byte was written",
      EAGAIN: "no room, and the file has nowhere to wait (no write wait list) or is O_NONBLOCK",
    },
  },
  close: {
    nr: 3,
    args: [arg.fd("fd", { doc: "descriptor to close" })],
    result: "zero",
    doc: "Release a descriptor; the open file behind it is released (a pipe end closes, a file system lets go of its inode) when its last descriptor goes, by close, exit or exec of an FD_CLOEXEC descriptor.",
    errors: { EBADF: "fd not open" },
  },
  fstat: {
    nr: 5,
    args: [
      arg.fd("fd", { doc: "an open descriptor" }),
      arg.ptr("statbuf", { access: "out", len: STAT_BYTES, doc: "a Linux x86-64 struct stat (144 bytes)" }),
    ],
    result: "zero",
    doc: "Describe the open file: st_ino, st_nlink, st_mode (file type and permission bits), st_size, st_blksize and st_blocks of Linux's struct stat; the other fields are 0. What the file's own stat operation reports.",
    errors: { EBADF: "fd not open", EFAULT: "statbuf not writable" },
  },
  lseek: {
    nr: 8,
    args: [
      arg.fd("fd", { doc: "an open, seekable file" }),
      arg.int("offset", { ...i64, doc: "bytes (for a directory: entries)" }),
      arg.int("whence", { min: 0, max: 2, doc: "SEEK_SET, SEEK_CUR or SEEK_END" }),
    ],
    result: "int",
    doc: "Move the position of the open file description (shared by dup and fork); returns the new position. Pipes and the console are not seekable.",
    errors: {
      EBADF: "fd not open",
      ESPIPE: "fd is a pipe, the console or another unseekable file",
      EINVAL: "the position would be negative",
    },
  },
  pipe: {
    nr: 22,
    args: [arg.ptr("fds", { access: "out", len: 8, doc: "two int32: read end, write end" })],
    result: "zero",
    doc: "Create a pipe (4 KiB buffer) and store its two descriptors.",
    errors: { EMFILE: "descriptor table full", EFAULT: "fds not writable (no descriptor is left open)" },
  },
  dup: {
    nr: 32,
    args: [arg.fd("fd", { doc: "descriptor to copy" })],
    result: "fd",
    doc: "A new descriptor (the lowest free) for the same open file.",
    errors: { EBADF: "fd not open", EMFILE: "table full" },
  },
  dup2: {
    nr: 33,
    args: [
      arg.fd("oldfd", { doc: "descriptor to copy" }),
      arg.fd("newfd", { doc: "the descriptor number it gets" }),
    ],
    result: "fd",
    doc: "Make `newfd` refer to the open file of `oldfd`, closing what `newfd` held first (silently); FD_CLOEXEC of `newfd` is cleared. When `oldfd` equals `newfd` and is open, returns it and changes nothing. Returns `newfd`.",
    errors: { EBADF: "oldfd not open, or newfd outside 0..63 (the table's size)" },
  },
  fcntl: {
    nr: 72,
    args: [
      arg.fd("fd", { doc: "an open descriptor" }),
      arg.int("cmd", { doc: "F_DUPFD 0, F_GETFD 1, F_SETFD 2, F_GETFL 3, F_SETFL 4, F_DUPFD_CLOEXEC 1030" }),
      arg.int("arg", {
        doc: "F_DUPFD, F_DUPFD_CLOEXEC: the lowest descriptor wanted; F_SETFD: FD_CLOEXEC or 0; F_SETFL: O_APPEND and O_NONBLOCK (other bits ignored); else unused",
      }),
    ],
    result: "int",
    doc: "F_DUPFD returns a new descriptor for the same open file description, the lowest free one not below arg, with FD_CLOEXEC clear (F_DUPFD_CLOEXEC: set). F_GETFD/F_SETFD read and set the descriptor's FD_CLOEXEC (its own: dup clears it, fork copies it). F_GETFL returns the open file description's access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2) ORed with its status flags; F_SETFL sets O_APPEND (each write goes to the end of the file) and O_NONBLOCK (a read or write that would wait returns EAGAIN, or the count moved so far), ignoring the access mode and other bits, as Linux. Status flags belong to the description: every descriptor dup'd from it, in this process or a forked one, sees the change (POSIX fcntl).",
    errors: {
      EBADF: "fd not open",
      EINVAL:
        "cmd is none of the six, or F_DUPFD/F_DUPFD_CLOEXEC's arg is negative or not below 64 (the table's size)",
      EMFILE: "F_DUPFD/F_DUPFD_CLOEXEC: every descriptor from arg to 63 is open",
    },
  },
});
