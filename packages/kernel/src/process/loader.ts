/**
 * The loader: turns an executable image into mappings and an initial stack, as `execve` does
 * with an ELF file (Linux `load_elf_binary`, xv6 `exec`).
 *
 * The initial stack follows the System V x86-64 ABI's shape (3.4.1), without the auxiliary
 * vector:
 *
 * ```
 *   USER_STACK_TOP ┬──────────────────────┐
 *                  │ "PATH=/bin\0" …       │ envp strings
 *                  │ "init\0" "-v\0" …     │ argv strings
 *                  │ (pad to 8 bytes)      │
 *                  │ NULL                  │
 *                  │ envp[n-1] … envp[0]   │ 8-byte pointers      ◀── envpPtr
 *                  │ NULL                  │
 *                  │ argv[argc-1] … argv[0]│ 8-byte pointers      ◀── argvPtr
 *   rsp ──────────▶│ argc                  │ 8 bytes
 * ```
 *
 * Related: `../program/image.ts` (layout), `../kernel/lifecycle.ts` (exec, spawn).
 */

import type { AddressSpace } from "@osbricks/vm";
import type { Kernel } from "../kernel/kernel.js";
import { Prot } from "../posix/table.js";
import { type ExecutableImage, imageLayout } from "../program/image.js";
import { encodeCString } from "../program/user.js";
import { copyOut } from "../trap/memory.js";

/** Total bytes of argument and environment strings exec accepts (Linux: ARG_MAX is 2 MiB). */
export const ARG_MAX = 16 * 1024;
/** Most arguments plus environment entries. */
export const MAX_ARGS = 256;

/** Where the loader put things. */
export interface LoadResult {
  readonly argvPtr: number;
  readonly envpPtr: number;
  /** The initial stack pointer (address of argc). */
  readonly sp: number;
  /** First byte of the heap (initial program break). */
  readonly heapStart: number;
}

/**
 * Map `image` into an empty `space` and build its initial stack.
 * @returns the addresses, or `null` when memory ran out (the caller destroys the space).
 */
export function loadImage(
  k: Kernel,
  space: AddressSpace,
  image: ExecutableImage,
  argv: readonly string[],
  envp: readonly string[],
): LoadResult | null {
  const layout = imageLayout(image);
  for (const s of layout.segments) {
    const prot =
      (s.read ? Prot.PROT_READ : 0) | (s.write ? Prot.PROT_WRITE : 0) | (s.exec ? Prot.PROT_EXEC : 0);
    const out = space.map({
      length: s.pages * 4096,
      prot,
      placement: { kind: "fixed", va: s.va },
      name: `[${s.name}]`,
    });
    if (out.kind !== "mapped") return null;
    if (s.init && !copyOut(k, space, s.va, s.init)) return null;
  }
  // Lay the whole initial stack out in one buffer (strings at the top, vectors below), then copy
  // it in with one copyOut: one walk per page instead of one per word.
  const top = layout.stackTop;
  const strings = [...envp, ...argv].map(encodeCString);
  const strBytes = strings.reduce((n, b) => n + b.length, 0);
  let sp = top - strBytes;
  const addrs: number[] = [];
  let at = top;
  for (const b of strings) {
    at -= b.length;
    addrs.push(at);
  }
  const envAddrs = addrs.slice(0, envp.length);
  const argAddrs = addrs.slice(envp.length);
  sp -= sp % 8;
  const words = [argv.length, ...argAddrs, 0, ...envAddrs, 0];
  sp -= 8 * words.length;
  sp -= sp % 16; // the ABI wants rsp 16-byte aligned at entry
  const stack = new Uint8Array(top - sp);
  const dv = new DataView(stack.buffer);
  words.forEach((w, i) => {
    dv.setUint32(8 * i, w % 2 ** 32, true);
    dv.setUint32(8 * i + 4, Math.floor(w / 2 ** 32), true);
  });
  at = top;
  for (const b of strings) {
    at -= b.length;
    stack.set(b, at - sp);
  }
  if (!copyOut(k, space, sp, stack)) return null;
  return { argvPtr: sp + 8, envpPtr: sp + 8 * (argv.length + 2), sp, heapStart: layout.heapStart };
}
