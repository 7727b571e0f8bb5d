/**
 * The serial console: a 16550 UART on COM1 (`@osbricks/hw-x86`) with a line discipline in front
 * of it, exposed as the character device `/dev/ttyS0`. Everything the machine prints goes out
 * through the UART's transmit register — the kernel's `printk` lines and every program's writes —
 * and everything typed comes in through its receive FIFO.
 *
 * ```
 *   host keyboard / script ──receive(≤16 B)──▶ UART RX FIFO ──rxInterrupt: RBR while LSR.DR──▶ line buffer
 *                                                                         (canonical: a read sees whole lines)
 *   program write(1, …) ──▶ SerialConsole.write ──THR, byte by byte──▶ UART ──▶ ByteSink ──▶ host output
 * ```
 *
 * Canonical input, as a POSIX terminal's ICANON mode: `read` returns at most one line, including
 * its `\n`; with no complete line it waits (the system call blocks on `waiters` and restarts when
 * a line arrives). The EOF character, ^D (0x04), ends the read in progress without a newline
 * (POSIX 11.1.9: "all the bytes waiting to be read are immediately passed to the process"); at
 * the start of a line that read returns 0, end of file, once: `cat` ends, and the shell reading
 * after it goes on. After the host hangs up (`hangup`, end of the script) every read with nothing
 * left returns 0. Echo (ECHO) copies each received line to the output, so a script's
 * transcript shows what was "typed"; an interactive terminal echoes locally and turns it off.
 *
 * Job control (ISIG, POSIX 11.1.9): ^C, ^\ and ^Z are not input; each flushes the input not yet
 * read, is echoed as `^C`, `^\`, `^Z`, and sends SIGINT, SIGQUIT or SIGTSTP to the foreground
 * process group of the terminal ({@link SerialConsole.tty}; the kernel's `posix/tty.ts` keeps
 * the session and the foreground group, and sends SIGTTIN to a background reader). The shell's
 * session acquires the line when its leader opens `/dev/ttyS0` (`fs/syscalls.ts`). With the
 * TOSTOP option a background job's write stops it too (SIGTTOU); without it (the default, as
 * Linux's `stty -tostop`) background output mixes with the foreground's. Like ISIG and ECHO, the
 * mode is the driver's option: no program can change it (there is no tcsetattr).
 *
 * The host hands the UART at most 16 bytes at a time — its receive FIFO (National Semiconductor
 * PC16550D data sheet: 16-byte FIFO, overrun when a byte arrives with it full) — and runs the
 * receive interrupt handler after each burst, as IRQ 4 would.
 *
 * Related: `fs/vfs.ts` (`CharDevice`), `kernel.ts` (where it is plugged in).
 */
import { type ByteSink, COM1_PORT, IoPortSpace, Uart16550, UartBits, UartReg } from "@osbricks/hw-x86";
import { type Kernel, Sig, signalForeground, TerminalControl } from "@osbricks/kernel";
import type { CharDevice } from "./fs/vfs.js";

/** The UART's receive FIFO depth. */
const FIFO_BYTES = 16;
/** The EOF character of canonical mode, ^D (`c_cc[VEOF]`'s default). */
export const VEOF = 0x04;
/** The interrupt character, ^C (`c_cc[VINTR]`): SIGINT to the foreground process group. */
export const VINTR = 0x03;
/** The quit character, ^\ (`c_cc[VQUIT]`): SIGQUIT to the foreground process group. */
export const VQUIT = 0x1c;
/** The suspend character, ^Z (`c_cc[VSUSP]`): SIGTSTP to the foreground process group. */
export const VSUSP = 0x1a;

/** The ISIG characters and the signal each sends (POSIX 11.1.9; Linux's defaults). */
const ISIG_CHARS: ReadonlyMap<number, { readonly sig: number; readonly echo: string }> = new Map([
  [VINTR, { sig: Sig.SIGINT, echo: "^C" }],
  [VQUIT, { sig: Sig.SIGQUIT, echo: "^\\" }],
  [VSUSP, { sig: Sig.SIGTSTP, echo: "^Z" }],
]);

/** Collects transmitted bytes and hands complete UTF-8 lines to the host. */
export class LineSink implements ByteSink {
  private bytes: number[] = [];
  private readonly decoder = new TextDecoder();

  /** @param onText receives text, one line at a time with its `\n`, or the rest at `flush`. */
  constructor(private readonly onText: (text: string) => void) {}

  /** @inheritdoc */
  writeByte(byte: number): void {
    this.bytes.push(byte);
    if (byte === 0x0a) this.flush();
  }

  /** Hand over whatever is buffered (a prompt without a newline). */
  flush(): void {
    if (this.bytes.length === 0) return;
    const text = this.decoder.decode(Uint8Array.from(this.bytes));
    this.bytes = [];
    this.onText(text);
  }
}

/** Options of {@link SerialConsole}. */
export interface SerialConsoleOptions {
  /** Where transmitted bytes go. Required. */
  readonly sink: LineSink;
  /** Echo received lines to the output (ECHO). Default true. */
  readonly echo?: boolean;
  /**
   * The TOSTOP local mode (`stty tostop`): a background job that writes to the console is stopped
   * by SIGTTOU, as one that reads it is by SIGTTIN (kernel `TerminalControl.tostop`). Default
   * false, Linux's default: background output goes straight through.
   */
  readonly tostop?: boolean;
}

/**
 * The COM1 console driver.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)), echo: false });
 * tty.hostInput("ls\n");
 * new TextDecoder().decode(tty.read(100) as Uint8Array); // "ls\n"
 * ```
 */
export class SerialConsole implements CharDevice {
  readonly name = "ttyS0";
  readonly waiters: { wakeToRetry(): void }[] = [];
  /** Its job-control state: the session it controls and the foreground group (kernel `tty.ts`). */
  readonly tty = new TerminalControl("ttyS0");
  /** The kernel ISIG characters signal through ({@link SerialConsole.connect}); null before. */
  private kernel: Kernel | null = null;
  /** The I/O port space the UART is wired into. */
  readonly ports = new IoPortSpace();
  readonly uart: Uart16550;
  private readonly sink: LineSink;
  private readonly echo: boolean;
  private readonly lines: Uint8Array[] = [];
  private partial: number[] = [];
  private hungUp = false;
  /** The last byte written was not a newline (a prompt, a partial write). */
  private midLine = false;
  /** Lines received since boot. */
  linesIn = 0;
  /** ISIG characters received since boot (^C, ^\, ^Z). */
  signalsIn = 0;

  constructor(options: SerialConsoleOptions) {
    this.sink = options.sink;
    this.echo = options.echo ?? true;
    this.tty.tostop = options.tostop ?? false;
    this.uart = new Uart16550({ sink: this.sink });
    this.ports.register(COM1_PORT, 8, this.uart, "COM1");
    // xv6's uartinit, minus the baud rate: FIFOs on and cleared, receive interrupts enabled.
    this.ports.outb(COM1_PORT + UartReg.IIR_FCR, UartBits.FCR_ENABLE | UartBits.FCR_CLEAR_RX | 0x04);
    this.ports.outb(COM1_PORT + UartReg.IER, UartBits.IER_RX);
  }

  /** Plug the line into a kernel: ISIG characters signal its processes from now on. */
  connect(kernel: Kernel): void {
    this.kernel = kernel;
  }

  /** The host types `text` (UTF-8); it crosses the UART 16 bytes at a time. */
  hostInput(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i < bytes.length; i += FIFO_BYTES) {
      this.uart.receive(bytes.subarray(i, i + FIFO_BYTES));
      this.rxInterrupt();
    }
  }

  /** The host closed its end (end of script, ^D): readers see end of file once the lines run out. */
  hangup(): void {
    this.hungUp = true;
    this.wakeReaders();
  }

  /** Whether a thread is parked reading the console (the shell waits at its prompt). */
  get readerWaiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Complete lines not yet read. */
  get pendingLines(): number {
    return this.lines.length;
  }

  /** The receive interrupt handler: drain RBR while LSR.DR says data is ready. */
  private rxInterrupt(): void {
    let complete = false;
    while ((this.ports.inb(COM1_PORT + UartReg.LSR) & UartBits.LSR_DR) !== 0) {
      const b = this.ports.inb(COM1_PORT + UartReg.DATA);
      if (b === 0x0d) continue; // CR of a CR LF pair (ICRNL would map a lone CR)
      const isig = ISIG_CHARS.get(b);
      if (isig !== undefined) {
        this.interrupt(isig.sig, isig.echo);
        continue;
      }
      if (b === VEOF) {
        // The bytes typed so far go as they are; with none, an empty read (end of file) is queued.
        this.lines.push(Uint8Array.from(this.partial));
        this.partial = [];
        complete = true;
        continue;
      }
      this.partial.push(b);
      if (b === 0x0a) {
        const line = Uint8Array.from(this.partial);
        this.partial = [];
        this.lines.push(line);
        this.linesIn++;
        if (this.echo) this.write(line);
        else this.midLine = false; // the host's terminal echoed the line and its newline
        complete = true;
      }
    }
    if (complete) this.wakeReaders();
  }

  /**
   * An ISIG character (POSIX 11.1.9): the input not yet read is flushed (NOFLSH is not set), the
   * character is echoed as `^C` (ECHOCTL) with a newline, and its signal goes to the foreground
   * process group. The character itself is never read.
   */
  private interrupt(sig: number, echo: string): void {
    this.partial = [];
    this.lines.length = 0;
    this.signalsIn++;
    if (this.echo) this.write(new TextEncoder().encode(`${echo}\n`));
    else this.midLine = false; // the host's terminal echoed it, and the newline
    if (this.kernel !== null) signalForeground(this.kernel, this.tty, sig);
  }

  private wakeReaders(): void {
    for (const w of this.waiters.splice(0)) w.wakeToRetry();
  }

  /** @inheritdoc */
  read(max: number): Uint8Array | null {
    // A read of 0 bytes returns 0 at once and consumes nothing, not even a pending ^D's end of
    // file (POSIX read: "if nbyte is zero, read() ... shall return zero and have no other results").
    if (max === 0) return new Uint8Array(0);
    const line = this.lines[0];
    if (line === undefined) return this.hungUp ? new Uint8Array(0) : null;
    if (line.length <= max || line.length === 0) {
      this.lines.shift();
      return line;
    }
    this.lines[0] = line.subarray(max);
    return line.subarray(0, max);
  }

  /** @inheritdoc */
  write(bytes: Uint8Array): number {
    for (const b of bytes) this.ports.outb(COM1_PORT + UartReg.DATA, b);
    if (bytes.length > 0) this.midLine = bytes[bytes.length - 1] !== 0x0a;
    return bytes.length;
  }

  /**
   * A kernel message, on a line of its own: after a partial line (the shell's prompt) it starts a
   * new one, as Linux's printk does for a record that is not a continuation (KERN_CONT).
   */
  printk(line: string): void {
    this.write(new TextEncoder().encode(`${this.midLine ? "\n" : ""}${line}\n`));
  }

  /** Push out a partial line (the shell's prompt) to the host. */
  flush(): void {
    this.sink.flush();
  }
}
