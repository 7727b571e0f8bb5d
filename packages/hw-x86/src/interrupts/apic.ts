/**
 * An APIC-style interrupt controller: lines routed to vectors, priority by vector class.
 *
 * A PC's interrupts travel through two chips: the I/O APIC, whose redirection table gives each
 * input line a vector, a trigger mode and a mask bit (82093AA datasheet 3.2.4), and each CPU's
 * local APIC, which holds requested vectors in its 256-bit IRR, in-service vectors in its ISR, and
 * decides what the CPU sees (Intel SDM Vol. 3A 10.8). This class folds one redirection table and
 * one local APIC into a single object per CPU; an IPI (SDM 10.6) sets an IRR bit directly through
 * {@link Apic.deliverFixed}.
 *
 * Priority is by *class*, the vector's high nibble (SDM 10.8.3):
 *
 * ```
 *   vector 0x41 = 0100 0001b  → class 4        PPR = max(TPR class, class of highest ISR bit)
 *   vector 0xe3 = 1110 0011b  → class 14       deliver v iff class(v) > class(PPR)
 *
 *   ISR holds 0x41 (class 4): a request for 0x45 (class 4) waits, 0x51 (class 5) interrupts it.
 * ```
 *
 * Among pending vectors the highest vector number is chosen (SDM 10.8.3.1), so within a class a
 * higher vector wins the race but cannot preempt one in service.
 *
 * Deliberate simplifications (documented, tested): a level line requests only while it is high
 * (hardware would keep a request already forwarded to the IRR); two lines may not share a vector;
 * vectors 0–31 are refused for lines (Intel reserves them; SDM 10.5.2 makes 0–15 illegal).
 *
 * Invariants ({@link Apic.checkInvariants}): routed lines have distinct vectors in 32..255, unrouted
 * lines (vector 0) are masked; a masked-vector
 * bit is set exactly for the vectors of masked lines; a level line's vector is pending iff the line
 * is high and not in service (unless an IPI set it); TPR in 0..255.
 *
 * Related: `api.ts` (the contract), `pic8259.ts` (fixed priorities), `../cpu/ipi.ts` (IPIs).
 */

import type { Tracer } from "../api.js";
import { ConfigurationError, InvalidArgumentError, InvariantError } from "../errors.js";
import type { InterruptController, InterruptTraceEvent, TriggerMode } from "./api.js";
import { InterruptStateError } from "./errors.js";
import { FIRST_EXTERNAL_VECTOR } from "./vectors.js";

/** Options of {@link Apic}. */
export interface ApicOptions {
  /** Number of input lines (redirection entries). Default 24, as the 82093AA I/O APIC. */
  readonly lines?: number;
  /** Receives `irq.acknowledge` and `irq.eoi` events. Default: none. */
  readonly tracer?: Tracer<InterruptTraceEvent>;
}

/** How one line is routed (an I/O APIC redirection entry, reduced to what matters here). */
export interface LineRoute {
  /** Vector delivered, 32..255. */
  readonly vector: number;
  /** Edge or level triggered. Default `"edge"`. */
  readonly trigger?: TriggerMode;
  /** Whether the line is masked. Default: unchanged. */
  readonly masked?: boolean;
}

/** Highest set bit of a 256-bit bitmap held as 8 words, or -1. */
function highest(bits: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    const word = bits[w]!;
    if (word !== 0) return w * 32 + 31 - Math.clz32(word);
  }
  return -1;
}

function test(bits: Uint32Array, v: number): boolean {
  return (bits[v >>> 5]! & (1 << (v & 31))) !== 0;
}
function set(bits: Uint32Array, v: number): void {
  bits[v >>> 5]! |= 1 << (v & 31);
}
function clear(bits: Uint32Array, v: number): void {
  bits[v >>> 5]! &= ~(1 << (v & 31));
}

/**
 * An I/O APIC redirection table and a local APIC in one: lines with vectors, masks and trigger
 * modes; class priorities; a task-priority register; IPIs by vector.
 *
 * At reset every line is masked (as the I/O APIC's redirection entries are), edge-triggered, and
 * unrouted (vector 0): {@link Apic.route} gives it a vector before it can be unmasked.
 *
 * @example
 * ```ts
 * const apic = new Apic({ lines: 16 });
 * apic.route(4, { vector: 0x24, masked: false }); // COM1
 * apic.route(0, { vector: 0x30, masked: false }); // timer, class 3: above COM1's class 2
 * apic.raise(4); apic.lower(4);
 * apic.raise(0); apic.lower(0);
 * apic.acknowledge(); // 0x30: the timer first
 * apic.peek();        // null: COM1 (class 2) waits behind the timer in service (class 3)
 * apic.eoi();
 * apic.acknowledge(); // 0x24
 * ```
 */
export class Apic implements InterruptController {
  readonly lineCount: number;
  /** Edges on masked lines are lost, as on a masked I/O APIC redirection entry. */
  readonly maskedEdge = "dropped" as const;

  readonly #vector: Uint8Array;
  readonly #level: Uint8Array; // 1 = level-triggered
  readonly #masked: Uint8Array;
  readonly #high: Uint8Array; // current input level
  readonly #lineOfVector = new Int16Array(256).fill(-1);
  readonly #irr = new Uint32Array(8);
  readonly #isr = new Uint32Array(8);
  readonly #maskedVectors = new Uint32Array(8);
  #tpr = 0;
  readonly #tracer: Tracer<InterruptTraceEvent> | undefined;

  /** @throws {@link InvalidArgumentError} when `lines` is not an integer in 1..224. */
  constructor(options: ApicOptions = {}) {
    const n = options.lines ?? 24;
    if (!Number.isInteger(n) || n < 1 || n > 256 - FIRST_EXTERNAL_VECTOR) {
      throw new InvalidArgumentError(`new Apic(lines=${String(n)}): must be an integer in 1..224`);
    }
    this.lineCount = n;
    this.#tracer = options.tracer;
    this.#vector = new Uint8Array(n);
    this.#level = new Uint8Array(n);
    this.#masked = new Uint8Array(n).fill(1);
    this.#high = new Uint8Array(n);
  }

  #checkLine(call: string, line: number): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.lineCount) {
      throw new InvalidArgumentError(
        `Apic.${call}(line=${String(line)}): lines are 0..${this.lineCount - 1}`,
      );
    }
  }

  /**
   * Program line `line`'s redirection entry.
   *
   * @throws {@link InvalidArgumentError} for a bad line or a vector outside 32..255 (SDM 10.5.2:
   *   vectors 0–15 are illegal, 16–31 are reserved for exceptions).
   * @throws {@link ConfigurationError} when another line already uses the vector, or when the line
   *   is pending or in service under its old vector (reroute it when idle). State unchanged.
   */
  route(line: number, route: LineRoute): void {
    this.#checkLine("route", line);
    const v = route.vector;
    if (!Number.isInteger(v) || v < FIRST_EXTERNAL_VECTOR || v > 255) {
      throw new InvalidArgumentError(
        `Apic.route(line=${line}, vector=${String(v)}): vector must be in 32..255 (0–31 are exceptions, SDM 10.5.2)`,
      );
    }
    const owner = this.#lineOfVector[v]!;
    if (owner !== -1 && owner !== line) {
      throw new ConfigurationError(
        `Apic.route(line=${line}, vector=0x${v.toString(16)}): vector already used by line ${owner}`,
      );
    }
    const old = this.#vector[line]!;
    if (old !== 0 && old !== v && (test(this.#irr, old) || test(this.#isr, old))) {
      throw new ConfigurationError(
        `Apic.route(line=${line}): line is pending or in service on vector 0x${old.toString(16)}; reroute it when idle`,
      );
    }
    const masked = route.masked ?? this.#masked[line] === 1;
    if (old !== 0) {
      this.#lineOfVector[old] = -1;
      clear(this.#maskedVectors, old);
    }
    this.#vector[line] = v;
    this.#lineOfVector[v] = line;
    this.#level[line] = route.trigger === "level" ? 1 : 0;
    this.#masked[line] = 0;
    if (masked) this.#masked[line] = 1;
    this.#refreshLine(line);
  }

  /** Recompute the masked-vector bit and a level line's request after a change. */
  #refreshLine(line: number): void {
    const v = this.#vector[line]!;
    if (v === 0) return;
    if (this.#masked[line] === 1) set(this.#maskedVectors, v);
    else clear(this.#maskedVectors, v);
    if (
      this.#level[line] === 1 &&
      this.#high[line] === 1 &&
      this.#masked[line] === 0 &&
      !test(this.#isr, v)
    ) {
      set(this.#irr, v);
    }
  }

  /** @inheritdoc */
  raise(line: number): void {
    this.#checkLine("raise", line);
    if (this.#high[line] === 1) return;
    this.#high[line] = 1;
    const v = this.#vector[line]!;
    if (v === 0) return; // unrouted, hence masked: an edge is lost, a level is remembered in #high
    if (this.#level[line] === 1) {
      if (this.#masked[line] === 0 && !test(this.#isr, v)) set(this.#irr, v);
    } else if (this.#masked[line] === 0) {
      // 82093AA 3.2.4: an edge on a masked entry is ignored, neither delivered nor held.
      set(this.#irr, v);
    }
  }

  /** @inheritdoc */
  lower(line: number): void {
    this.#checkLine("lower", line);
    if (this.#high[line] === 0) return;
    this.#high[line] = 0;
    if (this.#level[line] === 1 && this.#vector[line] !== 0) clear(this.#irr, this.#vector[line]!);
  }

  /**
   * Mask or unmask `line`.
   * @throws {@link InvalidArgumentError} for a bad line; {@link ConfigurationError} when unmasking a
   *   line that was never routed (it has no vector to deliver).
   */
  setMasked(line: number, masked: boolean): void {
    this.#checkLine("setMasked", line);
    if (!masked && this.#vector[line] === 0) {
      throw new ConfigurationError(`Apic.setMasked(line=${line}, false): route the line to a vector first`);
    }
    this.#masked[line] = masked ? 1 : 0;
    this.#refreshLine(line);
  }

  /** @inheritdoc */
  isMasked(line: number): boolean {
    this.#checkLine("isMasked", line);
    return this.#masked[line] === 1;
  }

  /** The line's vector, or 0 while it is unrouted. */
  vectorOf(line: number): number {
    this.#checkLine("vectorOf", line);
    return this.#vector[line]!;
  }

  /** The priority class of the line's vector, `vector >> 4` (SDM 10.8.3.1). */
  priorityOf(line: number): number {
    return this.vectorOf(line) >>> 4;
  }

  /** @inheritdoc */
  triggerOf(line: number): TriggerMode {
    this.#checkLine("triggerOf", line);
    return this.#level[line] === 1 ? "level" : "edge";
  }

  /** @inheritdoc */
  isPending(line: number): boolean {
    this.#checkLine("isPending", line);
    const v = this.#vector[line]!;
    if (v === 0) return this.#level[line] === 1 && this.#high[line] === 1;
    if (this.#level[line] === 1 && this.#masked[line] === 1)
      return this.#high[line] === 1 && !test(this.#isr, v);
    return test(this.#irr, v);
  }

  /** @inheritdoc */
  isInService(line: number): boolean {
    this.#checkLine("isInService", line);
    const v = this.#vector[line]!;
    return v !== 0 && test(this.#isr, v);
  }

  /**
   * The task-priority register (TPR, SDM 10.8.3.1): vectors of class ≤ `tpr >> 4` are held back.
   * A kernel raises it to keep low-priority interrupts out of a critical section without `CLI`.
   */
  get taskPriority(): number {
    return this.#tpr;
  }

  /** @throws {@link InvalidArgumentError} when `value` is not an integer in 0..255; TPR unchanged. */
  set taskPriority(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      throw new InvalidArgumentError(
        `Apic.taskPriority = ${String(value)}: TPR is 8 bits (0..255, SDM 10.8.3.1)`,
      );
    }
    this.#tpr = value;
  }

  /**
   * The processor-priority register (PPR, SDM 10.8.3.1): the TPR if its class is at least the class
   * of the highest in-service vector, else that class with a zero low nibble.
   *
   * Worked: TPR=0x25, ISR highest 0x41 → class 4 > 2 → PPR=0x40; TPR=0x52 → PPR=0x52.
   */
  get processorPriority(): number {
    const isrv = highest(this.#isr);
    const isrClass = isrv < 0 ? 0 : isrv >>> 4;
    return this.#tpr >>> 4 >= isrClass ? this.#tpr : isrClass << 4;
  }

  /**
   * Accept a fixed-delivery interrupt by vector, as an IPI or an MSI does (SDM 10.6.1): set the IRR
   * bit, edge semantics. If the vector is already requested the two merge into one (the IRR has one
   * bit per vector).
   * @throws {@link InvalidArgumentError} for a vector outside 32..255.
   */
  deliverFixed(vector: number): void {
    if (!Number.isInteger(vector) || vector < FIRST_EXTERNAL_VECTOR || vector > 255) {
      throw new InvalidArgumentError(
        `Apic.deliverFixed(vector=${String(vector)}): must be in 32..255 (SDM 10.6.1 and 10.5.2)`,
      );
    }
    set(this.#irr, vector);
  }

  /** @inheritdoc */
  peek(): number | null {
    const irr = this.#irr;
    const mv = this.#maskedVectors;
    let v = -1;
    for (let w = 7; w >= 0; w--) {
      const word = irr[w]! & ~mv[w]!;
      if (word !== 0) {
        v = w * 32 + 31 - Math.clz32(word);
        break;
      }
    }
    if (v < 0) return null;
    return v >>> 4 > this.processorPriority >>> 4 ? v : null;
  }

  /** @inheritdoc */
  acknowledge(): number | null {
    const v = this.peek();
    if (v === null) return null;
    clear(this.#irr, v);
    set(this.#isr, v);
    this.#tracer?.emit({ type: "irq.acknowledge", vector: v });
    return v;
  }

  /** @inheritdoc */
  eoi(): void {
    const v = highest(this.#isr);
    if (v < 0)
      throw new InterruptStateError("Apic.eoi(): no interrupt is in service (EOI without acknowledge?)");
    clear(this.#isr, v);
    this.#tracer?.emit({ type: "irq.eoi", vector: v });
    const line = this.#lineOfVector[v]!;
    // A level line still asserted requests again (the I/O APIC resends on EOI, 82093AA 3.2.4).
    if (line >= 0 && this.#level[line] === 1 && this.#high[line] === 1 && this.#masked[line] === 0) {
      set(this.#irr, v);
    }
  }

  /** Vectors requested (IRR), lowest first. */
  pendingVectors(): number[] {
    return listBits(this.#irr);
  }

  /** Vectors in service (ISR), lowest first. */
  inServiceVectors(): number[] {
    return listBits(this.#isr);
  }

  /** @inheritdoc */
  checkInvariants(): void {
    const seen = new Int16Array(256).fill(-1);
    for (let line = 0; line < this.lineCount; line++) {
      const v = this.#vector[line]!;
      if (v === 0) {
        if (this.#masked[line] !== 1) throw new InvariantError(`Apic: unrouted line ${line} is unmasked`);
        continue;
      }
      if (v < FIRST_EXTERNAL_VECTOR)
        throw new InvariantError(`Apic: line ${line} routed to vector ${v} < 32`);
      if (seen[v] !== -1)
        throw new InvariantError(`Apic: lines ${seen[v]} and ${line} share vector 0x${v.toString(16)}`);
      seen[v] = line;
      if (this.#lineOfVector[v] !== line) {
        throw new InvariantError(`Apic: reverse map of vector 0x${v.toString(16)} is not line ${line}`);
      }
      if (test(this.#maskedVectors, v) !== (this.#masked[line] === 1)) {
        throw new InvariantError(
          `Apic: masked-vector bit of 0x${v.toString(16)} disagrees with line ${line}'s mask`,
        );
      }
      if (this.#level[line] === 1 && test(this.#irr, v) && this.#high[line] === 0) {
        throw new InvariantError(
          `Apic: level line ${line} is low but vector 0x${v.toString(16)} is requested`,
        );
      }
    }
    for (let v = 0; v < 256; v++) {
      if (this.#lineOfVector[v] !== seen[v])
        throw new InvariantError(`Apic: stale reverse map for vector 0x${v.toString(16)}`);
      if (v < FIRST_EXTERNAL_VECTOR && (test(this.#irr, v) || test(this.#isr, v))) {
        throw new InvariantError(`Apic: reserved vector ${v} is requested or in service`);
      }
      if (test(this.#maskedVectors, v) && seen[v] === -1) {
        throw new InvariantError(`Apic: vector 0x${v.toString(16)} marked masked but no line uses it`);
      }
    }
    if (!Number.isInteger(this.#tpr) || this.#tpr < 0 || this.#tpr > 255) {
      throw new InvariantError(`Apic: TPR=${this.#tpr} out of 0..255`);
    }
  }
}

function listBits(bits: Uint32Array): number[] {
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (test(bits, v)) out.push(v);
  return out;
}
