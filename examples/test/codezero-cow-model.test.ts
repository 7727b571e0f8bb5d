// mm0's copy-on-write bookkeeping (servers/cow.ts) against a naive model: every fork copies every
// page at once (eager copy). The real side is CowPager driven as mm0 drives it, with a fake MMU:
// a pool of words and per-task page tables that only CowPager's actions change. Every read must
// return exactly what the model holds; after every command the bookkeeping's invariants hold and
// the page tables agree with it; when every task is gone the pool is whole and no object remains.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CowPager, type PagerAction } from "../src/codezero/servers/cow.js";

const POOL = 12;
const AREA = 4;
const WORDS = 1024; // 32-bit words per page

/**
 * Where word `which` (0 or 1) of a page lives (varies with the page, so a wrong frame shows). Two
 * words per page, written separately: a copy made for a write to one must carry the other over.
 */
const slot = (index: number, which = 0): number => ((index * 37) % (WORDS - 8)) + 4 * which;
/** The model's key of word `which` of page `index`. */
const key = (index: number, which: number): number => 2 * index + which;

interface Pte {
  frame: number;
  writable: boolean;
}

interface Real {
  readonly cow: CowPager;
  readonly pool: Int32Array;
  readonly ptes: Map<number, Map<number, Pte>>;
  next: number;
  copies: number;
}

interface Model {
  /** Live tasks (in creation order) → key(page, word) → value (absent: zero). */
  readonly tasks: Map<number, Map<number, number>>;
}

type Cmd = fc.Command<Model, Real>;

/** The fake MMU: apply mm0's actions exactly as mm0 makes the kernel apply them. */
function apply(r: Real, actions: readonly PagerAction[]): void {
  for (const a of actions) {
    if (a.kind === "zero") r.pool.fill(0, a.frame * WORDS, (a.frame + 1) * WORDS);
    else if (a.kind === "copy") {
      r.pool.copyWithin(a.dst * WORDS, a.src * WORDS, (a.src + 1) * WORDS);
      r.copies++;
    } else if (a.kind === "unmap") {
      expect(r.ptes.get(a.task)?.has(a.index), `unmap of an unmapped page ${a.task}:${a.index}`).toBe(true);
      r.ptes.get(a.task)!.delete(a.index);
    } else {
      expect(r.ptes.get(a.task)?.has(a.index), `map over a mapped page ${a.task}:${a.index}`).toBe(false);
      r.ptes.get(a.task)!.set(a.index, { frame: a.frame, writable: a.writable });
    }
  }
}

/** The task is killed (a refused fault): mm0 learns of its death and reclaims. */
function kill(m: Model, r: Real, task: number): void {
  expect(r.cow.exit(task) || !r.cow.has(task)).toBe(true);
  r.ptes.delete(task);
  m.tasks.delete(task);
}

function check(m: Model, r: Real): void {
  r.cow.checkInvariants();
  for (const [task, table] of r.ptes) {
    for (const [i, pte] of table) expect(r.cow.mappedAt(task, i)).toEqual(pte);
    for (let i = 0; i < AREA; i++) if (!table.has(i)) expect(r.cow.mappedAt(task, i)).toBeUndefined();
  }
  expect([...r.ptes.keys()].sort()).toEqual([...m.tasks.keys()].sort());
  expect(r.cow.counters.pagesCopied).toBe(r.copies);
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** A fault as the kernel would forward it; false when refused (the task is then killed). */
function fault(m: Model, r: Real, task: number, index: number, write: boolean, protection: boolean): boolean {
  const ans = r.cow.fault(task, index, write, protection);
  if (!ans.ok) {
    expect(ans.why).toBe("exhausted"); // in range, and a real protection fault: only the pool can run out
    kill(m, r, task);
    return false;
  }
  apply(r, ans.actions);
  return true;
}

class Read implements Cmd {
  constructor(
    readonly t: number,
    readonly index: number,
  ) {}
  check = (m: Readonly<Model>) => m.tasks.size > 0;
  run(m: Model, r: Real): void {
    const task = pick([...m.tasks.keys()], this.t);
    if (!r.ptes.get(task)!.has(this.index) && !fault(m, r, task, this.index, false, false)) {
      check(m, r);
      return;
    }
    const pte = r.ptes.get(task)!.get(this.index)!;
    for (const w of [0, 1])
      expect(r.pool[pte.frame * WORDS + slot(this.index, w)]).toBe(
        m.tasks.get(task)!.get(key(this.index, w)) ?? 0,
      );
    check(m, r);
  }
  toString = () => `read(#${this.t}, ${this.index})`;
}

class Write implements Cmd {
  constructor(
    readonly t: number,
    readonly index: number,
    readonly value: number,
    readonly which = 0,
  ) {}
  check = (m: Readonly<Model>) => m.tasks.size > 0;
  run(m: Model, r: Real): void {
    const task = pick([...m.tasks.keys()], this.t);
    const pte = r.ptes.get(task)!.get(this.index);
    if (pte === undefined || !pte.writable) {
      if (!fault(m, r, task, this.index, true, pte !== undefined)) {
        check(m, r);
        return;
      }
    }
    const now = r.ptes.get(task)!.get(this.index)!;
    expect(now.writable).toBe(true);
    r.pool[now.frame * WORDS + slot(this.index, this.which)] = this.value;
    m.tasks.get(task)!.set(key(this.index, this.which), this.value);
    check(m, r);
  }
  toString = () => `write(#${this.t}, ${this.index}.${this.which}, ${this.value})`;
}

class Fork implements Cmd {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) => m.tasks.size > 0 && m.tasks.size < 6;
  run(m: Model, r: Real): void {
    const parent = pick([...m.tasks.keys()], this.t);
    const child = r.next++;
    r.ptes.set(child, new Map());
    apply(r, r.cow.fork(parent, child));
    m.tasks.set(child, new Map(m.tasks.get(parent)!)); // the model copies everything now
    // Nothing the parent can write is left writable: every page it maps is read-only now.
    for (const pte of r.ptes.get(parent)!.values()) expect(pte.writable).toBe(false);
    check(m, r);
  }
  toString = () => `fork(#${this.t})`;
}

class Exit implements Cmd {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) => m.tasks.size > 0;
  run(m: Model, r: Real): void {
    kill(m, r, pick([...m.tasks.keys()], this.t));
    check(m, r);
  }
  toString = () => `exit(#${this.t})`;
}

class Spawn implements Cmd {
  check = (m: Readonly<Model>) => m.tasks.size < 6;
  run(m: Model, r: Real): void {
    const task = r.next++;
    r.ptes.set(task, new Map());
    m.tasks.set(task, new Map());
    check(m, r);
  }
  toString = () => "spawn";
}

function setup(): { model: Model; real: Real } {
  const real: Real = {
    cow: new CowPager(POOL, AREA),
    pool: new Int32Array(POOL * WORDS),
    ptes: new Map([[1, new Map()]]),
    next: 2,
    copies: 0,
  };
  return { model: { tasks: new Map([[1, new Map()]]) }, real };
}

const who = fc.nat(7);
const page = fc.nat(AREA - 1);
const commands = fc.commands(
  [
    fc.tuple(who, page).map(([t, i]) => new Read(t, i)),
    fc
      .tuple(who, page, fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 0, max: 1 }))
      .map(([t, i, v, w]) => new Write(t, i, v, w)),
    fc
      .tuple(who, page, fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 0, max: 1 }))
      .map(([t, i, v, w]) => new Write(t, i, v, w)),
    who.map((t) => new Fork(t)),
    who.map((t) => new Exit(t)),
    fc.constant(new Spawn()),
  ],
  { maxCommands: 60 },
);

/** Every task exits: the pool is whole again and no VM object (shadow or not) is left. */
function drain(m: Model, r: Real): void {
  for (const task of [...m.tasks.keys()]) kill(m, r, task);
  check(m, r);
  expect(r.cow.stats().objects).toBe(0);
  expect(r.cow.frames.freeFrames()).toBe(POOL);
}

describe("mm0's copy-on-write bookkeeping against an eager-copy model", () => {
  it("random fork/write/read/exit: every read is the model's value; at the end the pool is whole", () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        fc.modelRun(() => {
          const s = setup();
          return s;
        }, cmds);
      }),
      { numRuns: 80 },
    );
    // modelRun gives no hook after the last command: drain separately on fresh runs.
    fc.assert(
      fc.property(commands, (cmds) => {
        const s = setup();
        for (const c of cmds) if (c.check(s.model)) c.run(s.model, s.real);
        drain(s.model, s.real);
      }),
      { numRuns: 80 },
    );
  });

  it("a write to a shared page copies it; the other side keeps the old value", () => {
    const { model: m, real: r } = setup();
    new Write(0, 1, 7).run(m, r);
    new Fork(0).run(m, r); // tasks 1 and 2 share page 1
    expect(r.copies).toBe(0);
    new Write(1, 1, 9).run(m, r); // task 2 writes: a copy
    expect(r.copies).toBe(1);
    new Read(0, 1).run(m, r); // task 1 still reads 7
    new Exit(1).run(m, r); // task 2 gone: task 1's chain merges back
    expect(r.cow.chainLength(1)).toBe(1);
    new Write(0, 1, 8).run(m, r); // no longer shared: no copy
    expect(r.copies).toBe(1);
    drain(m, r);
  });

  it("pool exhaustion refuses the fault (the task dies), never throws; the rest goes on", () => {
    const { model: m, real: r } = setup();
    for (let i = 0; i < AREA; i++) new Write(0, i, i + 1).run(m, r);
    for (let f = 0; f < 3; f++) new Fork(0).run(m, r); // 4 tasks share 4 pages
    // Each child writes all 4 pages: 12 copies wanted, 8 pool pages left.
    for (const t of [1, 2]) for (let i = 0; i < AREA; i++) new Write(t, i, 100 * t + i).run(m, r);
    expect(r.cow.frames.freeFrames()).toBe(0);
    new Write(3, 0, 1).run(m, r); // the third child's first copy: refused, the child killed
    expect(m.tasks.has(4)).toBe(false);
    expect(m.tasks.size).toBe(3);
    for (const t of [0, 1, 2]) for (let i = 0; i < AREA; i++) new Read(t, i).run(m, r); // all intact
    drain(m, r);
  });

  it("repeated fork/exit keeps chains bounded with Codezero's merge rule, and not without it", () => {
    for (const merge of [true, false]) {
      const cow = new CowPager(POOL, AREA, merge);
      cow.fault(1, 0, true, false);
      for (let n = 2; n < 12; n++) {
        cow.fork(1, n);
        cow.exit(n);
      }
      if (merge) {
        expect(cow.chainLength(1)).toBe(1);
        expect(cow.stats().maxChain).toBe(2);
      } else expect(cow.chainLength(1)).toBe(11);
    }
  });
});
