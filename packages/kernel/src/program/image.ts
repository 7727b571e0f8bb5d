/**
 * Executable images: what `exec` and `posix_spawn` load, and the user address-space layout they
 * produce.
 *
 * A program is registered once by name, like a file in `/bin`. Its image says what the loader
 * maps (the ELF program headers of a real binary) and which generator functions are its code:
 *
 * ```
 *   user address space after exec (x86-64, low half; not to scale)
 *
 *   0x0000_7fff_ffff_f000 ┬───────────────┐ USER_STACK_TOP
 *                         │ stack  RW-    │ argv/envp strings and vectors at the top, grows down
 *                         ├───────────────┤ stack bottom
 *                         │ guard  ---    │ one unmapped page: a runaway recursion faults here
 *                         ├───────────────┤
 *                         ⋮               ⋮
 *   0x0000_0010_0000_0000 │ mmap area ↑   │ MMAP_BASE (64 GiB): mappings without a hint, first fit upward
 *                         ⋮               ⋮
 *                         │ heap  ↑ RW-   │ grows with brk/sbrk from the first page after bss
 *                         ├───────────────┤
 *                         │ bss    RW-    │ zero-filled
 *                         │ data   RW-    │ initialised bytes
 *   0x0000_0000_0040_0000 │ text   R-X    │ TEXT_BASE (Linux's non-PIE load address)
 *                         ⋮               ⋮
 *   0x0000_0000_0000_0000 └───────────────┘ page 0 never mapped: NULL dereferences fault
 * ```
 *
 * Code has no bytes here: the text segment holds a table of generator functions, and a code
 * address is `TEXT_BASE + CODE_ALIGN * index`. Handing the kernel such an address (a signal
 * handler, a thread's start routine) is how a program names its code, as in C; the kernel checks
 * that the address lies in an executable mapping before it "jumps" there.
 *
 * Related: `registry.ts` (programs by name), `../process/loader.ts` (maps an image).
 */
import { ProgramError } from "../errors.js";
import type { UserCode } from "./trap.js";

/** x86-64 page size. */
export const PAGE = 4096;
/** Where text starts (Linux x86-64 non-PIE executables load at 4 MiB). */
export const TEXT_BASE = 0x40_0000;
/** Spacing of code addresses in the text segment. */
export const CODE_ALIGN = 16;
/** One page above the highest user stack byte (the top of the canonical low half minus a page). */
export const USER_STACK_TOP = 0x7fff_ffff_f000;
/** Default stack size: 8 pages (32 KiB). */
export const DEFAULT_STACK_PAGES = 8;
/** Default text size: 4 pages, room for 1024 code addresses. */
export const DEFAULT_TEXT_PAGES = 4;

/** What `main` receives: the arguments as strings and where the loader put them on the stack. */
export interface ProcessStart {
  /** The arguments, `argv[0]` being the program name. */
  readonly argv: readonly string[];
  /** The environment, `"KEY=value"` strings. */
  readonly envp: readonly string[];
  /** User address of the `argv` pointer vector on the stack (NULL-terminated, 8-byte pointers). */
  readonly argvPtr: number;
  /** User address of the `envp` pointer vector. */
  readonly envpPtr: number;
  /**
   * The code address of `fn` in this process's text, adding it to the text table the first time
   * (the stand-in for the linker having laid it out). Pass the result to `sigaction` or thread
   * creation.
   */
  addressOf(fn: UserFunction): number;
}

/**
 * `ProcessStart.addressOf` for a process whose text is `text`: a plain closure, so it works
 * detached (`const { addressOf } = start`).
 *
 * @remarks Returned from a function rather than written in the object literal that holds it: a
 *   closure given its name by a property or variable gets a name-setting call from the esbuild
 *   transform that tsx and vitest run (`keepNames`), a few µs at every fork and spawn.
 * @example
 * ```ts
 * const text = new TextImage(1);
 * const start = { argv: [], envp: [], argvPtr: 0, envpPtr: 0, addressOf: addressesIn(text) };
 * ```
 */
export function addressesIn(text: TextImage): (fn: UserFunction) => number {
  return (fn) => text.addressOf(fn);
}

/** A function in a program's text: called with integer arguments (signal number, thread argument). */
export type UserFunction = (...args: number[]) => UserCode<unknown>;

/** The entry point of a program: returns its exit status (0 when it returns nothing). */
export type ProgramMain = (start: ProcessStart) => UserCode<number | undefined>;

/** An executable image, as registered in a {@link ProgramRegistry}. */
export interface ExecutableImage {
  /** The name exec and spawn look it up by (a path such as `"/bin/init"` or just `"init"`). */
  readonly name: string;
  /** The entry point. */
  readonly main: ProgramMain;
  /** Text pages (R-X). Default {@link DEFAULT_TEXT_PAGES}. */
  readonly textPages?: number;
  /** Initialised data (RW-), copied into fresh pages at load. Default empty. */
  readonly data?: Uint8Array;
  /** Zero-initialised bytes after data (RW-). Default 0. */
  readonly bssBytes?: number;
  /** Stack pages below {@link USER_STACK_TOP}, with one guard page under them. Default 8. */
  readonly stackPages?: number;
  /** Functions the program names by address (handlers, thread entries), placed in text first. */
  readonly functions?: readonly UserFunction[];
}

/** One mapping an image asks for. */
export interface Segment {
  readonly name: "text" | "data" | "bss" | "stack";
  /** First byte, page-aligned. */
  readonly va: number;
  readonly pages: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  /** Bytes to copy at the start of the segment (data), else none. */
  readonly init?: Uint8Array;
}

/** The layout of an image: its segments and where the heap starts. */
export interface ImageLayout {
  readonly segments: readonly Segment[];
  /** First byte of the heap: the initial program break. */
  readonly heapStart: number;
  /** One past the highest stack byte. */
  readonly stackTop: number;
  /** Lowest stack byte; the guard page is the page below it. */
  readonly stackBottom: number;
}

const pagesFor = (bytes: number): number => Math.ceil(bytes / PAGE);

/**
 * Compute where an image's segments go (see the banner's diagram).
 *
 * @throws ProgramError when a size is not a non-negative integer or text/stack is empty.
 * @example
 * ```ts
 * const l = imageLayout({ name: "hello", main: function* () { return 0; }, bssBytes: 5000 });
 * l.segments.map((s) => s.name); // ["text", "bss", "stack"]
 * l.heapStart;                    // 0x404000 + 2 pages = 0x406000
 * ```
 */
export function imageLayout(image: ExecutableImage): ImageLayout {
  const textPages = image.textPages ?? DEFAULT_TEXT_PAGES;
  const stackPages = image.stackPages ?? DEFAULT_STACK_PAGES;
  const bss = image.bssBytes ?? 0;
  const data = image.data ?? new Uint8Array(0);
  for (const [what, v] of [
    ["textPages", textPages],
    ["stackPages", stackPages],
    ["bssBytes", bss],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new ProgramError(`imageLayout(${image.name}): ${what}=${v} is not a count`);
  }
  if (textPages === 0 || stackPages === 0) {
    throw new ProgramError(`imageLayout(${image.name}): text and stack need at least one page`);
  }
  const segs: Segment[] = [];
  let va = TEXT_BASE;
  segs.push({ name: "text", va, pages: textPages, read: true, write: false, exec: true });
  va += textPages * PAGE;
  if (data.length > 0) {
    const p = pagesFor(data.length);
    segs.push({ name: "data", va, pages: p, read: true, write: true, exec: false, init: data });
    va += p * PAGE;
  }
  if (bss > 0) {
    const p = pagesFor(bss);
    segs.push({ name: "bss", va, pages: p, read: true, write: true, exec: false });
    va += p * PAGE;
  }
  const stackBottom = USER_STACK_TOP - stackPages * PAGE;
  segs.push({ name: "stack", va: stackBottom, pages: stackPages, read: true, write: true, exec: false });
  return { segments: segs, heapStart: va, stackTop: USER_STACK_TOP, stackBottom };
}

/**
 * The text of one process: the table from code addresses to generator functions.
 *
 * Invariant: address `TEXT_BASE + CODE_ALIGN * (i + 1)` names `functions[i]`, for i below
 * `capacity`; address TEXT_BASE itself names nothing (a jump to the start of text faults).
 */
export class TextImage {
  // Shared with clones until one of them adds a function (copy on write, as text pages are).
  private fns: UserFunction[] = [];
  private index = new Map<UserFunction, number>();
  private shared = false;
  /** How many functions fit in the text pages. */
  readonly capacity: number;

  /** Pages of text this table describes. */
  readonly textPages: number;

  constructor(textPages: number, initial: readonly UserFunction[] = []) {
    this.textPages = textPages;
    this.capacity = (textPages * PAGE) / CODE_ALIGN - 1;
    for (const f of initial) this.addressOf(f);
  }

  /**
   * The address of `fn`, adding it if new.
   * @throws ProgramError when the text is full.
   */
  addressOf(fn: UserFunction): number {
    let i = this.index.get(fn);
    if (i === undefined) {
      if (this.fns.length >= this.capacity) {
        throw new ProgramError(`TextImage.addressOf: text is full (${this.capacity} functions)`);
      }
      if (this.shared) {
        this.fns = this.fns.slice();
        this.index = new Map(this.index);
        this.shared = false;
      }
      i = this.fns.length;
      this.fns.push(fn);
      this.index.set(fn, i);
    }
    return TEXT_BASE + CODE_ALIGN * (i + 1);
  }

  /** The function at code address `va`, or `null` when nothing starts there. */
  at(va: number): UserFunction | null {
    const off = va - TEXT_BASE;
    if (off <= 0 || off % CODE_ALIGN !== 0) return null;
    return this.fns[off / CODE_ALIGN - 1] ?? null;
  }

  /** A copy with the same addresses (fork: the child runs the same text). Shares the table until either side adds to it. */
  clone(): TextImage {
    const t = new TextImage(this.textPages);
    t.fns = this.fns;
    t.index = this.index;
    t.shared = true;
    this.shared = true;
    return t;
  }
}
