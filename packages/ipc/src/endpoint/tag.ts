/**
 * The message tag: MR0 of every endpoint message, as L4's message tag and jsix's `j6_tag_t`.
 *
 * One 32-bit word says what the rest of the message is:
 *
 * ```
 *  31            16 15      10 9    6 5      0
 * ┌────────────────┬──────────┬──────┬────────┐
 * │     label      │  flags   │  h   │   u    │
 * └────────────────┴──────────┴──────┴────────┘
 *   protocol word    6 bits    handles  untyped words MR1..MRu
 * ```
 *
 * Worked example: label 0x42, no flags, 2 handles, 16 words →
 * (0x42 << 16) | (2 << 6) | 16 = 0x0042_0000 | 0x80 | 0x10 = 0x0042_0090.
 * Decoding 0x0042_0090: u = 0x90 & 63 = 16, h = (0x90 >> 6) & 15 = 2, label = 0x0042_0090 >>> 16 = 0x42.
 *
 * L4 X.2 puts `u` in bits 0..5 and the label in the top 16 bits too; its middle bits count typed
 * items, where ours count handles (jsix sends handles beside the tag in the same way). The kernel
 * rewrites `h` on delivery to the number of handles actually moved.
 *
 * Related: `endpoint.ts` (reads u and the long flag on every transfer).
 */
import { MR_COUNT } from "../api.js";
import { IpcArgumentError } from "../errors.js";

/** Mask of the untyped-word count `u` (bits 0..5). */
export const TAG_U_MASK = 0x3f;
/** Shift of the handle count `h` (bits 6..9). */
export const TAG_H_SHIFT = 6;
/** Mask of `h` after shifting. */
export const TAG_H_MASK = 0xf;
/** Shift of the flags (bits 10..15). */
export const TAG_FLAGS_SHIFT = 10;
/** Flag: the message carries the sender's long buffer (Codezero long IPC), its length in `longLen`. */
export const TAG_FLAG_LONG = 1 << 10;
/** Shift of the 16-bit label (bits 16..31). */
export const TAG_LABEL_SHIFT = 16;

/** Label of the messages the kernel sends for bound interrupt lines (MR1 = the line). */
export const IRQ_LABEL = 0xffff;

/** The fields of a tag, decoded. */
export interface MessageTag {
  /** Protocol word chosen by the sender, 0..0xFFFF. */
  readonly label: number;
  /** Untyped words in MR1..MRu, 0..63. */
  readonly words: number;
  /** Handles carried, 0..15. */
  readonly handles: number;
  /** Whether the long buffer travels with the message. */
  readonly long: boolean;
  /** The six flag bits, as stored (bit 0 of this field is {@link TAG_FLAG_LONG}). */
  readonly flags: number;
}

/**
 * Build a tag word.
 * @throws IpcArgumentError when a field is out of range (label > 0xFFFF, words > 63, handles > 15).
 * @example makeTag({ label: 0x42, words: 16, handles: 2 }) === 0x00420090
 */
export function makeTag(fields: {
  readonly label: number;
  readonly words: number;
  readonly handles?: number;
  readonly long?: boolean;
}): number {
  const { label, words } = fields;
  const handles = fields.handles ?? 0;
  if (!Number.isInteger(label) || label < 0 || label > 0xffff) {
    throw new IpcArgumentError(`makeTag(label=${label}): expected an integer in 0..0xFFFF`);
  }
  if (!Number.isInteger(words) || words < 0 || words > MR_COUNT - 1) {
    throw new IpcArgumentError(`makeTag(words=${words}): expected an integer in 0..${MR_COUNT - 1}`);
  }
  if (!Number.isInteger(handles) || handles < 0 || handles > TAG_H_MASK) {
    throw new IpcArgumentError(`makeTag(handles=${handles}): expected an integer in 0..${TAG_H_MASK}`);
  }
  return (label << TAG_LABEL_SHIFT) | (fields.long ? TAG_FLAG_LONG : 0) | (handles << TAG_H_SHIFT) | words;
}

/**
 * Split a tag word into its fields.
 * @example decodeTag(0x00420090) → { label: 0x42, words: 16, handles: 2, long: false, flags: 0 }
 */
export function decodeTag(tag: number): MessageTag {
  const flags = (tag >>> TAG_FLAGS_SHIFT) & 0x3f;
  return {
    label: tag >>> TAG_LABEL_SHIFT,
    words: tag & TAG_U_MASK,
    handles: (tag >>> TAG_H_SHIFT) & TAG_H_MASK,
    long: (tag & TAG_FLAG_LONG) !== 0,
    flags,
  };
}
