/**
 * Silent replay: the slot through which a trap stub answers itself while fork rebuilds a child.
 *
 * fork by replay (`../kernel/fork.ts`) re-runs the parent's generator and feeds it every value
 * the parent was resumed with. Fed through `next(value)`, each value costs a full generator
 * resume: the program is suspended at the stub's `yield`, and the resume re-enters it through
 * every level of `yield*`. But a stub does not need to be suspended to learn its result during a
 * replay: the result is already recorded. So every stub first asks the replay cursor, and if a
 * recorded value is waiting it returns that value at once, without yielding; the program runs on
 * inside the same `next()` call, and the whole replay of a stub-only program is one call:
 *
 * ```
 *   history h:   h0   h1   h2   h3   h4            (h0: the first next(), which starts the code)
 *   replay:      next(h0) ───────────────────────────────────────────────▶ yield fork trap
 *                  stub → take h1, stub → take h2, raw yield ◀─ next(h3), stub → take h4,
 *                  fork stub: nothing left → yield (suspended where the parent is)
 * ```
 *
 * A raw `yield` in a program still works: it suspends the generator and the replay loop feeds
 * it the next recorded value. Either way each recorded value is consumed exactly once and in
 * order, so the child's locals are what the parent's were (measured: about half the host time
 * per replayed trap; `../../bench/resume-floor.ts`).
 *
 * The cursor is one module-level slot rather than an argument because a stub has no other way to
 * reach the kernel without yielding. That is safe because a replay is synchronous and user code
 * never starts another one: the slot is set by `replayFrames` for one frame only and cleared in a
 * `finally`, so outside a replay `pending()` is false and every stub yields its trap.
 *
 * Invariant: `pending()` implies `active`; while inactive, `position = end = 0` and no run is held;
 * while active, the run holds the whole source (`end = source.length`).
 *
 * Related: `user.ts` and `../syscalls/stubs.ts` (the stubs that consult it),
 * `../kernel/fork.ts` (the replay loop), `../process/history.ts` (what it reads).
 */
import { KernelStateError } from "../errors.js";
import { decodeHistoryCode, type HistoryView } from "../process/history.js";

/** What a replay reads: one frame's recorded resume values (a `History`). */
export interface ReplaySource {
  /** Number of values recorded. */
  readonly length: number;
  /** The values as one flat run of codes (see `History.view`). */
  view(): HistoryView;
}

const NO_CODES = new Int32Array(0);
const NO_OTHERS: readonly unknown[] = [];

/** The cursor over the history of the frame being replayed (see the file comment). */
export class ReplayCursor {
  // The run being read, as plain fields of one shape: a stub's check is two loads and a compare,
  // and a take one typed-array load and one more compare (`../process/history.ts`'s codes).
  private codes: Int32Array = NO_CODES;
  private others: readonly unknown[] = NO_OTHERS;
  private next = 0;
  private end = 0;
  private source: ReplaySource | null = null;

  /** True between {@link ReplayCursor.begin} and {@link ReplayCursor.finish}. */
  get active(): boolean {
    return this.source !== null;
  }

  /** The position of the next value to hand out (the number consumed so far, counting from 0). */
  get position(): number {
    return this.next;
  }

  /**
   * Whether a recorded value is waiting: what every stub asks before it yields. False outside a
   * replay, so the check costs one comparison on the ordinary trap path.
   */
  pending(): boolean {
    return this.next < this.end;
  }

  /**
   * The next recorded value, consumed: what the stub's `yield` would have been resumed with.
   * Precondition: {@link ReplayCursor.pending} (a stub never calls it otherwise).
   */
  take(): unknown {
    const code = this.codes[this.next++]!;
    // -2^30 (`INLINE_MIN` of history.ts) written as a literal: codes at or above it are the value.
    return code >= -0x4000_0000 ? code : decodeHistoryCode(code, this.others);
  }

  /**
   * Start handing out `source`'s values from position `from` (the values before it are fed by
   * the replay loop itself: value 0 is the first `next()`, which starts the generator).
   * @throws KernelStateError when a replay is already active (replays never nest).
   */
  begin(source: ReplaySource, from: number): void {
    if (this.source !== null) {
      throw new KernelStateError(
        `replay.begin(from=${from}): a replay is already active (replays never nest)`,
      );
    }
    if (!(Number.isInteger(from) && from >= 0 && from <= source.length)) {
      throw new KernelStateError(
        `replay.begin(from=${from}): outside the history of ${source.length} values`,
      );
    }
    const v = source.view();
    this.source = source;
    this.codes = v.codes;
    this.others = v.others;
    this.next = from;
    this.end = v.length;
  }

  /** Stop: from now on every stub yields. Idempotent; called in a `finally`. */
  finish(): void {
    this.source = null;
    this.codes = NO_CODES;
    this.others = NO_OTHERS;
    this.next = 0;
    this.end = 0;
  }

  /** @throws KernelStateError when the invariant of the file comment is broken. */
  checkInvariants(): void {
    if (this.source === null && (this.next !== 0 || this.end !== 0 || this.codes.length !== 0)) {
      throw new KernelStateError(`replay cursor: inactive but at ${this.next} of ${this.end}`);
    }
    if (
      this.source !== null &&
      !(this.next <= this.end && this.end === this.source.length && this.end <= this.codes.length)
    ) {
      throw new KernelStateError(
        `replay cursor: at ${this.next} of ${this.end}, history holds ${this.source.length}`,
      );
    }
  }
}

/**
 * The one replay cursor, consulted by every trap stub before it yields.
 *
 * @remarks A stub of one's own (a runtime's atomics, say) keeps silent replay working by the same
 *   two lines the kernel's stubs use; without them it still works, only through a full resume.
 * @example
 * ```ts
 * function* myLoad32(va: number): UserCode<number> {
 *   if (replayCursor.pending()) return replayCursor.take() as number;
 *   return (yield { kind: "load", va, size: 4 }) as number;
 * }
 * ```
 */
export const replayCursor: ReplayCursor = new ReplayCursor();
