/**
 * The capability derivation tree (seL4's CDT): which handle was made from which, across every
 * handle table of a machine, so that revoking a capability can find everything derived from it.
 *
 * Every open handle owns one node. A handle made from nothing (`create`) is a child of the hidden
 * sentinel root; a handle made *from* another (duplicate, share, mint-like derivations) becomes
 * that one's child; a handle that merely changes place or shrinks (move, replace) keeps its node.
 *
 * ```
 *   (sentinel)
 *    ├── A  P1:h=0x401  rwx          create
 *    │    ├── B  P1:h=0x402  r       duplicate(A, r)
 *    │    │    └── D  P3:h=0x801 r   share(B → P3)
 *    │    └── C  P2:h=0x401  rw      share(A → P2, rw)
 *    └── E  P2:h=0x402  r            create
 *
 *   revoke(A) closes B, D and C (in every table) and keeps A;  close(B) keeps D, which moves up
 *   under A (seL4 too deletes a capability without revoking its children).
 * ```
 *
 * Invariants: parent/child/sibling links agree both ways; the tree is acyclic; every node but the
 * sentinel has an owner; `size` is the number of nodes below the sentinel.
 *
 * Related: `handles/slot-table.ts` (owns the nodes of its handles), `object/space.ts` (one tree
 * per machine).
 */
import { InvariantError } from "../errors.js";

/** Whoever keeps the handle a node stands for: a handle table, seen from the tree. */
export interface CapSlotOwner {
  /** Identifies the table in traces and messages. */
  readonly tableId: number;
  /**
   * Close the handle in `slot` because an ancestor was revoked. The owner must call
   * {@link DerivationTree.remove} for the node as part of closing.
   */
  revokeSlot(slot: number): void;
}

/**
 * One node: one open handle.
 *
 * @remarks Who writes which field: the links (`parent`, `firstChild`, `lastChild`, `prev`,
 * `next`) belong to {@link DerivationTree}; everyone else reads them only. `owner` and `slot` say
 * where the handle lives; the tree sets them when it makes the node, and only a move changes
 * them: the table moving the handle (`moveTo`) keeps the node (a move is not a new derivation)
 * and, in the callback it gives the destination's `accept`, sets `owner` and `slot` to the
 * destination and slot that callback is given, then returns the node.
 */
export class CapNode {
  /** The node this handle was derived from; the tree's sentinel for a root. Tree-managed. */
  parent: CapNode | null = null;
  /** First handle derived from this one. Tree-managed. */
  firstChild: CapNode | null = null;
  /** Last handle derived from this one. Tree-managed. */
  lastChild: CapNode | null = null;
  /** Previous sibling (same parent). Tree-managed. */
  prev: CapNode | null = null;
  /** Next sibling (same parent). Tree-managed. */
  next: CapNode | null = null;
  /** The table holding the handle (`null` only for the sentinel). Rewritten by a move. */
  owner: CapSlotOwner | null;
  /** The slot of the handle in its table. Rewritten by a move. */
  slot: number;
  constructor(owner: CapSlotOwner | null, slot: number) {
    this.owner = owner;
    this.slot = slot;
  }
}

/** The derivation tree of one machine (see the file banner). */
export class DerivationTree {
  private readonly sentinel = new CapNode(null, -1);
  private count = 0;

  /** Number of nodes, i.e. of open handles in all tables of the machine. */
  get size(): number {
    return this.count;
  }

  /** A node with no parent handle (made by `create`). */
  root(owner: CapSlotOwner, slot: number): CapNode {
    return this.child(this.sentinel, owner, slot);
  }

  /** A node derived from `parent`, appended after its other children. */
  child(parent: CapNode, owner: CapSlotOwner, slot: number): CapNode {
    const node = new CapNode(owner, slot);
    node.parent = parent;
    node.prev = parent.lastChild;
    if (parent.lastChild) parent.lastChild.next = node;
    else parent.firstChild = node;
    parent.lastChild = node;
    this.count++;
    return node;
  }

  /** A node with the same parent as `of` (a split-off piece), placed right after it. */
  sibling(of: CapNode, owner: CapSlotOwner, slot: number): CapNode {
    const parent = of.parent ?? this.sentinel;
    const node = new CapNode(owner, slot);
    node.parent = parent;
    node.prev = of;
    node.next = of.next;
    if (of.next) of.next.prev = node;
    else parent.lastChild = node;
    of.next = node;
    this.count++;
    return node;
  }

  /**
   * Unlink `node` (its handle was closed). Its children take its place under its parent, in
   * order, so that revoking an ancestor still reaches them.
   */
  remove(node: CapNode): void {
    const parent = node.parent;
    if (parent === null)
      throw new InvariantError("DerivationTree.remove: node is not in the tree (removed twice?)");
    // Splice the children list between node.prev and node.next.
    let first = node.firstChild;
    const last = node.lastChild;
    for (let c = first; c !== null; c = c.next) c.parent = parent;
    if (first === null) {
      first = node.next;
      if (node.prev) node.prev.next = node.next;
      else parent.firstChild = node.next;
      if (node.next) node.next.prev = node.prev;
      else parent.lastChild = node.prev;
    } else {
      first.prev = node.prev;
      if (node.prev) node.prev.next = first;
      else parent.firstChild = first;
      last!.next = node.next;
      if (node.next) node.next.prev = last;
      else parent.lastChild = last;
    }
    node.parent = node.prev = node.next = node.firstChild = node.lastChild = null;
    this.count--;
  }

  /** Every node derived from `node`, transitively, in pre-order (parents before children). */
  descendants(node: CapNode): CapNode[] {
    const out: CapNode[] = [];
    const walk = (n: CapNode): void => {
      for (let c = n.firstChild; c !== null; c = c.next) {
        out.push(c);
        walk(c);
      }
    };
    walk(node);
    return out;
  }

  /** Whether `ancestor` is a proper ancestor of `node`. */
  isAncestor(ancestor: CapNode, node: CapNode): boolean {
    for (let p = node.parent; p !== null; p = p.parent) if (p === ancestor) return true;
    return false;
  }

  /**
   * Close every handle derived from `node` (not `node` itself), deepest first, through their
   * owners. Returns how many were closed.
   *
   * Every victim names the same object as `node` (derivation never changes the object), and
   * `node` stays open, so no object reaches zero handles here and no `onNoHandles` or `onDestroy`
   * hook runs in the middle. Should a table's `revokeSlot` still remove other nodes, a victim
   * already removed is skipped and not counted.
   */
  revokeBelow(node: CapNode): number {
    const victims = this.descendants(node);
    let closed = 0;
    for (let i = victims.length - 1; i >= 0; i--) {
      const v = victims[i]!;
      if (v.parent === null) continue; // removed meanwhile by a hook
      v.owner!.revokeSlot(v.slot);
      closed++;
    }
    return closed;
  }

  /** Every node of the machine in pre-order. */
  all(): CapNode[] {
    return this.descendants(this.sentinel);
  }

  /** @throws InvariantError describing the first broken link. */
  checkInvariants(): void {
    let seen = 0;
    const check = (n: CapNode, depth: number): void => {
      if (depth > this.count + 1) throw new InvariantError("DerivationTree: cycle below the sentinel");
      let prev: CapNode | null = null;
      for (let c = n.firstChild; c !== null; c = c.next) {
        seen++;
        if (c.parent !== n)
          throw new InvariantError(`DerivationTree: node of slot ${c.slot} has a wrong parent link`);
        if (c.prev !== prev)
          throw new InvariantError(`DerivationTree: node of slot ${c.slot} has a wrong prev link`);
        if (c.owner === null)
          throw new InvariantError("DerivationTree: a node below the sentinel has no owner");
        prev = c;
        check(c, depth + 1);
      }
      if (n.lastChild !== prev)
        throw new InvariantError("DerivationTree: lastChild link does not match the list");
    };
    check(this.sentinel, 0);
    if (seen !== this.count) {
      throw new InvariantError(`DerivationTree: size says ${this.count} nodes, the tree holds ${seen}`);
    }
  }
}
