/**
 * The interrupt vector space: 256 vectors, the first 32 of them architectural exceptions.
 *
 * Intel SDM Vol. 3A 6.2 and Table 6-1 ("Protected-Mode Exceptions and Interrupts"). A vector is an
 * index into the IDT. Vectors 0–31 are reserved by Intel for exceptions and NMI; 32–255 are free for
 * the operating system: external interrupts delivered by an interrupt controller, IPIs, and
 * software interrupts (`INT n`).
 *
 * ```
 *   0 ─────────────── 21 ── 31 │ 32 ──────────────────────────────── 255
 *   #DE #DB NMI … #PF … #CP  rsvd │ external interrupts, IPIs, INT n (OS-defined)
 * ```
 *
 * Each exception has a class (SDM 6.5): a *fault* is reported before the faulting instruction, which
 * restarts after the handler returns (a page fault resolved by demand paging re-runs the load);
 * a *trap* is reported after the instruction (a breakpoint's saved RIP points past `INT3`); an
 * *abort* cannot be restarted reliably (#DF, #MC). Some exceptions push an error code on the stack
 * (SDM 6.13): #DF and #AC always push 0, #PF pushes its P/W/U/RSVD/I bits, #TS/#NP/#SS/#GP push a
 * segment selector index (0 for most #GP causes in a flat 64-bit kernel).
 *
 * Related: `api.ts`, `apic.ts`, `pic8259.ts` (delivery of vectors 32–255), `../cpu/cpu.ts` (the IDT handler table).
 */
import { InvalidArgumentError } from "../errors.js";

/** How the processor reports an exception (Intel SDM 6.5). */
export type ExceptionClass = "fault" | "trap" | "abort" | "interrupt";

/** What the SDM says about one architectural exception vector (Table 6-1). */
export interface ExceptionInfo {
  /** The vector number, 0–31. */
  readonly vector: number;
  /** The assembler mnemonic (`"#PF"`), or `"NMI"`. */
  readonly mnemonic: string;
  /** The SDM's name for it. */
  readonly name: string;
  /** Fault, trap, abort, or (NMI only) interrupt. #DB is a fault or a trap depending on the cause; listed as trap. */
  readonly class: ExceptionClass;
  /** Whether the processor pushes an error code before calling the handler (SDM 6.13). */
  readonly errorCode: boolean;
}

/**
 * Vector numbers of the architectural exceptions, by mnemonic (Intel SDM Vol. 3A Table 6-1).
 *
 * @example
 * ```ts
 * Vector.PF; // 14: the page-fault handler is IDT entry 14
 * ```
 */
export const Vector = {
  /** Divide error (DIV/IDIV by zero or overflow). */
  DE: 0,
  /** Debug exception. */
  DB: 1,
  /** Non-maskable interrupt. */
  NMI: 2,
  /** Breakpoint (`INT3`). */
  BP: 3,
  /** Overflow (`INTO`). */
  OF: 4,
  /** BOUND range exceeded. */
  BR: 5,
  /** Invalid opcode (also `STAC`/`CLAC` outside ring 0). */
  UD: 6,
  /** Device not available (x87/SSE used with CR0.TS=1). */
  NM: 7,
  /** Double fault. */
  DF: 8,
  /** Invalid TSS. */
  TS: 10,
  /** Segment not present. */
  NP: 11,
  /** Stack-segment fault. */
  SS: 12,
  /** General protection (also non-canonical addresses, SDM 3.3.7.1). */
  GP: 13,
  /** Page fault (error code and CR2 per SDM 4.7). */
  PF: 14,
  /** x87 floating-point error. */
  MF: 16,
  /** Alignment check (CR0.AM=1, RFLAGS.AC=1, CPL 3). */
  AC: 17,
  /** Machine check. */
  MC: 18,
  /** SIMD floating-point exception. */
  XM: 19,
  /** Virtualization exception (EPT violations delivered to a guest). */
  VE: 20,
  /** Control-protection exception (CET shadow stacks and indirect-branch tracking). */
  CP: 21,
} as const;

/** The first vector an OS may use for external interrupts and IPIs; 0–31 belong to Intel. */
export const FIRST_EXTERNAL_VECTOR = 32;
/** Number of IDT entries (vectors 0–255). */
export const VECTOR_COUNT = 256;

const TABLE: readonly ExceptionInfo[] = [
  { vector: 0, mnemonic: "#DE", name: "Divide Error", class: "fault", errorCode: false },
  { vector: 1, mnemonic: "#DB", name: "Debug Exception", class: "trap", errorCode: false },
  { vector: 2, mnemonic: "NMI", name: "Non-maskable Interrupt", class: "interrupt", errorCode: false },
  { vector: 3, mnemonic: "#BP", name: "Breakpoint", class: "trap", errorCode: false },
  { vector: 4, mnemonic: "#OF", name: "Overflow", class: "trap", errorCode: false },
  { vector: 5, mnemonic: "#BR", name: "BOUND Range Exceeded", class: "fault", errorCode: false },
  { vector: 6, mnemonic: "#UD", name: "Invalid Opcode", class: "fault", errorCode: false },
  { vector: 7, mnemonic: "#NM", name: "Device Not Available", class: "fault", errorCode: false },
  { vector: 8, mnemonic: "#DF", name: "Double Fault", class: "abort", errorCode: true },
  {
    vector: 9,
    mnemonic: "#CSO",
    name: "Coprocessor Segment Overrun (reserved)",
    class: "fault",
    errorCode: false,
  },
  { vector: 10, mnemonic: "#TS", name: "Invalid TSS", class: "fault", errorCode: true },
  { vector: 11, mnemonic: "#NP", name: "Segment Not Present", class: "fault", errorCode: true },
  { vector: 12, mnemonic: "#SS", name: "Stack-Segment Fault", class: "fault", errorCode: true },
  { vector: 13, mnemonic: "#GP", name: "General Protection", class: "fault", errorCode: true },
  { vector: 14, mnemonic: "#PF", name: "Page Fault", class: "fault", errorCode: true },
  { vector: 15, mnemonic: "-", name: "Reserved", class: "fault", errorCode: false },
  { vector: 16, mnemonic: "#MF", name: "x87 FPU Floating-Point Error", class: "fault", errorCode: false },
  { vector: 17, mnemonic: "#AC", name: "Alignment Check", class: "fault", errorCode: true },
  { vector: 18, mnemonic: "#MC", name: "Machine Check", class: "abort", errorCode: false },
  { vector: 19, mnemonic: "#XM", name: "SIMD Floating-Point Exception", class: "fault", errorCode: false },
  { vector: 20, mnemonic: "#VE", name: "Virtualization Exception", class: "fault", errorCode: false },
  { vector: 21, mnemonic: "#CP", name: "Control Protection Exception", class: "fault", errorCode: true },
];

/** The architectural exceptions, indexed by vector (0–21), as in Intel SDM Vol. 3A Table 6-1. */
export const EXCEPTIONS: readonly ExceptionInfo[] = TABLE;

function checkVector(call: string, vector: number): void {
  if (!Number.isInteger(vector) || vector < 0 || vector >= VECTOR_COUNT) {
    throw new InvalidArgumentError(
      `${call}: ${String(vector)} is not a vector (an integer in 0..255, SDM 6.2)`,
    );
  }
}

/**
 * What the SDM defines for `vector`: the exception's details for 0–21, `undefined` for the reserved
 * vectors 22–31 and for the OS-defined vectors 32–255.
 *
 * @throws {@link InvalidArgumentError} when `vector` is not an integer in 0..255.
 * @example
 * ```ts
 * exceptionInfo(14)?.mnemonic; // "#PF"
 * exceptionInfo(14)?.errorCode; // true
 * exceptionInfo(32); // undefined: an OS-defined vector
 * ```
 */
export function exceptionInfo(vector: number): ExceptionInfo | undefined {
  checkVector(`exceptionInfo(${String(vector)})`, vector);
  return TABLE[vector];
}

/**
 * Whether delivering `vector` pushes an error code (Intel SDM 6.13). External interrupts and
 * `INT n` never push one, even on vectors that would for an exception; only exceptions do.
 *
 * @throws {@link InvalidArgumentError} when `vector` is not an integer in 0..255.
 * @example
 * ```ts
 * pushesErrorCode(Vector.GP); // true
 * pushesErrorCode(Vector.BP); // false
 * ```
 */
export function pushesErrorCode(vector: number): boolean {
  checkVector(`pushesErrorCode(${String(vector)})`, vector);
  return TABLE[vector]?.errorCode ?? false;
}

/**
 * A short human-readable name: `"#PF (Page Fault)"`, `"reserved vector 25"`, `"vector 0x20"`.
 *
 * @throws {@link InvalidArgumentError} when `vector` is not an integer in 0..255.
 */
export function vectorName(vector: number): string {
  checkVector(`vectorName(${String(vector)})`, vector);
  const info = TABLE[vector];
  if (info !== undefined) return `${info.mnemonic} (${info.name})`;
  if (vector < FIRST_EXTERNAL_VECTOR) return `reserved vector ${vector}`;
  return `vector 0x${vector.toString(16)}`;
}
