/**
 * A 16550A UART: the PC serial port, the first console every hobby kernel writes to.
 *
 * Eight byte registers at I/O ports base..base+7 (COM1: 0x3F8, IRQ 4). Bit 7 of LCR (DLAB) swaps
 * the first two for the baud-rate divisor latch.
 *
 * | off | read (DLAB=0)            | write (DLAB=0)          | DLAB=1      |
 * | --- | ------------------------ | ----------------------- | ----------- |
 * | 0   | RBR: received byte       | THR: byte to send       | DLL         |
 * | 1   | IER: interrupt enables   | IER                     | DLM         |
 * | 2   | IIR: interrupt identity  | FCR: FIFO control       |             |
 * | 3   | LCR: line control (bit 7 = DLAB)                   |             |
 * | 4   | MCR: DTR, RTS, OUT1, OUT2 (gates the IRQ on a PC), LOOP           |
 * | 5   | LSR: DR(0) OE(1) THRE(5) TEMT(6)                   |             |
 * | 6   | MSR: CTS DSR RI DCD (bits 4–7)                     |             |
 * | 7   | SCR: scratch                                       |             |
 *
 * Interrupt sources, highest priority first, as IIR reports them (IIR bit 0 = 0: pending):
 *
 * ```
 *   0x06 line status   IER.ELSI and an overrun happened (cleared by reading LSR)
 *   0x04 data ready    IER.ERBFI and RX holds ≥ trigger bytes (1 without FIFOs)
 *   0x0C timeout       IER.ERBFI, FIFOs on, 0 < RX < trigger, and input paused (cleared by reading RBR)
 *   0x02 THR empty     IER.ETBEI and THR emptied (cleared by reading IIR, or writing THR)
 *   IIR bits 7:6 = 11 when FIFOs are enabled.
 * ```
 *
 * The INTR pin goes to the interrupt line only while MCR.OUT2 is set — the PC wiring that every
 * driver must know about (forget OUT2 and no serial interrupt ever arrives).
 *
 * Simplifications: transmission is instantaneous (THR is always empty again after a write, so
 * LSR.THRE and TEMT read 1). Input arrives when the host calls {@link Uart16550.receive}, or paced
 * by the clock from a {@link ByteSource} ({@link Uart16550.attachInput}); the end of a burst with
 * the FIFO below its trigger level arms the character-timeout indication at once (real hardware
 * waits four character times). Baud rate,
 * parity and word length are stored but do not alter the bytes. No modem-status interrupt.
 *
 * Invariants ({@link Uart16550.checkInvariants}): RX holds at most 16 bytes with FIFOs (1 without);
 * IER bits 7:4 are zero; the interrupt line is high iff an enabled source is pending and OUT2 is set.
 *
 * Related: `uart-registers.ts` (ports, offsets, bits), `byte-streams.ts` (the host's end of the
 * line), `ports.ts` (how a CPU reaches it), `../interrupts/api.ts` (the line it drives).
 */

import type { Tracer } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import type { InterruptTraceEvent, IrqLine } from "../interrupts/api.js";
import type { Clock, ClockEvent } from "../interrupts/clock.js";
import { type ByteSink, type ByteSource, toBytes } from "./byte-streams.js";
import type { PortDevice, PortWidth } from "./ports.js";
import { UartBits } from "./uart-registers.js";

/** Options of {@link Uart16550}. */
export interface Uart16550Options {
  /** Where transmitted bytes go. */
  readonly sink: ByteSink;
  /** The interrupt line driven by INTR (gated by MCR.OUT2). Default: none (polled use). */
  readonly irq?: IrqLine;
  /** Receives `uart.tx`, `uart.rx` and `uart.overrun` events. Default: none. */
  readonly tracer?: Tracer<InterruptTraceEvent>;
}

const TRIGGERS = [1, 4, 8, 14];
const FIFO_SIZE = 16;

/**
 * A 16550A UART with 16-byte FIFOs.
 *
 * @example
 * ```ts
 * const out = new BufferSink();
 * const uart = new Uart16550({ sink: out, irq: irqLine(apic, COM1_IRQ) });
 * ports.register(COM1_PORT, 8, uart, "COM1");
 * ports.outb(COM1_PORT + 2, 0x07);                // FIFOs on (16 bytes), cleared
 * ports.outb(COM1_PORT + 1, UartBits.IER_RX);     // interrupt on input
 * ports.outb(COM1_PORT + 4, UartBits.MCR_OUT2);   // and let it reach the line
 * uart.receive("ls\r");                           // the host types: line 4 goes high
 * ports.inb(COM1_PORT);                           // 0x6c 'l', then 's', '\r'
 * ```
 */
export class Uart16550 implements PortDevice {
  readonly #sink: ByteSink;
  readonly #irq: IrqLine | null;
  readonly #tracer: Tracer<InterruptTraceEvent> | undefined;
  readonly #rx: number[] = [];
  #ier = 0;
  #lcr = 0x03; // 8N1
  #mcr = 0;
  #scr = 0;
  #dll = 0x0c; // 9600 baud
  #dlm = 0;
  #fifo = false;
  #trigger = 1;
  #overrun = false;
  #timeout = false;
  #thrEmptyPending = false;
  #line = false;
  #lastRead = 0;
  #inputClock: Clock | null = null;
  #inputEvent: ClockEvent | null = null;

  /** @param options - see {@link Uart16550Options}. */
  constructor(options: Uart16550Options) {
    this.#sink = options.sink;
    this.#irq = options.irq ?? null;
    this.#tracer = options.tracer;
  }

  /** The baud rate the divisor latch selects: 115 200 / divisor (0 when the divisor is 0). */
  get baudRate(): number {
    const d = this.#dll | (this.#dlm << 8);
    return d === 0 ? 0 : 115200 / d;
  }

  /** Bytes waiting in the receive FIFO. */
  get rxCount(): number {
    return this.#rx.length;
  }

  /** Whether the interrupt line is currently driven high. */
  get interruptAsserted(): boolean {
    return this.#line;
  }

  /**
   * Bytes arriving on the serial line from the host (a keyboard, a test). Strings are taken as
   * Latin-1. A byte arriving with the receive buffer full is lost and sets LSR.OE.
   * @throws {@link InvalidArgumentError} for a value outside 0..255 (nothing is received then).
   */
  receive(input: string | Uint8Array | readonly number[]): void {
    const bytes = toBytes("Uart16550.receive", input);
    for (const b of bytes) this.#push(b);
    this.#endBurst();
    this.#update();
  }

  /** End of a burst: a FIFO below its trigger level reports a character timeout. */
  #endBurst(): void {
    if (this.#fifo && this.#rx.length > 0 && this.#rx.length < this.#trigger) this.#timeout = true;
  }

  /**
   * Pace input by the clock: every `cyclesPerByte` cycles one byte arrives from `source`, as on a
   * real line where the sender does not wait for the receiver. A kernel that reads the UART too
   * rarely loses bytes to overruns (LSR.OE), exactly as on hardware without flow control. When the
   * source reports `null` the burst is over (the character timeout is armed) and the UART stops
   * polling; call `attachInput` again when the source has more.
   *
   * Worked: 115 200 baud, 10 bits per character, a 1 GHz CPU → 1e9 · 10 / 115 200 ≈ 86 806 cycles
   * per byte.
   *
   * @throws {@link InvalidArgumentError} when `cyclesPerByte` is not a positive integer.
   */
  attachInput(clock: Clock, source: ByteSource, cyclesPerByte: number): void {
    if (!Number.isSafeInteger(cyclesPerByte) || cyclesPerByte < 1) {
      throw new InvalidArgumentError(
        `Uart16550.attachInput(cyclesPerByte=${String(cyclesPerByte)}): a positive integer`,
      );
    }
    this.detachInput();
    const tick = (): void => {
      const b = source.readByte();
      if (b === null) {
        this.#inputEvent = null;
        this.#endBurst();
        this.#update();
        return;
      }
      this.#push(b & 0xff);
      this.#update();
      this.#inputEvent = clock.scheduleIn(cyclesPerByte, tick);
      this.#inputClock = clock;
    };
    this.#inputClock = clock;
    this.#inputEvent = clock.scheduleIn(cyclesPerByte, tick);
  }

  /** Stop pacing input from a source (bytes already received stay). */
  detachInput(): void {
    if (this.#inputEvent !== null && this.#inputClock !== null) this.#inputClock.cancel(this.#inputEvent);
    this.#inputEvent = null;
  }

  #push(b: number): void {
    const cap = this.#fifo ? FIFO_SIZE : 1;
    if (this.#rx.length >= cap) {
      this.#overrun = true;
      this.#tracer?.emit({ type: "uart.overrun", byte: b });
    } else {
      this.#rx.push(b);
      this.#tracer?.emit({ type: "uart.rx", byte: b });
    }
  }

  /** Interrupt identification: 0x06, 0x04, 0x0C, 0x02, or 0x01 (none), as listed in the banner. */
  #identify(): number {
    if ((this.#ier & UartBits.IER_LSR) !== 0 && this.#overrun) return 0x06;
    if ((this.#ier & UartBits.IER_RX) !== 0) {
      if (this.#rx.length >= (this.#fifo ? this.#trigger : 1)) return 0x04;
      if (this.#timeout && this.#rx.length > 0) return 0x0c;
    }
    if ((this.#ier & UartBits.IER_THRE) !== 0 && this.#thrEmptyPending) return 0x02;
    return 0x01;
  }

  #update(): void {
    const on = this.#identify() !== 0x01 && (this.#mcr & UartBits.MCR_OUT2) !== 0;
    if (on === this.#line) return;
    this.#line = on;
    if (this.#irq !== null) {
      if (on) this.#irq.raise();
      else this.#irq.lower();
    }
  }

  #transmit(b: number): void {
    this.#tracer?.emit({ type: "uart.tx", byte: b });
    if ((this.#mcr & UartBits.MCR_LOOP) !== 0) this.#push(b);
    else this.#sink.writeByte(b);
    // Transmission is instantaneous: THR is empty again, which is itself an interrupt condition.
    this.#thrEmptyPending = true;
  }

  /** @inheritdoc */
  readPort(offset: number, width: PortWidth): number {
    this.#checkAccess("readPort", offset, width);
    const dlab = (this.#lcr & UartBits.LCR_DLAB) !== 0;
    let v: number;
    switch (offset) {
      case 0:
        if (dlab) v = this.#dll;
        else {
          v = this.#rx.length > 0 ? this.#rx.shift()! : this.#lastRead;
          this.#lastRead = v;
          this.#timeout = false;
        }
        break;
      case 1:
        v = dlab ? this.#dlm : this.#ier;
        break;
      case 2: {
        const id = this.#identify();
        if (id === 0x02) this.#thrEmptyPending = false; // reading IIR clears a THRE interrupt it reports
        v = id | (this.#fifo ? 0xc0 : 0);
        break;
      }
      case 3:
        v = this.#lcr;
        break;
      case 4:
        v = this.#mcr;
        break;
      case 5:
        v =
          (this.#rx.length > 0 ? UartBits.LSR_DR : 0) |
          (this.#overrun ? UartBits.LSR_OE : 0) |
          UartBits.LSR_THRE |
          UartBits.LSR_TEMT;
        this.#overrun = false; // reading LSR clears the error bits
        break;
      case 6:
        v = this.#modemStatus();
        break;
      default:
        v = this.#scr;
    }
    this.#update();
    return v;
  }

  /** MSR bits 7:4: DCD RI DSR CTS. In loopback they mirror OUT2, OUT1, DTR, RTS; else "connected". */
  #modemStatus(): number {
    if ((this.#mcr & UartBits.MCR_LOOP) === 0) return 0xb0; // DCD, DSR, CTS
    const m = this.#mcr;
    return (
      ((m & UartBits.MCR_RTS) !== 0 ? 0x10 : 0) |
      ((m & UartBits.MCR_DTR) !== 0 ? 0x20 : 0) |
      ((m & UartBits.MCR_OUT1) !== 0 ? 0x40 : 0) |
      ((m & UartBits.MCR_OUT2) !== 0 ? 0x80 : 0)
    );
  }

  /** @inheritdoc */
  writePort(offset: number, width: PortWidth, value: number): void {
    this.#checkAccess("writePort", offset, width);
    const v = value & 0xff;
    const dlab = (this.#lcr & UartBits.LCR_DLAB) !== 0;
    switch (offset) {
      case 0:
        if (dlab) this.#dll = v;
        else this.#transmit(v);
        break;
      case 1:
        if (dlab) this.#dlm = v;
        else {
          // Enabling the THRE interrupt while THR is empty raises it at once (16550A datasheet).
          if ((v & UartBits.IER_THRE) !== 0 && (this.#ier & UartBits.IER_THRE) === 0)
            this.#thrEmptyPending = true;
          this.#ier = v & 0x0f;
        }
        break;
      case 2: {
        const enable = (v & UartBits.FCR_ENABLE) !== 0;
        // Changing the enable bit resets the FIFOs, as does bit 1 (16550A datasheet, FCR).
        const reset = enable !== this.#fifo || (v & UartBits.FCR_CLEAR_RX) !== 0;
        this.#fifo = enable;
        this.#trigger = TRIGGERS[v >>> 6]!;
        if (reset) {
          this.#rx.length = 0;
          this.#timeout = false;
        }
        break;
      }
      case 3:
        this.#lcr = v;
        break;
      case 4:
        this.#mcr = v & 0x1f;
        break;
      case 5:
      case 6:
        break; // LSR and MSR writes are factory-test only; ignored
      default:
        this.#scr = v;
    }
    this.#update();
  }

  #checkAccess(call: string, offset: number, width: PortWidth): void {
    if (width !== 1 || !Number.isInteger(offset) || offset < 0 || offset > 7) {
      throw new InvalidArgumentError(
        `Uart16550.${call}(offset=${String(offset)}, width=${String(width)}): the UART has eight 1-byte registers`,
      );
    }
  }

  /** Throws an {@link InvariantError} describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    const cap = this.#fifo ? FIFO_SIZE : 1;
    if (this.#rx.length > cap)
      throw new InvariantError(`Uart16550: ${this.#rx.length} bytes in a ${cap}-byte receive buffer`);
    if ((this.#ier & 0xf0) !== 0)
      throw new InvariantError(`Uart16550: IER=0x${this.#ier.toString(16)} has bits 7:4 set`);
    const want = this.#identify() !== 0x01 && (this.#mcr & UartBits.MCR_OUT2) !== 0;
    if (want !== this.#line)
      throw new InvariantError(`Uart16550: interrupt line is ${this.#line} but should be ${want}`);
  }
}
