/**
 * A red-black tree of (key, id) with a cached leftmost node: CFS's timeline, as Linux keeps it in
 * an `rb_root_cached` (kernel/sched/fair.c, `__pick_first_entity` reads `rb_leftmost`).
 *
 * Nodes live in typed arrays (struct of arrays), one node per id; node index = id + 1 so that
 * index 0 is the CLRS sentinel NIL (black, and its parent field is scratch space during erase,
 * CLRS 3rd ed. §13.4). Order is (key, id) lexicographic, so keys never tie.
 *
 * Red-black rules (CLRS §13.1), checked by `checkInvariants()`:
 *   1. every node is red or black; the root and NIL are black;
 *   2. a red node has two black children;
 *   3. every path from a node down to NIL crosses the same number of black nodes;
 * plus: in-order is sorted by (key, id); parent links agree with child links; `leftmost` is the
 * minimum; `size` counts the linked nodes. Height ≤ 2·log2(n + 1), so insert and erase are
 * O(log n); picking the minimum is O(1) through the cache, and taking it out costs one successor
 * step plus the erase.
 */
import { InvariantError } from "../errors.js";

const NIL = 0;

/** Red-black tree over ids 0..capacity−1 keyed by float64, with O(1) access to the minimum. */
export class VruntimeTree {
  private left: Int32Array;
  private right: Int32Array;
  private parent: Int32Array;
  private red: Uint8Array;
  private linked: Uint8Array;
  private key: Float64Array;
  private root = NIL;
  private first = NIL;
  private n = 0;

  /** @param capacity - initial number of ids (default 64); grows to fit any id inserted. */
  constructor(capacity = 64) {
    const c = Math.max(1, capacity) + 1;
    this.left = new Int32Array(c);
    this.right = new Int32Array(c);
    this.parent = new Int32Array(c);
    this.red = new Uint8Array(c);
    this.linked = new Uint8Array(c);
    this.key = new Float64Array(c);
  }

  /** Number of ids in the tree. */
  get size(): number {
    return this.n;
  }

  /** Whether `id` is in the tree. O(1). */
  has(id: number): boolean {
    const z = id + 1;
    return z < this.linked.length && this.linked[z] === 1;
  }

  /** The key `id` was inserted with, or undefined when it is not in the tree. */
  keyOf(id: number): number | undefined {
    return this.has(id) ? this.key[id + 1] : undefined;
  }

  /** The id with the smallest (key, id), or -1 when empty. O(1). */
  leftmostId(): number {
    return this.first - 1;
  }

  /** The smallest key, or +Infinity when empty. O(1). */
  leftmostKey(): number {
    return this.first === NIL ? Number.POSITIVE_INFINITY : this.key[this.first]!;
  }

  /**
   * Insert `id` (not already present) with `key`. O(log n).
   * @throws RangeError when `id` is negative or already in the tree.
   */
  insert(id: number, key: number): void {
    const z = id + 1;
    if (z >= this.linked.length) this.grow(z + 1);
    if (id < 0 || this.linked[z] === 1)
      throw new RangeError(`VruntimeTree.insert(${id}): id is negative or already in the tree`);
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const red = this.red;
    const keys = this.key;
    keys[z] = key;
    let y = NIL;
    let x = this.root;
    let isLeftmost = true;
    let goLeft = false;
    while (x !== NIL) {
      y = x;
      const xk = keys[x]!;
      goLeft = key < xk || (key === xk && z < x);
      if (goLeft) x = left[x]!;
      else {
        x = right[x]!;
        isLeftmost = false;
      }
    }
    parent[z] = y;
    if (y === NIL) this.root = z;
    else if (goLeft) left[y] = z;
    else right[y] = z;
    left[z] = NIL;
    right[z] = NIL;
    red[z] = 1;
    this.linked[z] = 1;
    this.n++;
    if (isLeftmost) this.first = z;
    // CLRS RB-INSERT-FIXUP: recolour while the uncle is red, else one or two rotations.
    let c = z;
    while (red[parent[c]!] === 1) {
      let p = parent[c]!;
      let g = parent[p]!;
      // CLRS: the case p = g.right is "the same with right and left exchanged"; `near` is the side
      // p hangs on, `far` the other (the uncle's).
      const pIsLeft = p === left[g];
      const near = pIsLeft ? left : right;
      const far = pIsLeft ? right : left;
      const u = far[g]!;
      if (red[u] === 1) {
        red[p] = 0;
        red[u] = 0;
        red[g] = 1;
        c = g;
      } else {
        if (c === far[p]) {
          c = p;
          this.rotate(c, near, far);
          p = parent[c]!;
          g = parent[p]!;
        }
        red[p] = 0;
        red[g] = 1;
        this.rotate(g, far, near);
      }
    }
    red[this.root] = 0;
  }

  /**
   * Take the leftmost id out of the tree (CFS pick-next). The cache moves to its in-order
   * successor first: the minimum of its right subtree if it has one, else its parent (a leftmost
   * node is always a left child or the root). O(log n).
   * @returns the id, or -1 when empty.
   */
  popLeftmost(): number {
    const z = this.first;
    if (z === NIL) return -1;
    const r = this.right[z]!;
    this.first = r !== NIL ? this.minimum(r) : this.parent[z]!;
    this.erase(z);
    return z - 1;
  }

  /** Remove `id` from the tree. O(log n). @returns whether it was present. */
  remove(id: number): boolean {
    if (!this.has(id)) return false;
    const z = id + 1;
    if (z === this.first) {
      const r = this.right[z]!;
      this.first = r !== NIL ? this.minimum(r) : this.parent[z]!;
    }
    this.erase(z);
    return true;
  }

  /** Ids in ascending (key, id) order (a copy). */
  toArray(): number[] {
    const out: number[] = [];
    const stack: number[] = [];
    let x = this.root;
    while (x !== NIL || stack.length > 0) {
      while (x !== NIL) {
        stack.push(x);
        x = this.left[x]!;
      }
      x = stack.pop()!;
      out.push(x - 1);
      x = this.right[x]!;
    }
    return out;
  }

  /** Throws InvariantError describing the first broken red-black, order or cache invariant. */
  checkInvariants(): void {
    if (this.red[NIL] !== 0) throw new InvariantError("VruntimeTree: NIL sentinel is red");
    if (this.red[this.root] !== 0) throw new InvariantError(`VruntimeTree: root ${this.root - 1} is red`);
    if (this.root !== NIL && this.parent[this.root] !== NIL)
      throw new InvariantError("VruntimeTree: root has a parent");
    let count = 0;
    const walk = (x: number, lo: number, hi: number): number => {
      if (x === NIL) return 1;
      count++;
      if (this.linked[x] !== 1)
        throw new InvariantError(`VruntimeTree: node ${x - 1} reachable but not marked linked`);
      if (lo !== NIL && !this.less(lo, x))
        throw new InvariantError(`VruntimeTree: node ${x - 1} out of order after ${lo - 1}`);
      if (hi !== NIL && !this.less(x, hi))
        throw new InvariantError(`VruntimeTree: node ${x - 1} out of order before ${hi - 1}`);
      const l = this.left[x]!;
      const r = this.right[x]!;
      if (l !== NIL && this.parent[l] !== x)
        throw new InvariantError(`VruntimeTree: left child ${l - 1} of ${x - 1} has wrong parent`);
      if (r !== NIL && this.parent[r] !== x)
        throw new InvariantError(`VruntimeTree: right child ${r - 1} of ${x - 1} has wrong parent`);
      if (this.red[x] === 1 && (this.red[l] === 1 || this.red[r] === 1)) {
        throw new InvariantError(`VruntimeTree: red node ${x - 1} has a red child (rule 2)`);
      }
      const bl = walk(l, lo, x);
      const br = walk(r, x, hi);
      if (bl !== br)
        throw new InvariantError(`VruntimeTree: black heights ${bl} ≠ ${br} below node ${x - 1} (rule 3)`);
      return bl + (this.red[x] === 1 ? 0 : 1);
    };
    walk(this.root, NIL, NIL);
    if (count !== this.n)
      throw new InvariantError(`VruntimeTree: ${count} nodes reachable but size is ${this.n}`);
    const expectFirst = this.root === NIL ? NIL : this.minimum(this.root);
    if (this.first !== expectFirst) {
      throw new InvariantError(
        `VruntimeTree: cached leftmost is ${this.first - 1}, minimum is ${expectFirst - 1}`,
      );
    }
    let linked = 0;
    for (let i = 1; i < this.linked.length; i++) linked += this.linked[i]!;
    if (linked !== this.n)
      throw new InvariantError(`VruntimeTree: ${linked} nodes marked linked but size is ${this.n}`);
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && a < b);
  }

  private minimum(x: number): number {
    const left = this.left;
    while (left[x] !== NIL) x = left[x]!;
    return x;
  }

  /**
   * Rotate at `x` towards `down`: x's `up`-side child y takes x's place and x becomes y's
   * `down`-side child (y's old `down` subtree moves under x). `rotate(x, left, right)` is CLRS
   * LEFT-ROTATE, `rotate(x, right, left)` RIGHT-ROTATE:
   *
   * ```
   *        x                 y          rotate(x, left, right)
   *       / \               / \
   *      a   y     ──▶      x   c
   *         / \            / \
   *        b   c          a   b
   * ```
   */
  private rotate(x: number, down: Int32Array, up: Int32Array): void {
    const parent = this.parent;
    const y = up[x]!;
    const yd = down[y]!;
    up[x] = yd;
    if (yd !== NIL) parent[yd] = x;
    const xp = parent[x]!;
    parent[y] = xp;
    if (xp === NIL) this.root = y;
    else if (x === down[xp]) down[xp] = y;
    else up[xp] = y;
    down[y] = x;
    parent[x] = y;
  }

  /** Replace the subtree rooted at u by the one rooted at v (CLRS RB-TRANSPLANT). */
  private transplant(u: number, v: number): void {
    const up = this.parent[u]!;
    if (up === NIL) this.root = v;
    else if (u === this.left[up]) this.left[up] = v;
    else this.right[up] = v;
    this.parent[v] = up;
  }

  /** CLRS RB-DELETE and RB-DELETE-FIXUP. Does not touch the leftmost cache. */
  private erase(z: number): void {
    const { left, right, parent, red } = this;
    let y = z;
    let yRed = red[y];
    let x: number;
    if (left[z] === NIL) {
      x = right[z]!;
      this.transplant(z, x);
    } else if (right[z] === NIL) {
      x = left[z]!;
      this.transplant(z, x);
    } else {
      y = this.minimum(right[z]!);
      yRed = red[y];
      x = right[y]!;
      if (parent[y] === z) parent[x] = y;
      else {
        this.transplant(y, x);
        right[y] = right[z]!;
        parent[right[y]!] = y;
      }
      this.transplant(z, y);
      left[y] = left[z]!;
      parent[left[y]!] = y;
      red[y] = red[z]!;
    }
    this.linked[z] = 0;
    this.n--;
    if (yRed === 1) return;
    while (x !== this.root && red[x] === 0) {
      const xp = parent[x]!;
      // As in insert: the case x = xp.right mirrors x = xp.left; `near` is x's side, `far` the
      // sibling w's.
      const xIsLeft = x === left[xp];
      const near = xIsLeft ? left : right;
      const far = xIsLeft ? right : left;
      let w = far[xp]!;
      if (red[w] === 1) {
        red[w] = 0;
        red[xp] = 1;
        this.rotate(xp, near, far);
        w = far[xp]!;
      }
      if (red[near[w]!] === 0 && red[far[w]!] === 0) {
        red[w] = 1;
        x = xp;
      } else {
        if (red[far[w]!] === 0) {
          red[near[w]!] = 0;
          red[w] = 1;
          this.rotate(w, far, near);
          w = far[xp]!;
        }
        red[w] = red[xp]!;
        red[xp] = 0;
        red[far[w]!] = 0;
        this.rotate(xp, near, far);
        x = this.root;
      }
    }
    red[x] = 0;
  }

  private grow(min: number): void {
    let c = this.linked.length;
    while (c < min) c *= 2;
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(c);
      b.set(a);
      return b;
    };
    this.left = g32(this.left);
    this.right = g32(this.right);
    this.parent = g32(this.parent);
    const r = new Uint8Array(c);
    r.set(this.red);
    this.red = r;
    const l = new Uint8Array(c);
    l.set(this.linked);
    this.linked = l;
    const k = new Float64Array(c);
    k.set(this.key);
    this.key = k;
  }
}
