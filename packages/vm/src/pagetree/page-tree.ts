/**
 * The page tree: jsix's 64-ary radix tree from page offsets to frame numbers.
 *
 * A VM object (or a VMA, in jsix) must find the frame holding page `i` of itself. A hash map
 * would do, but a radix tree keeps the keys in order (so a range — an unmap, a fork — is walked
 * in address order), costs nothing to rebalance, and shares its upper levels between neighbours.
 * Each node has 64 slots; a key is cut into 6-bit digits, most significant first, one per level:
 *
 * ```
 *   key 0x3_4567_89ab (a page offset, 36 bits, 6 levels)
 *     = 0b 001101 000101 011001 111000 100110 101011
 *   digits:  13     5      25     56     38     43        (key >> 30, >> 24, ... , & 63)
 *   root[13] -> n1[5] -> n2[25] -> n3[56] -> n4[38] -> leaf[43] = frame
 * ```
 *
 * Layout: struct-of-arrays in typed arrays, as the native baseline (../shared/baselines, 3).
 * Node `n` owns `slots[64n .. 64n+63]` (uint32) and `counts[n]` (uint8, the non-empty slots).
 * Node 0 is the root. Node 1 is the null node: never allocated, never written, its 64 slots 0
 * forever. An interior slot holds its child's id XOR 1, so the 0 of an empty slot names the null
 * node (0 ^ 1 = 1) and a real child c ≥ 2 is stored as c ^ 1 ≥ 2, never 0. A leaf slot holds the
 * frame number + 1 (0 = empty), so frame 0 can be stored. "No child" is then itself a node whose
 * every slot says "no child", and a lookup descends without a test per level:
 *
 * ```
 *   key absent below level 2:  root[13] = 7^1 -> n7[5] = 0 -> null[25] = 0 -> null[56] = 0
 *                              -> null[38] = 0 -> null[43] = 0 = empty leaf slot -> NO_FRAME
 * ```
 *
 * Nodes come from a free stack first, then a bump pointer; the arrays double when full. A delete that empties a node
 * frees it and clears its slot in the parent, up to (not including) the root, so the tree never
 * holds empty nodes: after deleting every key it is back to the root alone.
 *
 * Depth is fixed per tree: `ceil(keyBits / 6)` levels (default 36 bits: 6 levels, 2^36 pages =
 * 256 TiB, more than a 48-bit address space holds). A small VM object can ask for fewer levels.
 *
 * Invariants (`checkInvariants`): every node is reachable once or on the free stack, never both;
 * each count equals its node's non-empty slots; no node but the root is empty; `size` equals the
 * keys found; the null node's slots and count are all 0.
 *
 * Related: jsix `page_tree` (the design), `../objects/` (VM objects that own one).
 */
import { InvariantError, PageTreeKeyError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import { MAX_TREE_FRAME as API_MAX_TREE_FRAME, NO_FRAME as API_NO_FRAME, type PageMap } from "./api.js";

export { MAX_TREE_FRAME, NO_FRAME } from "./api.js";

// Module-local copies: V8 reloads an imported binding and checks it for the temporal dead zone at
// each use, where a local `const` is folded into the code (see ../cow/pte-cow.ts).
const NO_FRAME = API_NO_FRAME;
const MAX_TREE_FRAME = API_MAX_TREE_FRAME;

const FANOUT = 64;
/** Node 0: the root, never freed. */
const ROOT = 0;
/** Node 1: the null node, all slots 0 forever; interior slots store child ^ NULL_NODE. */
const NULL_NODE = 1;
const TWO_32 = 4294967296;

/** Options of {@link PageTree}. */
export interface PageTreeOptions {
  /** Keys run 0..2^keyBits-1; the tree has ceil(keyBits/6) levels. Default 36. Range 6..48. */
  readonly keyBits?: number;
  /**
   * Nodes to allocate room for up front (the arrays double beyond it). Default 7: the root and one
   * key's path at the default depth (six nodes), plus one. Every VM object has a tree, and a fork
   * makes several objects that may never hold a page, so the empty tree is kept small: with room
   * for 16 nodes (4.25 KiB of slots to allocate and zero) building a tree cost 2.2 µs, with 7
   * (2 KiB) 1.0 µs, a quarter of the trees then given two keys.
   */
  readonly initialNodes?: number;
  /**
   * Write every byte of the initial arrays once, so the host commits the memory now rather than on
   * first use (benchmarks do this before timing, as the native baselines do). Default false.
   */
  readonly prefault?: boolean;
}

/**
 * A 64-ary radix tree from page offsets (integers) to frame numbers (see the file comment).
 *
 * @example
 * ```ts
 * const tree = new PageTree();
 * tree.set(0x3456789ab, 42);           // six levels, five new nodes below the root
 * tree.get(0x3456789ab);               // 42
 * tree.get(7);                         // NO_FRAME (-1)
 * tree.forEachInRange(0, 2 ** 36, (page, pfn) => console.log(page, pfn)); // in key order
 * tree.delete(0x3456789ab);            // 42; the five nodes are freed again
 * ```
 */
export class PageTree implements PageMap {
  /** Levels from the root to the leaves. */
  readonly levels: number;
  /** Largest key: 2^(6·levels) - 1. */
  readonly maxKey: number;
  private slots: Uint32Array;
  private counts: Uint8Array;
  /** Stack of freed node ids (room for every node, so a push never grows it). */
  private freeStack: Int32Array;
  private nFree = 0;
  private bump = NULL_NODE + 1;
  private keys = 0;
  private readonly topShift: number;
  private readonly path: Int32Array;
  /** Scratch: the interior digits of the key being set or deleted, most significant first. */
  private readonly digits: Int32Array;
  private version = 0;

  /** @throws VmArgumentError for keyBits outside 6..48 or a bad initialNodes. */
  constructor(options: PageTreeOptions = {}) {
    const keyBits = options.keyBits ?? 36;
    const initial = options.initialNodes ?? 7;
    if (!Number.isInteger(keyBits) || keyBits < 6 || keyBits > 48) {
      throw new VmArgumentError(`new PageTree(keyBits=${keyBits}): keyBits must be an integer in 6..48`);
    }
    if (!Number.isInteger(initial) || initial < 1 || initial > 2 ** 25) {
      throw new VmArgumentError(`new PageTree(initialNodes=${initial}): must be an integer in 1..2^25`);
    }
    this.levels = Math.ceil(keyBits / 6);
    this.maxKey = 2 ** (6 * this.levels) - 1;
    this.topShift = 6 * (this.levels - 1);
    // One more node than asked for: the null node.
    this.slots = new Uint32Array((initial + 1) * FANOUT);
    this.counts = new Uint8Array(initial + 1);
    this.freeStack = new Int32Array(initial + 1);
    this.path = new Int32Array(this.levels);
    this.digits = new Int32Array(this.levels);
    if (options.prefault === true) {
      this.slots.fill(1).fill(0);
      this.counts.fill(1).fill(0);
    }
  }

  /** Number of keys in the tree. */
  get size(): number {
    return this.keys;
  }

  /** Nodes in use, the root included (1 for an empty tree). */
  get nodeCount(): number {
    return this.bump - this.nFree - 1; // the null node is not a node in use
  }

  /**
   * The frame stored at `key`, or {@link NO_FRAME} (-1). Never allocates.
   * @throws PageTreeKeyError when `key` is not an integer in 0..maxKey.
   */
  get(key: number): number {
    if (this.topShift !== 30) return this.getAnyDepth(key);
    // The default depth (36-bit keys, 6 levels), kept small so V8 inlines it into the caller's
    // loop. The key is cut without a division: lo = bits 0..31, top = the root digit (bits 30..35),
    // and one rebuilt-key comparison validates it. Worked numbers, key 0x3_4567_89ab:
    //   lo = 0x4567_89ab; (key - lo) / 2^30 = 0x3_0000_0000 / 2^30 = 12; lo >>> 30 = 1; top = 13
    //   top · 2^30 + (lo & 0x3fff_ffff) = 0x3_4000_0000 + 0x0567_89ab = key        -> valid
    // Why it is exact: `(top & 63) === top` holds only for an integer top in 0..63, and then
    // top · 2^30 + (an integer below 2^30) is an integer in 0..2^36 - 1 computed without rounding,
    // so it equals key only when key is that integer. NaN, ±Infinity, fractions, negatives and
    // keys ≥ 2^36 all fail one of the two tests (1.5: top = 0.5 / 2^30, not an integer; 2^62:
    // top = 2^32, and 2^32 & 63 = 0). Against the three separate tests (range, range,
    // Number.isInteger) plus a division for the high half: +19-25 % in an isolated lookup loop,
    // +3-5 % in the baseline replay, where DRAM misses dominate (README, "Speed").
    const lo = key >>> 0;
    const top = (key - lo) / 1073741824 + (lo >>> 30);
    const d0 = top & 63; // an int32 from here on: the root digit when the key is valid
    if (d0 !== top || d0 * 1073741824 + (lo & 0x3fff_ffff) !== key) this.badKey("get", key);
    // Six dependent loads and no test between them: a missing child is the null node, whose
    // slots lead back to it and end in an empty leaf slot (0 - 1 = NO_FRAME). Fewer instructions
    // per lookup let the CPU overlap more independent lookups' cache misses (+20-25 % on the
    // baseline replay against a test per level).
    const slots = this.slots;
    let n = slots[(ROOT << 6) | d0]! ^ NULL_NODE;
    n = slots[(n << 6) | ((lo >>> 24) & 63)]! ^ NULL_NODE;
    n = slots[(n << 6) | ((lo >>> 18) & 63)]! ^ NULL_NODE;
    n = slots[(n << 6) | ((lo >>> 12) & 63)]! ^ NULL_NODE;
    n = slots[(n << 6) | ((lo >>> 6) & 63)]! ^ NULL_NODE;
    return slots[(n << 6) | (lo & 63)]! - 1;
  }

  /** `get` for any depth other than the default: the descent as three loops (see `splitKey`). */
  private getAnyDepth(key: number): number {
    if (!(key >= 0 && key <= this.maxKey && Number.isInteger(key))) this.badKey("get", key);
    const slots = this.slots;
    const hi = (key / TWO_32) | 0; // key bits 32..47
    const lo = key >>> 0; // key bits 0..31
    let n = ROOT;
    let s = this.topShift;
    // The three cases of a digit as three loops, no branch per level: digits wholly in hi, the one
    // digit straddling bit 32, digits in lo. A missing child leads into the null node.
    for (; s >= 32; s -= 6) n = slots[(n << 6) | ((hi >>> (s - 32)) & 63)]! ^ NULL_NODE;
    if (s > 26) {
      n = slots[(n << 6) | (((lo >>> s) | (hi << (32 - s))) & 63)]! ^ NULL_NODE;
      s -= 6;
    }
    for (; s > 0; s -= 6) n = slots[(n << 6) | ((lo >>> s) & 63)]! ^ NULL_NODE;
    return slots[(n << 6) | (lo & 63)]! - 1; // an empty slot (0) gives NO_FRAME
  }

  /** Whether `key` has a frame. */
  has(key: number): boolean {
    return this.get(key) !== NO_FRAME;
  }

  /**
   * Store frame `pfn` at `key`, creating the missing nodes on the path.
   * @returns the frame that was there, or {@link NO_FRAME} when the key is new.
   * @throws PageTreeKeyError for a key outside 0..maxKey or a pfn outside 0..MAX_TREE_FRAME.
   */
  set(key: number, pfn: number): number {
    if (!(key >= 0 && key <= this.maxKey && Number.isInteger(key))) this.badKey("set", key);
    if (!(pfn >>> 0 === pfn && pfn <= MAX_TREE_FRAME)) {
      throw new PageTreeKeyError(
        `set(key=${hex(key)}, pfn=${pfn}): pfn must be an integer in 0..${hex(MAX_TREE_FRAME)}`,
      );
    }
    const hi = (key / TWO_32) | 0;
    const lo = key >>> 0;
    const digits = this.splitKey(hi, lo);
    let slots = this.slots;
    let n = ROOT;
    for (let d = 0; d < this.levels - 1; d++) {
      const i = (n << 6) | digits[d]!;
      let c = slots[i]! ^ NULL_NODE;
      if (c === NULL_NODE) {
        c = this.newNode();
        slots = this.slots; // newNode may have grown the arrays
        slots[i] = c ^ NULL_NODE;
        this.counts[n] = this.counts[n]! + 1;
      }
      n = c;
    }
    const i = (n << 6) | (lo & 63);
    const old = slots[i]!;
    if (old === 0) {
      this.counts[n] = this.counts[n]! + 1;
      this.keys++;
    }
    slots[i] = pfn + 1;
    this.version++;
    return old - 1;
  }

  /**
   * Remove `key`; nodes left empty are freed, bottom up, up to the root.
   * @returns the frame that was stored, or {@link NO_FRAME} when the key was absent (nothing changes).
   * @throws PageTreeKeyError for a key outside 0..maxKey.
   */
  delete(key: number): number {
    if (!(key >= 0 && key <= this.maxKey && Number.isInteger(key))) this.badKey("delete", key);
    const slots = this.slots;
    const counts = this.counts;
    const path = this.path;
    const hi = (key / TWO_32) | 0;
    const lo = key >>> 0;
    const digits = this.splitKey(hi, lo);
    let n = ROOT;
    let depth = 0;
    for (let d = 0; d < this.levels - 1; d++) {
      const i = (n << 6) | digits[d]!;
      path[depth++] = i;
      n = slots[i]! ^ NULL_NODE;
      if (n === NULL_NODE) return NO_FRAME;
    }
    let i = (n << 6) | (lo & 63);
    const v = slots[i]!;
    if (v === 0) return NO_FRAME;
    slots[i] = 0;
    this.keys--;
    this.version++;
    for (;;) {
      const c = counts[n]! - 1;
      counts[n] = c;
      if (c !== 0 || n === ROOT) break;
      this.freeStack[this.nFree++] = n; // empty: its slots are all 0 already, ready for reuse
      i = path[--depth]!;
      slots[i] = 0;
      n = i >>> 6;
    }
    return v - 1;
  }

  /**
   * Call `fn(key, pfn)` for every key in `start <= key < end`, in increasing key order. Subtrees
   * outside the range are skipped, so the cost follows the keys visited, not the range's width.
   * `fn` must not change the tree.
   * @throws PageTreeKeyError for a bad range; VmArgumentError when `fn` changed the tree.
   */
  forEachInRange(start: number, end: number, fn: (key: number, pfn: number) => void): void {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= start)) {
      throw new PageTreeKeyError(
        `forEachInRange(start=${start}, end=${end}): need integers 0 <= start <= end`,
      );
    }
    if (start > this.maxKey || end === start) return;
    const version = this.version;
    const guarded = (key: number, pfn: number): void => {
      fn(key, pfn);
      if (this.version !== version) {
        throw new VmArgumentError(`forEachInRange: the callback changed the tree at key ${hex(key)}`);
      }
    };
    this.walk(ROOT, 0, 0, start, Math.min(end, this.maxKey + 1), guarded);
  }

  /** Visit node n at `depth` covering keys from `base`, restricted to [start, end). */
  private walk(
    n: number,
    depth: number,
    base: number,
    start: number,
    end: number,
    fn: (key: number, pfn: number) => void,
  ): void {
    const span = FANOUT ** (this.levels - 1 - depth); // keys under one slot of this node
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(FANOUT - 1, Math.floor((end - 1 - base) / span));
    for (let d = first; d <= last; d++) {
      const v = this.slots[n * FANOUT + d]!;
      if (v === 0) continue;
      if (depth === this.levels - 1) fn(base + d, v - 1);
      else this.walk(v ^ NULL_NODE, depth + 1, base + d * span, start, end, fn);
    }
  }

  /**
   * The `[key, pfn]` pairs with `start <= key < end`, in key order (a snapshot: later changes to the
   * tree do not show).
   */
  entries(start = 0, end: number = this.maxKey + 1): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.forEachInRange(start, end, (k, v) => out.push([k, v]));
    return out;
  }

  /**
   * Remove every key, calling `fn(key, pfn)` for each first (in key order) — e.g. to free the frames.
   * The tree is back to the root alone.
   */
  clear(fn?: (key: number, pfn: number) => void): void {
    if (fn !== undefined) this.forEachInRange(0, this.maxKey + 1, fn);
    this.slots.fill(0, 0, this.bump * FANOUT);
    this.counts.fill(0);
    this.nFree = 0;
    this.bump = NULL_NODE + 1;
    this.keys = 0;
    this.version++;
  }

  private newNode(): number {
    if (this.nFree > 0) return this.freeStack[--this.nFree]!;
    if (this.bump === this.counts.length) this.grow();
    return this.bump++;
  }

  private grow(): void {
    const cap = this.counts.length * 2;
    if (cap > 2 ** 25) throw new VmArgumentError(`PageTree: more than 2^25 nodes (${hex(cap)} requested)`);
    const slots = new Uint32Array(cap * FANOUT);
    slots.set(this.slots);
    const counts = new Uint8Array(cap);
    counts.set(this.counts);
    const free = new Int32Array(cap);
    free.set(this.freeStack);
    this.slots = slots;
    this.counts = counts;
    this.freeStack = free;
  }

  /**
   * The interior digits of the key (hi, lo) into the scratch array, most significant first: the
   * three cases of a digit (wholly in hi, straddling bit 32, wholly in lo) as three loops, so no
   * level pays a branch. Worked numbers for the straddling digit (bit 30): key 0x3_4567_89ab has
   * hi = 3, lo = 0x456789ab; lo >>> 30 = 1, hi << 2 = 12, (1 | 12) & 63 = 13.
   */
  private splitKey(hi: number, lo: number): Int32Array {
    const digits = this.digits;
    let d = 0;
    let s = this.topShift;
    for (; s >= 32; s -= 6) digits[d++] = (hi >>> (s - 32)) & 63;
    if (s > 26) {
      digits[d++] = ((lo >>> s) | (hi << (32 - s))) & 63;
      s -= 6;
    }
    for (; s > 0; s -= 6) digits[d++] = (lo >>> s) & 63;
    return digits;
  }

  private badKey(call: string, key: number): never {
    throw new PageTreeKeyError(`${call}(key=${key}): key must be an integer in 0..${hex(this.maxKey)}`);
  }

  /**
   * Walk the whole tree and check the invariants of the file comment, O(nodes · 64).
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    const seen = new Uint8Array(this.bump);
    for (const f of this.freeStack.subarray(0, this.nFree)) {
      if (f <= NULL_NODE || f >= this.bump) {
        throw new InvariantError(`free node ${f} is outside ${NULL_NODE + 1}..${this.bump - 1}`);
      }
      if (seen[f]) throw new InvariantError(`node ${f} is on the free stack twice`);
      seen[f] = 2;
      if (this.counts[f] !== 0) throw new InvariantError(`free node ${f} has count ${this.counts[f]}`);
      for (let d = 0; d < FANOUT; d++) {
        if (this.slots[f * FANOUT + d] !== 0)
          throw new InvariantError(`free node ${f} has a non-empty slot ${d}`);
      }
    }
    let keys = 0;
    let reachable = 0;
    const visit = (n: number, depth: number): void => {
      if (seen[n] === 2) throw new InvariantError(`node ${n} is reachable but on the free stack`);
      if (seen[n] === 1) throw new InvariantError(`node ${n} is reachable twice`);
      seen[n] = 1;
      reachable++;
      let used = 0;
      for (let d = 0; d < FANOUT; d++) {
        const v = this.slots[n * FANOUT + d]!;
        if (v === 0) continue;
        used++;
        if (depth === this.levels - 1) keys++;
        else {
          const c = v ^ NULL_NODE;
          if (c >= this.bump) throw new InvariantError(`node ${n} slot ${d} points to unallocated node ${c}`);
          visit(c, depth + 1);
        }
      }
      if (used !== this.counts[n])
        throw new InvariantError(`node ${n} has ${used} used slots but count ${this.counts[n]}`);
      if (used === 0 && n !== ROOT)
        throw new InvariantError(`node ${n} at depth ${depth} is empty but still linked`);
    };
    if (this.counts[NULL_NODE] !== 0) {
      throw new InvariantError(`the null node has count ${this.counts[NULL_NODE]}`);
    }
    for (let d = 0; d < FANOUT; d++) {
      if (this.slots[NULL_NODE * FANOUT + d] !== 0) {
        throw new InvariantError(`the null node has a non-empty slot ${d}`);
      }
    }
    visit(ROOT, 0);
    if (keys !== this.keys) throw new InvariantError(`${keys} keys found, size=${this.keys}`);
    if (reachable + this.nFree !== this.bump - 1) {
      throw new InvariantError(
        `${reachable} reachable + ${this.nFree} free nodes != ${this.bump - 1} allocated (a leaked node)`,
      );
    }
  }
}
