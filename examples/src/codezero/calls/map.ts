/**
 * `l4_map` and `l4_unmap`: how a user-level pager gives a client memory, and takes it back.
 *
 * In L4 a pager answers a page-fault message with a mapping of one of its own pages; the kernel
 * makes the client's page table point at the same frame. The rule for which frames a pager may
 * hand out is the heart of the design, and ours is:
 *
 * > **A pager may map only pages it holds itself, in a shared area of its own space (its pool),
 * > with no more rights than it holds, into a task whose pager endpoint it serves** — that is, it
 * > holds a capability with READ (receive) to the very endpoint the kernel forwards that task's
 * > faults to.
 *
 * So memory flows down a chain that starts at boot, as in L4 (σ0 → root pager → clients): the
 * boot code gives the root task the machine's pool (σ0's grant), the root task maps part of it
 * into the pager it created (it is that pager's pager), and the pager maps pages of its part into
 * its clients. No one can map a frame it was never given, and a private page (copy-on-write state
 * of its owner) is never handed out by reference (`@osbricks/ipc` space-transfer.ts).
 *
 * ```
 *   pager's space                           client's space
 *   [pool: shared, object O, pages 0..31]   l4_map(client, pool + 3 pages, 0x4000_0000, 1, RW)
 *                                  ───────▶ [paged: shared, object O, page 3]   (the same frame)
 * ```
 *
 * `l4_unmap` is the pager's revocation: it removes pages from a client it pages, but only pages
 * that a pager mapped there (areas named `[paged]`): a pager cannot unmap a client's text or stack.
 * Real L4 unmaps recursively through a mapping database (every mapping derived from a page goes);
 * ours has one level, pager → client.
 *
 * Errors: EINVAL (alignment, count 1..64, prot ∉ {R, RW}), ENOENT (no such live task; source not
 * mapped; nothing of the pager's there to unmap), EPERM (not the task's pager; a private source;
 * more rights than held), EEXIST (destination taken). A refusal changes neither space.
 *
 * Related: `../abi.ts`, `../servers/mm0.ts` (the pager that uses them), `@osbricks/ipc`
 * space-transfer.ts (`shareRange`).
 */

import { shareRange } from "@osbricks/ipc";
import type { Process, SyscallHandlers, Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { USER_END, USER_START } from "@osbricks/vm";
import { type codezeroSyscalls, L4Error, MapProt } from "../abi.js";
import type { CodezeroState } from "../personality.js";

type Handlers = SyscallHandlers<Thread, typeof codezeroSyscalls.decls>;

const PAGE = 4096;
/** Most pages one l4_map or l4_unmap moves. */
export const MAX_MAP_PAGES = 64;
/** The name of the areas pagers map into their clients. */
export const PAGED_AREA = "[paged]";

/** Whether `t`'s task serves `task`'s faults: it holds READ on the endpoint that is `task`'s pager. */
export function isPagerOf(s: CodezeroState, t: Thread, task: Process): boolean {
  const ep = task.pager;
  if (ep === null || ep.destroyed) return false;
  for (const info of t.process.handleTable.list()) {
    if (info.type !== s.endpointType.name || (info.rights & Right.READ) === 0) continue;
    if ((info.object as { endpoint?: unknown }).endpoint === ep) return true;
  }
  return false;
}

function range(va: number, pages: number): boolean {
  return va % PAGE === 0 && va >= USER_START && va + pages * PAGE <= USER_END;
}

/** The `l4_map` and `l4_unmap` handlers. */
export function mapCalls(s: CodezeroState): Pick<Handlers, "l4_map" | "l4_unmap"> {
  const k = s.k;

  /** The live task `id` that `t` pages, or the L4 error. */
  function client(t: Thread, id: number): Process | number {
    const task = k.processes.get(id);
    if (task === undefined || task.phase !== "live" || task.addressSpace === null) return -L4Error.ENOENT;
    if (!isPagerOf(s, t, task)) return s.refused(-L4Error.EPERM);
    return task;
  }

  return {
    l4_map(t, task, src, dst, pages, prot) {
      if (pages < 1 || pages > MAX_MAP_PAGES || !range(src, pages) || !range(dst, pages))
        return -L4Error.EINVAL;
      if (prot !== MapProt.READ && prot !== (MapProt.READ | MapProt.WRITE)) return -L4Error.EINVAL;
      const target = client(t, task);
      if (typeof target === "number") return target;
      const own = t.process.addressSpace;
      if (own === null || target.addressSpace === own) return -L4Error.EINVAL;
      const out = shareRange(own, src, pages * PAGE, target.addressSpace!, {
        placement: { kind: "fixed", va: dst, replace: false },
        prot,
        name: PAGED_AREA,
      });
      switch (out.kind) {
        case "ok":
          s.counters.pagesMapped += pages;
          return 0;
        case "not-mapped":
          return -L4Error.ENOENT;
        case "private-area":
        case "access-denied":
          return s.refused(-L4Error.EPERM);
        case "exists":
          return -L4Error.EEXIST;
        default:
          return -L4Error.ENOMEM;
      }
    },
    l4_unmap(t, task, va, pages) {
      if (pages < 1 || pages > MAX_MAP_PAGES || !range(va, pages)) return -L4Error.EINVAL;
      const target = client(t, task);
      if (typeof target === "number") return target;
      const space = target.addressSpace!;
      // Only what pagers mapped: every page of the range must be in a [paged] area.
      let held = 0;
      for (let p = 0; p < pages; p++) {
        const a = space.findArea(va + p * PAGE);
        if (a === undefined) continue;
        if (a.name !== PAGED_AREA) return s.refused(-L4Error.EPERM);
        held++;
      }
      if (held === 0) return -L4Error.ENOENT;
      const out = space.unmap(va, pages * PAGE);
      if (out.kind !== "unmapped") return -L4Error.ENOENT;
      s.counters.pagesUnmapped += held;
      return held;
    },
  };
}
