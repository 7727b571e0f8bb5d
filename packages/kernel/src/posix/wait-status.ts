/**
 * The wait status word: how `waitpid` tells a parent how its child ended.
 *
 * Linux's encoding (`<bits/waitstatus.h>`), which the POSIX macros decode:
 *
 * ```
 *   exited with code c:   (c & 0xff) << 8          exit(3)          → 0x0300
 *   killed by signal s:   s | 0x80 if core dumped  SIGSEGV + core   → 0x008b ; SIGKILL → 0x0009
 *   stopped by signal s:  (s << 8) | 0x7f          SIGSTOP          → 0x137f   (WUNTRACED)
 *   continued:            0xffff                                                (WCONTINUED)
 *
 *   WIFEXITED(w)   = (w & 0x7f) == 0       WEXITSTATUS(w) = (w >> 8) & 0xff
 *   WIFSIGNALED(w) = (w & 0x7f) ∉ {0, 0x7f} WTERMSIG(w)   = w & 0x7f      WCOREDUMP(w) = w & 0x80
 *   WIFSTOPPED(w)  = (w & 0xff) == 0x7f    WSTOPSIG(w)    = (w >> 8) & 0xff
 *   WIFCONTINUED(w) = w == 0xffff
 * ```
 *
 * Related: `process.ts` (where a zombie keeps its status), `process-calls.ts` (waitpid).
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
export const WIFSIGNALED = (w: number): boolean => (w & 0x7f) !== 0 && (w & 0x7f) !== 0x7f;
/** POSIX `WIFSTOPPED`. */
export const WIFSTOPPED = (w: number): boolean => (w & 0xff) === 0x7f;
/** POSIX `WSTOPSIG`. */
export const WSTOPSIG = (w: number): number => (w >> 8) & 0xff;
/** POSIX `WIFCONTINUED`. */
export const WIFCONTINUED = (w: number): boolean => w === 0xffff;
/** Status of a child stopped by `sig` (reported with WUNTRACED). */
export function stoppedStatus(sig: number): number {
  return ((sig & 0xff) << 8) | 0x7f;
}
/** Status of a continued child (reported with WCONTINUED). */
export const CONTINUED_STATUS = 0xffff;
/** POSIX `WTERMSIG`. */
export const WTERMSIG = (w: number): number => w & 0x7f;
/** `WCOREDUMP` (an XSI extension, in glibc). */
export const WCOREDUMP = (w: number): boolean => (w & 0x80) !== 0;
