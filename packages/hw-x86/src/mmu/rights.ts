/**
 * The access-rights check of a translation: may this access, at this privilege, go through a
 * page whose rights the walk combined over every level? Used by the MMU when it walks (per leaf)
 * and, tabulated per context, on every TLB hit.
 *
 * Access rights (SDM 4.6.1), with `U` = U/S set at every level, `W` = R/W set at every level,
 * `X` = XD clear at every level, or EFER.NXE = 0 (the SDM's fetch rules name XD only "if
 * IA32_EFER.NXE = 1"; without NXE a walk never gets this far with XD set, since bit 63 is then
 * reserved, but a TLB entry cached while NXE was 1 can, and WRMSR to EFER flushes nothing):
 *
 * | access                    | user mode (CPL 3) | supervisor mode (CPL 0–2)                             |
 * | ------------------------- | ----------------- | ----------------------------------------------------- |
 * | read                      | needs U           | if U: needs SMAP = 0 or AC = 1                        |
 * | write                     | needs U and W     | if U: needs SMAP = 0 or AC = 1; needs W when CR0.WP=1 |
 * | instruction fetch         | needs U and X     | needs X; if U: needs SMEP = 0                         |
 *
 * Protection keys (SDM 4.6.2, CR4.PKE): a data access to a user-mode address with key k faults if
 * PKRU.AD[k], or if PKRU.WD[k] on a write that is a user-mode access or happens with CR0.WP = 1.
 *
 * Related: `mmu.ts` (calls it), `context.ts` (CPL, CR0.WP, CR4.SMEP/SMAP/PKE, RFLAGS.AC, PKRU),
 * `fault.ts` (the error-code bits).
 */
import { InvalidArgumentError } from "../errors.js";
import type { TranslationContext } from "./context.js";
import { Access, type AccessKind, PF_P, PF_PK } from "./fault.js";

/**
 * The rights check of SDM 4.6.1/4.6.2 (table above). `rw`, `us`, `nx` are the values combined
 * over every level (any non-zero value counts as set).
 * @returns 0 if the access is allowed, else the #PF error-code bits it contributes (P, and PK when
 *   protection keys forbid it).
 * @throws {@link InvalidArgumentError} if `access` is not 0, 1 or 2 (an unknown kind would
 *   otherwise be judged as a read).
 */
export function checkRights(
  ctx: TranslationContext,
  access: AccessKind,
  rw: number,
  us: number,
  nx: number,
  pkey: number,
): number {
  if (access !== 0 && access !== 1 && access !== 2) {
    throw new InvalidArgumentError(`checkRights(access=${String(access)}): an access kind is 0, 1 or 2`);
  }
  const user = ctx.cpl === 3;
  let ok: boolean;
  if (access === Access.Execute) {
    ok = (nx === 0 || !ctx.nxe) && (user ? us !== 0 : !(us !== 0 && ctx.smep));
  } else if (user) {
    ok = us !== 0 && (access === Access.Read || rw !== 0);
  } else if (us !== 0 && ctx.smap && !ctx.ac) {
    ok = false;
  } else {
    ok = access === Access.Read || rw !== 0 || !ctx.wp;
  }
  let pk = 0;
  if (ctx.pke && us !== 0 && access !== Access.Execute) {
    const ad = (ctx.pkru >>> (2 * pkey)) & 1;
    const wd = (ctx.pkru >>> (2 * pkey + 1)) & 1;
    if (ad !== 0 || (wd !== 0 && access === Access.Write && (user || ctx.wp))) {
      pk = PF_PK;
      ok = false;
    }
  }
  return ok ? 0 : PF_P | pk;
}
