/**
 * The host side of a serial line: where a UART's transmitted bytes go ({@link ByteSink}) and where
 * its received bytes come from when input is paced by the clock ({@link ByteSource}), with the
 * two simple implementations tests and command lines use.
 *
 * ```
 *   kernel ──THR──▶ Uart16550 ──writeByte──▶ ByteSink   (BufferSink keeps every byte)
 *   kernel ◀─RBR─── Uart16550 ◀──readByte─── ByteSource (QueueSource replays fixed bytes)
 * ```
 *
 * Bytes are numbers 0..255; a string stands for its Latin-1 bytes (one char code per byte).
 *
 * Related: `uart16550.ts` (`Uart16550.receive`, `Uart16550.attachInput`).
 */
import { InvalidArgumentError } from "../errors.js";

/** Where transmitted bytes go. */
export interface ByteSink {
  /** Accept one byte (0..255). */
  writeByte(byte: number): void;
}

/**
 * A sink that keeps every byte, for tests and command lines.
 * @example
 * ```ts
 * const out = new BufferSink();
 * out.writeByte(0x68); out.writeByte(0x69);
 * out.text(); // "hi"
 * ```
 */
export class BufferSink implements ByteSink {
  /** The bytes received so far. */
  readonly bytes: number[] = [];
  /** @inheritdoc */
  writeByte(byte: number): void {
    this.bytes.push(byte & 0xff);
  }
  /** The bytes as Latin-1 text. */
  text(): string {
    return String.fromCharCode(...this.bytes);
  }
}

/** Where received bytes come from when the UART is paced by the clock ({@link Uart16550.attachInput}). */
export interface ByteSource {
  /** The next byte on the line, or `null` when the sender has nothing more for now. */
  readByte(): number | null;
}

/**
 * A source that replays fixed bytes (Latin-1 for a string), then reports `null`.
 * @example
 * ```ts
 * const src = new QueueSource("ls\r");
 * src.readByte(); // 0x6c
 * src.push("cat\r"); // more input later
 * ```
 */
export class QueueSource implements ByteSource {
  readonly #queue: number[] = [];
  /** @param initial - bytes to deliver first. */
  constructor(initial: string | Uint8Array | readonly number[] = []) {
    this.push(initial);
  }
  /** Append bytes. @throws {@link InvalidArgumentError} for a value outside 0..255 (nothing appended). */
  push(input: string | Uint8Array | readonly number[]): void {
    const bytes = toBytes("QueueSource.push", input);
    this.#queue.push(...bytes);
  }
  /** @inheritdoc */
  readByte(): number | null {
    return this.#queue.shift() ?? null;
  }
  /** Bytes not yet read. */
  get length(): number {
    return this.#queue.length;
  }
}

/**
 * `input` as bytes (a string as its char codes).
 * @throws {@link InvalidArgumentError} naming `call` for a value outside 0..255.
 */
export function toBytes(call: string, input: string | Uint8Array | readonly number[]): number[] {
  const bytes = typeof input === "string" ? Array.from(input, (c) => c.charCodeAt(0)) : Array.from(input);
  for (const b of bytes) {
    if (!Number.isInteger(b) || b < 0 || b > 255)
      throw new InvalidArgumentError(`${call}: ${String(b)} is not a byte`);
  }
  return bytes;
}
