/**
 * Passing memory between `@osbricks/vm` address spaces by reference: the receiver maps the very
 * VM object behind the sender's range (no byte is copied, no frame allocated), and in move mode the
 * sender's range is then unmapped, which shoots its translations down (vm's `unmap` ends with one
 * TLB shootdown round). Mach's out-of-line memory and jsix's VMA transfer work this way: what
 * travels is the mapping of an object, and the object keeps its pages.
 *
 * ```
 *   sender  [area A: shared, object O, pages 0..7]      receiver
 *   moveRange(sender, va of page 2, 3 pages, receiver)
 *     1. receiver.map({ object: O, offset: A.offset + 2, sharing: "shared", 3 pages })
 *     2. sender.unmap(va, 3 pages)   → A split into [0..1] and [5..7]; TLB shootdown
 *   sender  [O 0..1]     [O 5..7]                       receiver [O 2..4]   (same frames)
 * ```
 *
 * Only **shared** areas can be passed this way: a private area's pages are copy-on-write state of
 * the sender (its object chain), and handing them out by reference would break the privacy that
 * `MAP_PRIVATE` promises. A private buffer is either placed in shared memory first (as a jsix or
 * Zircon program does with a VMO) or moved page by page at the pmap level with
 * {@link PageTransfer} (os2's single-space design).
 *
 * Related: `page-transfer.ts` (the pmap-level mechanism and the copy baseline).
 */
import type { AddressSpace, Placement, Prot } from "@osbricks/vm";
import { IpcArgumentError } from "../errors.js";

const PAGE = 4096;

/** Result of {@link moveRange} and {@link shareRange}. Every refusal changes nothing. */
export type SpaceTransferResult =
  | {
      readonly kind: "ok";
      /** Where the range now is in the receiver. */
      readonly va: number;
      /** Pages passed. */
      readonly pages: number;
      /** Pages that were resident (had a leaf) in the sender: the translations a move shot down. */
      readonly residentPages: number;
    }
  /** `va..va+length` is not inside one area of the sender. */
  | { readonly kind: "not-mapped"; readonly va: number }
  /** The range lies in a private (or guard) area: only shared memory is passed by reference. */
  | { readonly kind: "private-area"; readonly va: number; readonly sharing: string }
  /** The requested protection grants more than the sender's area. */
  | { readonly kind: "access-denied"; readonly held: Prot; readonly requested: Prot }
  /** The receiver has no room (or, with a fixed placement without replace, the range is taken). */
  | { readonly kind: "no-space" }
  | { readonly kind: "exists"; readonly va: number };

/** Options of {@link moveRange} and {@link shareRange}. */
export interface SpaceTransferOptions {
  /** Where the receiver maps the range. Default `{ kind: "anywhere" }`. */
  readonly placement?: Placement;
  /** Protection in the receiver, a subset of the sender area's. Default: the sender area's. */
  readonly prot?: Prot;
  /** Name of the receiver's area in dumps. Default `"ipc"`. */
  readonly name?: string;
}

/**
 * Move `length` bytes at `va` from `sender` to `receiver`: the receiver maps the same object pages,
 * the sender loses them (with a TLB shootdown). Zero bytes copied.
 * @throws IpcArgumentError when `va` or `length` is not page-aligned or `length` is 0.
 */
export function moveRange(
  sender: AddressSpace,
  va: number,
  length: number,
  receiver: AddressSpace,
  options: SpaceTransferOptions = {},
): SpaceTransferResult {
  return passRange("moveRange", sender, va, length, receiver, options, true);
}

/**
 * Share `length` bytes at `va` with `receiver`: both map the same object pages afterwards, so a
 * write by either is seen by the other (the receiver may get fewer rights with `options.prot`).
 * @throws IpcArgumentError when `va` or `length` is not page-aligned or `length` is 0.
 */
export function shareRange(
  sender: AddressSpace,
  va: number,
  length: number,
  receiver: AddressSpace,
  options: SpaceTransferOptions = {},
): SpaceTransferResult {
  return passRange("shareRange", sender, va, length, receiver, options, false);
}

function passRange(
  call: string,
  sender: AddressSpace,
  va: number,
  length: number,
  receiver: AddressSpace,
  options: SpaceTransferOptions,
  move: boolean,
): SpaceTransferResult {
  if (
    !Number.isInteger(va) ||
    va % PAGE !== 0 ||
    !Number.isInteger(length) ||
    length <= 0 ||
    length % PAGE !== 0
  ) {
    throw new IpcArgumentError(
      `${call}(va=0x${va.toString(16)}, length=${length}): expected page-aligned, length > 0`,
    );
  }
  const area = sender.findArea(va);
  if (area === undefined || va + length > area.end) return { kind: "not-mapped", va };
  if (area.sharing !== "shared" || area.object === null)
    return { kind: "private-area", va, sharing: area.sharing };
  const prot = options.prot ?? area.prot;
  if ((prot & ~area.prot) !== 0) return { kind: "access-denied", held: area.prot, requested: prot };
  const pages = length / PAGE;
  const r = receiver.map({
    length,
    prot,
    sharing: "shared",
    object: area.object,
    offset: area.offset + (va - area.start) / PAGE,
    placement: options.placement ?? { kind: "anywhere" },
    name: options.name ?? "ipc",
  });
  if (r.kind === "no-space") return { kind: "no-space" };
  if (r.kind === "exists") return { kind: "exists", va: r.area.start };
  const residentPages = sender.pmap.leaves(va, va + length).length;
  if (move) sender.unmap(va, length);
  return { kind: "ok", va: r.va, pages, residentPages };
}
