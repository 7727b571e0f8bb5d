/**
 * Random sources for lottery scheduling and the laws: seeded and replayable, never Math.random.
 *
 * `Xorshift32` is Marsaglia's xorshift (shifts 13, 17, 5), the generator the native baselines use,
 * so a benchmark replays the same draws in C and here. Worked step from seed 1:
 * x = 1; x ^= x << 13 → 0x2001; x ^= x >>> 17 → 0x2001; x ^= x << 5 → 0x42021 = 270369.
 *
 * `ReplayRandom` returns a given list of draws, so a test can force lottery winners (OSTEP ch. 9's
 * worked example draws the winning ticket 300 of 400).
 */
import type { RandomSource } from "./api.js";
import { InvalidArgumentError } from "./errors.js";

/** Marsaglia xorshift32: period 2^32 − 1, state never zero. */
export class Xorshift32 implements RandomSource {
  private x: number;
  /** @param seed - any uint32; 0 is replaced by 1 (zero is a fixed point). */
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  /** Next draw in 0..2^32−1. */
  nextU32(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x;
  }
}

/** Replays a fixed list of draws, in order. */
export class ReplayRandom implements RandomSource {
  private i = 0;
  /**
   * @param draws - the values to return, each an integer in 0..2^32−1.
   * @throws InvalidArgumentError if a value is not a uint32.
   */
  constructor(private readonly draws: readonly number[]) {
    for (const d of draws) {
      if (!Number.isInteger(d) || d < 0 || d > 0xffffffff)
        throw new InvalidArgumentError(`ReplayRandom: draw ${d} is not a uint32`);
    }
  }
  /**
   * The next recorded draw.
   * @throws InvalidArgumentError when every draw has been used (the replay is shorter than the run).
   */
  nextU32(): number {
    const d = this.draws[this.i];
    if (d === undefined)
      throw new InvalidArgumentError(`ReplayRandom.nextU32(): all ${this.draws.length} draws used`);
    this.i++;
    return d;
  }
  /** How many draws have been returned. */
  get used(): number {
    return this.i;
  }
}
