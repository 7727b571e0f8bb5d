/**
 * The invariants of an {@link ObjectStore}, checked by counting every reference two independent
 * ways and comparing, as Codezero's VM tests do.
 *
 * | stored counter | recounted from |
 * | --- | --- |
 * | `o.shadowers` | the `backing` pointers of every live object |
 * | `o.links` | the holders the caller reports (one entry per area that maps `o`), when given |
 * | `o.refs` | `links` + shadows in front of it (and the total over all objects agrees) |
 *
 * Worked: a parent and a child after fork, each area on its own shadow S1, S2 in front of A.
 * A has refs 2 = links 0 + shadows 2; S1 and S2 have refs 1 = links 1 + shadows 0. The holders
 * are [S1, S2]: total refs 4 = recount (2 + 0) + (0 + 1) + (0 + 1).
 *
 * Also checked: a live object is not dead and has a reference; no frame is resident in two
 * objects or free; a physical object has no resident pages; only shadows have a backing, which is
 * live, lists them, and covers their range; chains have no cycle; no anonymous or shadow object
 * is left with one shadow and no link (the merge rule of `object-store.ts` would have merged it).
 *
 * Related: `object-store.ts` (the rules these counters follow), `vm-object.ts`.
 */
import { InvariantError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";
import type { VmObject } from "./vm-object.js";

/**
 * Check the store whose live objects are `live` (by id) and whose pages come from `frames`.
 *
 * @param holders - the objects linked from outside (one entry per link, e.g. every area's
 *   object); when given, each object's `links` must equal its number of entries here.
 * @param merged - whether the store applies the merge rule (then no object may be left with one
 *   shadow and no link). Default true.
 * @throws {@link InvariantError} naming the first broken invariant.
 */
export function checkObjectStoreInvariants(
  live: ReadonlyMap<number, VmObject>,
  frames: FrameAllocator,
  holders?: Iterable<VmObject>,
  merged = true,
): void {
  const shadowCount = new Map<VmObject, number>();
  const frameOwner = new Map<number, VmObject>();
  for (const o of live.values()) {
    if (o.dead) throw new InvariantError(`${o} is in the live set but marked dead`);
    if (o.refs <= 0) throw new InvariantError(`${o} is alive with no reference`);
    if (o.kind === "physical" && o.resident.size > 0) {
      throw new InvariantError(`${o}: a physical object has resident pages`);
    }
    if ((o.kind === "shadow") !== (o.backing !== null)) {
      throw new InvariantError(`${o}: kind ${o.kind} but backing ${o.backing ?? "none"}`);
    }
    for (const [i, f] of o.resident.entries()) {
      if (i < 0 || i >= o.pages) throw new InvariantError(`${o}: resident page ${i} outside the object`);
      const other = frameOwner.get(f);
      if (other !== undefined) throw new InvariantError(`frame ${f} resident in both ${other} and ${o}`);
      frameOwner.set(f, o);
      if (!frames.isAllocated(f)) throw new InvariantError(`${o}: page ${i} in frame ${f}, which is free`);
    }
    const b = o.backing;
    if (b !== null) {
      if (b.dead || live.get(b.id) !== b) throw new InvariantError(`${o} is backed by dead ${b}`);
      if (!b.shadowers.has(o)) throw new InvariantError(`${o} not among the shadowers of ${b}`);
      if (o.backingOffset + o.pages > b.pages) throw new InvariantError(`${o} exceeds its backing ${b}`);
      shadowCount.set(b, (shadowCount.get(b) ?? 0) + 1);
      let steps = 0;
      for (let c: VmObject | null = b; c !== null; c = c.backing) {
        if (c === o || ++steps > live.size) throw new InvariantError(`${o}: shadow chain has a cycle`);
      }
    }
  }
  const linkCount = new Map<VmObject, number>();
  if (holders !== undefined) {
    for (const o of holders) linkCount.set(o, (linkCount.get(o) ?? 0) + 1);
    for (const o of linkCount.keys()) {
      if (o.dead || live.get(o.id) !== o) throw new InvariantError(`a holder links dead ${o}`);
    }
  }
  let refSum = 0;
  let recount = 0;
  for (const o of live.values()) {
    const sh = shadowCount.get(o) ?? 0;
    if (sh !== o.shadowers.size) {
      throw new InvariantError(
        `${o}: ${o.shadowers.size} shadowers recorded, ${sh} found by backing pointers`,
      );
    }
    if (o.refs !== o.links + sh) {
      throw new InvariantError(`${o}: refs ${o.refs} != links ${o.links} + shadows ${sh}`);
    }
    if (holders !== undefined && (linkCount.get(o) ?? 0) !== o.links) {
      throw new InvariantError(`${o}: ${o.links} links recorded, ${linkCount.get(o) ?? 0} held`);
    }
    if (merged && o.kind !== "physical" && o.links === 0 && sh === 1) {
      throw new InvariantError(`${o} has one shadow and no link: it should have been merged (Codezero rule)`);
    }
    refSum += o.refs;
    recount += sh + (holders !== undefined ? (linkCount.get(o) ?? 0) : o.links);
  }
  if (refSum !== recount) throw new InvariantError(`reference total ${refSum} != recount ${recount}`);
}
