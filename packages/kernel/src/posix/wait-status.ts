/**
 * The wait status word: how `waitpid` tells a parent how its child ended.
 *
 * Linux's encoding (`<bits/waitstatus.h>`), which the POSIX macros decode:
 *
 * ```
 *   exited with code c:   (c & 0xff) << 8          exit(3)          → 0x0300
 *   killed by signal s:   s | 0x80 if core dumped  SIGSEGV + core   → 0x008b ; SIGKILL → 0x0009
 *
 *   WIFEXITED(w)   = (w & 0x7f) == 0       WEXITSTATUS(w) = (w >> 8) & 0xff
 *   WIFSIGNALED(w) = (w & 0x7f) != 0       WTERMSIG(w)    = w & 0x7f      WCOREDUMP(w) = w & 0x80
 * ```
 *
 * Related: `process.ts` (where a zombie keeps its status), `syscalls.ts` (waitpid).
 */

/** Status of a process that called exit/exit_group with `code`. */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/** Status of a process killed by `sig`, with the core flag when the default action dumps core. */
export function signaledStatus(sig: number, core: boolean): number {
  return (sig & 0x7f) | (core ? 0x80 : 0);
}

/** POSIX `WIFEXITED`. */
export const WIFEXITED = (w: number): boolean => (w & 0x7f) === 0;
/** POSIX `WEXITSTATUS`. */
export const WEXITSTATUS = (w: number): number => (w >> 8) & 0xff;
/** POSIX `WIFSIGNALED`. */
export const WIFSIGNALED = (w: number): boolean => (w & 0x7f) !== 0;
/** POSIX `WTERMSIG`. */
export const WTERMSIG = (w: number): number => w & 0x7f;
/** `WCOREDUMP` (an XSI extension, in glibc). */
export const WCOREDUMP = (w: number): boolean => (w & 0x80) !== 0;
