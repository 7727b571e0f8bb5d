/**
 * The eager model of the copy-on-write laws: what every process's window holds if every private
 * page were copied at fork and shared pages and named segments were shared by reference, plus the
 * candidates of a private mapping of a segment ({@link PrivateView}: POSIX MAP_PRIVATE, see the
 * banner of `cow-commands.ts` for the worked example). Pure data and pure updates, no machine.
 *
 * Related: `cow-commands.ts` (the commands that keep it in step with the real system).
 */
import { OFFSETS } from "./cow-machine.js";

// ── the eager model ─────────────────────────────────────────────────────────────────────────────

/** One mapped page in the model. */
export interface PageModel {
  prot: number;
  /** The page's bytes; for a shared page the same Map object in every process that maps it. */
  readonly bytes: Map<number, number>;
  /** Mapped `shared` (anonymous or a named segment): fork shares `bytes` instead of copying them. */
  readonly shared: boolean;
  /** A guard page: every access faults. */
  readonly guard: boolean;
  /** For a private mapping of a named segment: what the page may hold (`bytes` is then unused). */
  readonly view: PrivateView | null;
}

/** A candidate of a {@link PrivateView}: the page reads the segment's bytes as they are now. */
export const THROUGH = "through";

/** A page of a private mapping of a named segment: every page it may hold (see the file banner). */
export interface PrivateView {
  /** The segment page's bytes (the same Map as in {@link Model.segments}). */
  readonly segment: Map<number, number>;
  /** `"/s0 page 2"`, for messages. */
  readonly name: string;
  /** Whether the mapping accessed the page yet (a refused access counts: it may have faulted it in). */
  touched: boolean;
  /** Whether the mapping wrote the page (then every candidate is a copy of its own). */
  written: boolean;
  /** Reads through to the segment ({@link THROUGH}), or a copy of its own. Never empty. */
  candidates: (Map<number, number> | typeof THROUGH)[];
}
/** One process's window: page index → page. */
export type ProcModel = Map<number, PageModel>;
/** The eager model: every process's window and the named segments' pages. */
export interface Model {
  readonly procs: ProcModel[];
  /** The pages of the named segments "/s0" and "/s1": one bytes map per segment page. */
  readonly segments: Map<number, number>[][];
}

// ── private mappings of a segment ───────────────────────────────────────────────────────────────

/** The values byte `off` of a private view may read now. */
export function viewValues(v: PrivateView, off: number): number[] {
  const out: number[] = [];
  for (const c of v.candidates) {
    const x = (c === THROUGH ? v.segment : c).get(off) ?? 0;
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** The first access through the mapping: it may keep the segment's bytes as they are now. */
export function touch(pm: PageModel | undefined): void {
  const v = pm?.view;
  if (v === undefined || v === null || v.touched) return;
  v.touched = true;
  if (v.candidates.includes(THROUGH)) v.candidates.push(new Map(v.segment));
}

/** A private write of `value` at `off`: every candidate becomes a copy with the write. */
export function viewWrite(v: PrivateView, off: number, value: number): void {
  const next: Map<number, number>[] = [];
  for (const c of v.candidates) {
    const copy = new Map(c === THROUGH ? v.segment : c);
    copy.set(off, value);
    if (!next.some((n) => sameBytes(n, copy))) next.push(copy);
  }
  v.candidates = next;
  v.written = true;
}

export function sameBytes(a: Map<number, number>, b: Map<number, number>): boolean {
  for (const off of OFFSETS) if ((a.get(off) ?? 0) !== (b.get(off) ?? 0)) return false;
  return true;
}

/** A page model for a fork's child: private bytes and views copied, shared bytes shared. */
export function forkPage(pm: PageModel): PageModel {
  const v = pm.view;
  return {
    prot: pm.prot,
    bytes: pm.shared ? pm.bytes : new Map(pm.bytes),
    shared: pm.shared,
    guard: pm.guard,
    view:
      v === null
        ? null
        : {
            segment: v.segment,
            name: v.name,
            touched: v.touched,
            written: v.written,
            candidates: v.candidates.map((c) => (c === THROUGH ? c : new Map(c))),
          },
  };
}
