/**
 * Error numbers: how a system call says "no" to a program.
 *
 * A refused system call never throws inside the kernel (that tier of failure is for misuse of the
 * library by its host code). It returns `-errno` in the result register, the Linux raw-syscall
 * convention: results >= 0 are successes (an mmap address reaches 2^47), -1..-4095 are errors
 * (Linux's `IS_ERR_VALUE` window). The numbers are Linux x86-64's (`asm-generic/errno-base.h`, `errno.h`), so a trace reads
 * like strace output, and the names and meanings are POSIX.1-2008's (`<errno.h>`).
 *
 * Related: `decl.ts` (argument checks that produce EINVAL/EFAULT/EBADF), `../posix/` (the rest).
 */

/** POSIX error numbers, with Linux x86-64 values. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  EOVERFLOW: 75,
  ETIMEDOUT: 110,
} as const;

/** The name of an error, such as `"EFAULT"`. */
export type ErrnoName = keyof typeof Errno;

/** Largest magnitude that is an error result; anything below `-MAX_ERRNO` is a (negative) value. */
export const MAX_ERRNO = 4095;

const names = new Map<number, ErrnoName>(
  (Object.entries(Errno) as [ErrnoName, number][]).map(([k, v]) => [v, k]),
);

/** Whether a raw system-call result is an error (`-4095..-1`). */
export function isError(result: number): boolean {
  return result < 0 && result >= -MAX_ERRNO;
}

/**
 * The name of the error in a raw result, or `null` when the result is a success.
 * @example
 * ```ts
 * errnoName(-Errno.EFAULT); // "EFAULT"
 * errnoName(42);            // null
 * ```
 */
export function errnoName(result: number): ErrnoName | null {
  if (!isError(result)) return null;
  return names.get(-result) ?? null;
}

/**
 * A printable name for a raw error result, for messages: the {@link errnoName}, or `E<n>` for a
 * number outside {@link Errno} (a personality's own error).
 * @example
 * ```ts
 * errorName(-Errno.ENOTEMPTY); // "ENOTEMPTY"
 * errorName(-99);              // "E99"
 * ```
 */
export function errorName(result: number): string {
  return errnoName(result) ?? `E${-result}`;
}
