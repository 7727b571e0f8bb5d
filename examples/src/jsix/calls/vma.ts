/**
 * `j6_vma_*`: jsix's VMA, a shareable kernel object. One VMA is one VM object (`@osbricks/vm`'s,
 * frames in a 64-ary page tree, demand-zero) mapped into any number of processes; the VMA knows
 * every (process, address) it is in, as jsix's `vm_area` keeps its list of spaces, so a resize
 * reaches every one of them.
 *
 * ```
 *       process A (srv.init)                     process B (vma-demo)
 *   0x2100_0000 ┌──────────────┐             ┌──────────────┐ 0x3000_0000
 *               │ area ────────┼──┐       ┌──┼──────── area │
 *               └──────────────┘  ▼       ▼  └──────────────┘
 *                            VMA ─▶ VM object: page 0 → frame 0x1a3, page 1 → frame 0x1a7
 *                        mappings = [(A, 0x2100_0000), (B, 0x3000_0000)]
 * ```
 *
 * ```
 *   call                          needs          does
 *   ────────────────────────────  ─────────────  ──────────────────────────────────────────────
 *   vma_create(size, flags)       —              a VMA of ⌈size/4096⌉ pages, mapped nowhere
 *   vma_create_map(size, a, fl)   —              create, then map into the caller at a
 *   vma_map(vma, p, a)            vma: map,      a shared area at a in p linking the VM object;
 *                                 p: create_thread  at most one mapping per process (exists)
 *   vma_unmap(vma, p)             vma: unmap     p's area goes; every other mapping stays
 *   vma_resize(vma, size)         vma: resize    every mapping grows (if the pages after it are
 *                                                free in every space: else j6_status_exists and
 *                                                nothing changes) or shrinks
 * ```
 *
 * The VM object lives as a named segment of `VmSystem.shm` ("vma-<n>") while the VMA lives: the
 * VM layer's link count then balances (areas hold links, the segment holds one) and the leak
 * check sees it. When the VMA's last handle closes the name goes; areas still mapped keep their
 * frames until they are unmapped or their space dies. The VM object is made as large as
 * {@link MAX_VMA_BYTES} (pages are materialised only when touched), so a VMA grows in place;
 * shrinking drops the mappings' tails, and the pages behind the new end stay in the object until
 * the VMA dies (a later growth sees them again, as a file's pages would).
 *
 * **Simplification: user space only.** `vma_map` and `vma_create_map` refuse an address below
 * `USER_START` or an end past `USER_END` with `j6_err_invalid_arg`, and a refused `create_map`
 * creates nothing (no VMA, no handle, no koid serial): every check comes before the VMA is made.
 * jsix's vma_map and vma_create_map (src/kernel/syscalls/vm_area.cpp) check no address: create_map
 * constructs the VMA and its handle first, then adds it to the caller's space.
 *
 * A process that exits leaves every VMA's mappings (an observer on its `terminated` signal), so
 * no VMA ever names a dead space.
 *
 * Related: `@osbricks/vm` space/vm-system.ts (`mappingsOf`), space/shm.ts, `../objects.ts`.
 */
import type { Process } from "@osbricks/kernel";
import type { KernelObject, SignalObserver } from "@osbricks/objects";
import { PROT_READ, PROT_WRITE, USER_END, USER_START } from "@osbricks/vm";
import { J6Status, MAX_VMA_BYTES, VmaFlags } from "../abi.js";
import { VmaObject } from "../objects.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

const PAGE = 4096;
const MAX_PAGES = MAX_VMA_BYTES / PAGE;
/** The name of the areas VMAs are mapped as. */
export const VMA_AREA = "[vma]";

/** The VMA handlers. */
export function vmaCalls(
  s: JsixState,
): Pick<Handlers, "j6_vma_create" | "j6_vma_create_map" | "j6_vma_map" | "j6_vma_unmap" | "j6_vma_resize"> {
  const k = s.k;
  let serial = 0;
  /** The exit watcher of each process some VMA is mapped in. */
  const watchers = new WeakMap<Process, SignalObserver>();

  function watch(p: Process): void {
    if (watchers.has(p)) return;
    const leave = (o: KernelObject) => {
      o.removeObserver(observer);
      watchers.delete(p);
      for (const vma of s.vmas) {
        const i = vma.mappings.findIndex((m) => m.process === p);
        if (i >= 0) vma.mappings.splice(i, 1);
      }
    };
    const observer: SignalObserver = {
      mask: k.processType.signal("terminated"),
      signalled: leave,
      died: leave,
    };
    p.addObserver(observer);
    watchers.set(p, observer);
  }

  function create(t: { process: Process }, size: number, flags: number): VmaObject | number {
    if (size < 1 || size > MAX_VMA_BYTES || (flags & ~VmaFlags.WRITE) !== 0) return -J6Status.err_invalid_arg;
    const table = t.process.handleTable;
    if (table.size >= table.capacity) return -J6Status.err_insufficient;
    const name = `vma-${++serial}`;
    const segment = k.vm.shm.create(name, MAX_PAGES);
    const vma = new VmaObject(
      k.objects,
      s.vmaType,
      segment.object,
      Math.ceil(size / PAGE),
      (flags & VmaFlags.WRITE) !== 0,
      (dead) => {
        k.vm.shm.unlink(name);
        s.vmas.delete(dead);
        s.destroyed("vma");
      },
    );
    s.vmas.add(vma);
    s.created("vma");
    return vma;
  }

  function map(vma: VmaObject, p: Process, va: number): number {
    if (p.phase !== "live" || p.exiting || p.addressSpace === null) return -J6Status.err_not_ready;
    if (vma.mappingIn(p) !== undefined) return -J6Status.exists;
    // Below USER_START (page 0 and the null guard) or past USER_END is not user memory: a bad
    // argument, checked here because the space's AddressRangeError is a kernel-internal contract.
    if (va < USER_START || va + vma.pages * PAGE > USER_END) return -J6Status.err_invalid_arg;
    const out = p.addressSpace.map({
      length: vma.pages * PAGE,
      prot: PROT_READ | (vma.writable ? PROT_WRITE : 0),
      sharing: "shared",
      object: vma.vmObject,
      placement: { kind: "fixed", va, replace: false },
      name: VMA_AREA,
    });
    if (out.kind === "exists") return -J6Status.exists;
    if (out.kind !== "mapped") return -J6Status.err_insufficient;
    vma.mappings.push({ process: p, va });
    watch(p);
    s.counters.vmaMaps++;
    return 0;
  }

  /** Whether [va, va + pages) is free of areas in `p`'s space. */
  function free(p: Process, va: number, pages: number): boolean {
    const end = va + pages * PAGE;
    if (end > USER_END) return false;
    return p.vm.areaList().every((a) => a.start + a.pages * PAGE <= va || a.start >= end);
  }

  return {
    j6_vma_create(t, size, flags) {
      const vma = create(t, size, flags);
      if (typeof vma === "number") return vma;
      const h = t.process.handleTable.create(vma, s.vmaType.defaultRights);
      return h.kind === "ok" ? h.handle : -J6Status.err_unexpected;
    },
    j6_vma_create_map(t, size, addr, flags) {
      // Every check before anything is made: a refused create_map leaves no VMA behind, not even
      // a created-then-destroyed one (the counters and the koid serials would say otherwise).
      if (size < 1 || size > MAX_VMA_BYTES || (flags & ~VmaFlags.WRITE) !== 0)
        return -J6Status.err_invalid_arg;
      const pages = Math.ceil(size / PAGE);
      if (addr < USER_START || addr + pages * PAGE > USER_END) return -J6Status.err_invalid_arg;
      if (!free(t.process, addr, pages)) return -J6Status.exists;
      const vma = create(t, size, flags);
      if (typeof vma === "number") return vma;
      const table = t.process.handleTable;
      const h = table.create(vma, s.vmaType.defaultRights);
      if (h.kind !== "ok") return -J6Status.err_unexpected;
      const r = map(vma, t.process, addr);
      if (r < 0) {
        table.close(h.handle); // the VMA's only handle: it ends, and the call changed nothing
        return r;
      }
      return h.handle;
    },
    j6_vma_map: (_t, vma, p, addr) => map(vma, p, addr),
    j6_vma_unmap(_t, vma, p) {
      const m = vma.mappingIn(p);
      if (m === undefined || p.addressSpace === null) return -J6Status.err_invalid_arg;
      p.addressSpace.unmap(m.va, vma.pages * PAGE);
      vma.mappings.splice(vma.mappings.indexOf(m), 1);
      s.counters.vmaUnmaps++;
      return 0;
    },
    j6_vma_resize(_t, vma, size) {
      if (size < 1 || size > MAX_VMA_BYTES) return -J6Status.err_invalid_arg;
      const pages = Math.ceil(size / PAGE);
      const old = vma.pages;
      if (pages > old) {
        // Every space first: a growth that cannot happen everywhere happens nowhere.
        for (const m of vma.mappings)
          if (!free(m.process, m.va + old * PAGE, pages - old)) return -J6Status.exists;
        for (const m of vma.mappings) {
          const out = m.process.vm.map({
            length: (pages - old) * PAGE,
            prot: PROT_READ | (vma.writable ? PROT_WRITE : 0),
            sharing: "shared",
            object: vma.vmObject,
            offset: old,
            placement: { kind: "fixed", va: m.va + old * PAGE, replace: false },
            name: VMA_AREA,
          });
          if (out.kind !== "mapped") return -J6Status.err_unexpected; // checked free just above
        }
      } else if (pages < old) {
        for (const m of vma.mappings) m.process.vm.unmap(m.va + pages * PAGE, (old - pages) * PAGE);
      }
      vma.pages = pages;
      return pages * PAGE;
    },
  };
}
