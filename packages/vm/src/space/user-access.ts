/**
 * User-mode loads and stores through the simulated MMU, with the kernel's fault path in the loop:
 * what a trap-and-retry cycle does on real hardware, and what `copyin`/`copyout` do in a kernel.
 *
 * ```
 *   load(va) ─▶ MMU translate (TLB, then walk; CPL 3)
 *                 ├─ ok ─────────────▶ read physical memory
 *                 └─ #PF ─▶ space.handleFault(va, access)
 *                              ├─ resolved ─▶ retry the access (at most a few times)
 *                              └─ segv / oom ─▶ returned to the caller (the kernel signals)
 * ```
 *
 * Because the MMU may answer from its TLB, a space that forgot an invalidation makes these
 * accesses see stale memory — exactly the bug a missing INVLPG causes on hardware.
 *
 * Related: `address-space.ts` (`handleFault`), hw-x86 `Mmu`, `Tlb`.
 */
import { Access, type Mmu, makeContext, type TranslationContext } from "@osbricks/hw-x86";
import { InvariantError } from "../errors.js";
import type { AddressSpace } from "./address-space.js";
import type { AccessType, FaultOutcome } from "./api.js";

/** A failed user access: the fault outcome that stopped it (`segv` or `oom`). */
export type AccessFault = Exclude<FaultOutcome, { readonly kind: "resolved" }>;

const contexts = new WeakMap<AddressSpace, TranslationContext>();
const MAX_RETRIES = 4;

function contextOf(space: AddressSpace, pcid: number): TranslationContext {
  let ctx = contexts.get(space);
  if (ctx === undefined || ctx.pcid !== pcid) {
    ctx = makeContext({ root: space.root, cpl: 3, pcid, pcide: pcid !== 0 });
    contexts.set(space, ctx);
  }
  return ctx;
}

/**
 * Translate a user access of `va` on an MMU, resolving page faults through `space`.
 * @param pcid - the PCID the space runs with on this MMU's CPU (0 without PCIDs).
 * @returns the physical address, or the fault that could not be resolved.
 * @throws {@link InvariantError} when a resolved fault keeps faulting (a broken fault handler).
 */
export function userTranslate(
  space: AddressSpace,
  mmu: Mmu,
  va: number,
  access: AccessType,
  pcid = 0,
): number | AccessFault {
  const kind = access === "write" ? Access.Write : access === "exec" ? Access.Execute : Access.Read;
  const ctx = contextOf(space, pcid);
  for (let i = 0; i < MAX_RETRIES; i++) {
    const r = mmu.translate(ctx, va, kind);
    if (r.kind === "ok") return r.pa;
    if (r.kind !== "page-fault") return { kind: "segv", code: "maperr", reason: "no-area", va };
    const out = space.handleFault(va, access);
    if (out.kind !== "resolved") return out;
  }
  throw new InvariantError(
    `userTranslate(va=0x${va.toString(16)}, ${access}): fault resolved but the access still faults`,
  );
}

/**
 * A user-mode byte load at `va`.
 * @returns the byte, or the fault (`segv`/`oom`) that stopped it.
 * @example
 * ```ts
 * const v = userLoad8(space, mmu, 0x400000);
 * if (typeof v !== "number") console.log("SIGSEGV at", v.va);
 * ```
 */
export function userLoad8(space: AddressSpace, mmu: Mmu, va: number, pcid = 0): number | AccessFault {
  const pa = userTranslate(space, mmu, va, "read", pcid);
  return typeof pa === "number" ? mmu.memory.read8(pa) : pa;
}

/**
 * A user-mode byte store at `va`.
 * @returns `null` on success, or the fault that stopped it.
 */
export function userStore8(
  space: AddressSpace,
  mmu: Mmu,
  va: number,
  value: number,
  pcid = 0,
): AccessFault | null {
  const pa = userTranslate(space, mmu, va, "write", pcid);
  if (typeof pa !== "number") return pa;
  mmu.memory.write8(pa, value);
  return null;
}
