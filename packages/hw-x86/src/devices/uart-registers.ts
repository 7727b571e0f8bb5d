/**
 * The 16550A UART's programming interface: its I/O ports on a PC, its register offsets and the
 * bits a driver sets and tests (National Semiconductor PC16550D data sheet, Table II).
 *
 * Worked: a driver enabling FIFOs and the receive interrupt on COM1 writes
 * `outb(COM1_PORT + UartReg.IIR_FCR, 0x07)` (FCR at 0x3FA: enable, clear RX, clear TX), then
 * `outb(0x3F9, UartBits.IER_RX)` and `outb(0x3FC, UartBits.MCR_OUT2)` — without OUT2 the PC's
 * wiring keeps IRQ 4 low whatever IER says.
 *
 * Related: `uart16550.ts` (the device that decodes them), `ports.ts`.
 */

/** Base port of COM1. */
export const COM1_PORT = 0x3f8;
/** The PC's interrupt line for COM1. */
export const COM1_IRQ = 4;

/** Register offsets. */
export const UartReg = {
  /** RBR (read) / THR (write) / DLL (DLAB=1). */
  DATA: 0,
  /** IER / DLM (DLAB=1). */
  IER: 1,
  /** IIR (read) / FCR (write). */
  IIR_FCR: 2,
  /** LCR. */
  LCR: 3,
  /** MCR. */
  MCR: 4,
  /** LSR. */
  LSR: 5,
  /** MSR. */
  MSR: 6,
  /** SCR. */
  SCR: 7,
} as const;

/** Bits of IER, LSR, MCR, LCR and FCR. */
export const UartBits = {
  /** IER: interrupt on received data. */
  IER_RX: 1,
  /** IER: interrupt on THR empty. */
  IER_THRE: 2,
  /** IER: interrupt on line status (overrun). */
  IER_LSR: 4,
  /** LSR: data ready. */
  LSR_DR: 1,
  /** LSR: overrun error. */
  LSR_OE: 2,
  /** LSR: THR empty. */
  LSR_THRE: 0x20,
  /** LSR: transmitter empty. */
  LSR_TEMT: 0x40,
  /** MCR: DTR. */
  MCR_DTR: 1,
  /** MCR: RTS. */
  MCR_RTS: 2,
  /** MCR: OUT1. */
  MCR_OUT1: 4,
  /** MCR: OUT2 (connects INTR to the interrupt line on a PC). */
  MCR_OUT2: 8,
  /** MCR: loopback. */
  MCR_LOOP: 0x10,
  /** LCR: divisor-latch access. */
  LCR_DLAB: 0x80,
  /** FCR: enable FIFOs. */
  FCR_ENABLE: 1,
  /** FCR: clear the receive FIFO. */
  FCR_CLEAR_RX: 2,
} as const;
