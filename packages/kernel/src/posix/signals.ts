/**
 * POSIX signals: numbers, default actions, dispositions and the pending/blocked bookkeeping.
 *
 * A signal is a bit. A process has a pending set (signals sent to the process: `kill`) and a
 * table of dispositions; each thread has its own pending set (signals it caused: SIGSEGV, SIGPIPE)
 * and its own blocked mask. Before a thread returns to user mode, the kernel looks for the lowest
 * deliverable signal (POSIX leaves the order open; Linux takes the lowest number first):
 *
 * ```
 *   deliverable = (thread.pending | process.pending) & ~thread.blocked
 *
 *   disposition   action
 *   SIG_IGN       drop it
 *   SIG_DFL       the default below: terminate, terminate with core, ignore, stop, continue
 *   handler       push a handler frame on the thread; blocked |= act.mask | bit(sig) (unless
 *                 SA_NODEFER); when the handler returns, the old mask comes back (sigreturn)
 * ```
 *
 * Bit n of a set is signal n (bit 0 unused), so `sigset = 1 << sig` fits 32 bits for NSIG = 32.
 * SIGKILL and SIGSTOP can be neither caught, ignored nor blocked (POSIX.1-2008 `sigaction`).
 *
 * Numbers and defaults: Linux x86-64 `signal(7)`.
 *
 * Related: `signal-calls.ts` (kill, sigaction, sigprocmask), `../kernel/kernel.ts` (delivery point).
 */

/** Signal numbers (Linux x86-64). */
export const Sig = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** What SIG_DFL does for a signal (signal(7)). */
export type DefaultAction = "term" | "core" | "ignore" | "stop" | "cont";

const CORE = new Set<number>([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
const IGNORE = new Set<number>([17, 23, 28]);
const STOP = new Set<number>([19, 20, 21, 22]);

/** The default action of `sig` (1..31). */
export function defaultAction(sig: number): DefaultAction {
  if (sig === Sig.SIGCONT) return "cont";
  if (CORE.has(sig)) return "core";
  if (IGNORE.has(sig)) return "ignore";
  if (STOP.has(sig)) return "stop";
  return "term";
}

/** The name of a signal number, e.g. `"SIGSEGV"`, or `"SIG<n>"`. */
export function signalName(sig: number): string {
  for (const [k, v] of Object.entries(Sig)) if (v === sig) return k;
  return `SIG${sig}`;
}

/** The one-signal set `{sig}`. */
export const sigbit = (sig: number): number => (1 << sig) >>> 0;

/** Signals that can never be blocked, caught or ignored. */
export const UNBLOCKABLE = (sigbit(Sig.SIGKILL) | sigbit(Sig.SIGSTOP)) >>> 0;

/** A signal's disposition: SIG_DFL (0), SIG_IGN (1) or a handler's code address, with its mask and flags. */
export interface SigAction {
  readonly handler: number;
  readonly mask: number;
  readonly flags: number;
}

/** The default disposition. */
export const SIGACTION_DEFAULT: SigAction = Object.freeze({ handler: 0, mask: 0, flags: 0 });

/**
 * The lowest signal in a set, or 0 when it is empty.
 * @example
 * ```ts
 * lowestSignal(0b1010_0000_0000); // bits 9 and 11 → 9 (SIGKILL)
 * ```
 */
export function lowestSignal(set: number): number {
  if (set === 0) return 0;
  return 31 - Math.clz32(set & -set);
}

/**
 * Whether a disposition means the signal is discarded at delivery: SIG_IGN, or SIG_DFL of a
 * signal whose default is to ignore it, SIGCONT's included (its "continue" acts when the signal is
 * generated; Linux's `sig_kernel_ignore` counts it), so such a signal interrupts no blocked call.
 */
export function isIgnored(act: SigAction, sig: number): boolean {
  if (act.handler === 1) return true;
  if (act.handler !== 0) return false;
  const d = defaultAction(sig);
  return d === "ignore" || d === "cont";
}
