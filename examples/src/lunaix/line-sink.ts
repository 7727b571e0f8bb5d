/**
 * The host's side of the serial wire: the bytes the UART transmits (`serial.ts`), turned into the
 * text a terminal would show, one line at a time — what the demo's transcript, the command line
 * and the web page print.
 *
 * ```
 *   UART THR ──writeByte──▶ [ bytes of the line so far ] ──"\n" or flush()──▶ onText(UTF-8 text)
 *                 CR NL → "\n"                 trailing CRs held back until the next byte
 * ```
 *
 * The wire carries Linux's bytes (OPOST with ONLCR sends each NL as CR NL, POSIX 11.2.3); a
 * terminal shows CR NL as one line break, which the text's `\n` already says, so a CR just before
 * a NL is not kept. That is the decision that keeps the demo's transcript and the web page
 * byte-for-byte as they were before the console mapped its output. A lone CR (a line rewritten
 * in place) is kept; a bare NL (`stty -onlcr`) shows as a line break too, where a real terminal
 * would only move down.
 *
 * Invariants: `onText` never receives a CR that is followed, on the wire, by a NL; what is handed
 * over does not depend on when the host calls `flush` (a CR at the end of the buffer waits for the
 * byte after it, as a terminal shows nothing for it until then either).
 *
 * Related: `serial.ts` (the console that transmits), hw-x86's `ByteSink` (the UART's output).
 */
import type { ByteSink } from "@osbricks/hw-x86";

/**
 * The host's side of the wire: collects transmitted bytes and hands complete UTF-8 lines to the
 * host, as the text a terminal shows (CR NL as a line break).
 * @example
 * ```ts
 * const out: string[] = [];
 * const sink = new LineSink((s) => out.push(s));
 * for (const b of [0x68, 0x69, 0x0d, 0x0a]) sink.writeByte(b); // "hi" CR NL
 * out; // ["hi\n"]
 * ```
 */
export class LineSink implements ByteSink {
  private bytes: number[] = [];
  private readonly decoder = new TextDecoder();

  /** @param onText receives text, one line at a time with its `\n`, or the rest at `flush`. */
  constructor(private readonly onText: (text: string) => void) {}

  /**
   * One byte from the wire. A CR right before a NL is not kept: a terminal shows CR NL (what
   * ONLCR sends for each `\n`) as one line break, which the text's `\n` already says.
   */
  writeByte(byte: number): void {
    if (byte === 0x0a)
      while (this.bytes.length > 0 && this.bytes[this.bytes.length - 1] === 0x0d) this.bytes.pop();
    this.bytes.push(byte);
    if (byte === 0x0a) this.flush();
  }

  /**
   * Hand over whatever is buffered (a prompt without a newline), except CRs at its end: whether
   * one is part of a CR NL line break is known only when the next byte comes (a terminal shows
   * nothing for it until then either), so the rendering does not depend on when the host flushes.
   */
  flush(): void {
    let n = this.bytes.length;
    while (n > 0 && this.bytes[n - 1] === 0x0d) n--;
    if (n === 0) return;
    const text = this.decoder.decode(Uint8Array.from(this.bytes.slice(0, n)));
    this.bytes = this.bytes.slice(n);
    this.onText(text);
  }
}
