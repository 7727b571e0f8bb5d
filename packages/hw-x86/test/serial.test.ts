import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferSink, QueueSource } from "../src/devices/byte-streams.js";
import { IoPortSpace } from "../src/devices/ports.js";
import { COM1_IRQ, COM1_PORT, UartBits, UartReg } from "../src/devices/uart-registers.js";
import { Uart16550 } from "../src/devices/uart16550.js";
import { ConfigurationError, InvalidArgumentError } from "../src/errors.js";
import { type InterruptTraceEvent, irqLine } from "../src/interrupts/api.js";
import { Clock } from "../src/interrupts/clock.js";
import { Pic8259 } from "../src/interrupts/pic8259.js";

const { IER_RX, IER_THRE, IER_LSR, LSR_DR, LSR_OE, LSR_THRE, MCR_OUT2, MCR_LOOP, LCR_DLAB } = UartBits;

function com1() {
  const ports = new IoPortSpace();
  const pic = new Pic8259();
  const out = new BufferSink();
  const uart = new Uart16550({ sink: out, irq: irqLine(pic, COM1_IRQ) });
  ports.register(COM1_PORT, 8, uart, "COM1");
  const reg = (r: number) => ports.inb(COM1_PORT + r);
  const set = (r: number, v: number) => ports.outb(COM1_PORT + r, v);
  return { ports, pic, out, uart, reg, set };
}

describe("16550A UART on COM1", () => {
  it("bytes written to THR go to the sink; LSR says THR is empty", () => {
    const { out, reg, set } = com1();
    for (const c of "hello\n") set(UartReg.DATA, c.charCodeAt(0));
    expect(out.text()).toBe("hello\n");
    expect(reg(UartReg.LSR) & LSR_THRE).toBe(LSR_THRE);
  });

  it("received bytes are read from RBR in order; LSR.DR says when", () => {
    const { uart, reg } = com1();
    expect(reg(UartReg.LSR) & LSR_DR).toBe(0);
    reg(UartReg.IIR_FCR);
    uart.receive("ab");
    // Without FIFOs the receiver holds one byte: "a" is held, "b" is lost (overrun).
    expect(reg(UartReg.LSR) & (LSR_DR | LSR_OE)).toBe(LSR_DR | LSR_OE);
    expect(reg(UartReg.LSR) & LSR_OE).toBe(0); // OE clears on read
    expect(reg(UartReg.DATA)).toBe(0x61);
    expect(reg(UartReg.LSR) & LSR_DR).toBe(0);
  });

  it("with FIFOs, 16 bytes are buffered and the 17th is an overrun", () => {
    const { uart, reg, set } = com1();
    set(UartReg.IIR_FCR, 0x07); // enable, clear both
    uart.receive("0123456789abcdefX");
    expect(uart.rxCount).toBe(16);
    expect(reg(UartReg.LSR) & LSR_OE).toBe(LSR_OE);
    let s = "";
    while (reg(UartReg.LSR) & LSR_DR) s += String.fromCharCode(reg(UartReg.DATA));
    expect(s).toBe("0123456789abcdef");
    expect(reg(UartReg.IIR_FCR) & 0xc0).toBe(0xc0); // IIR bits 7:6: FIFOs enabled
  });

  it("input raises the interrupt line only with IER.ERBFI and MCR.OUT2 (the PC wiring)", () => {
    const { uart, pic, reg, set } = com1();
    set(UartReg.IER, IER_RX);
    uart.receive("x");
    expect(pic.isPending(COM1_IRQ)).toBe(false); // OUT2 clear: INTR not connected
    reg(UartReg.DATA);
    set(UartReg.MCR, MCR_OUT2);
    uart.receive("y");
    expect(pic.acknowledge()).toBe(0x20 + COM1_IRQ);
    expect(reg(UartReg.IIR_FCR)).toBe(0x04); // received data available
    expect(reg(UartReg.DATA)).toBe(0x79);
    expect(reg(UartReg.IIR_FCR)).toBe(0x01); // nothing pending; the line went low
    expect(uart.interruptAsserted).toBe(false);
    pic.eoi();
    uart.checkInvariants();
  });

  it("FIFO trigger level: data-ready at 4 bytes; fewer bytes report a character timeout", () => {
    const { uart, reg, set } = com1();
    set(UartReg.IIR_FCR, 0x40 | 0x07); // trigger level 4
    set(UartReg.IER, IER_RX);
    set(UartReg.MCR, MCR_OUT2);
    uart.receive("abcd");
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x04);
    reg(UartReg.DATA);
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x01); // 3 bytes left, no timeout armed by a read
    uart.receive("e");
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x04);
    for (let i = 0; i < 3; i++) reg(UartReg.DATA);
    uart.receive("");
    uart.receive("f"); // 2 bytes, burst over: timeout
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x0c);
    reg(UartReg.DATA);
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x01);
  });

  it("THR-empty interrupt: raised when enabled, cleared by reading IIR, raised again after a write", () => {
    const { reg, set, uart } = com1();
    set(UartReg.MCR, MCR_OUT2);
    set(UartReg.IER, IER_THRE);
    expect(uart.interruptAsserted).toBe(true);
    expect(reg(UartReg.IIR_FCR)).toBe(0x02);
    expect(reg(UartReg.IIR_FCR)).toBe(0x01);
    set(UartReg.DATA, 0x41);
    expect(reg(UartReg.IIR_FCR)).toBe(0x02);
  });

  it("line-status interrupt outranks received data", () => {
    const { uart, reg, set } = com1();
    set(UartReg.IER, IER_RX | IER_LSR);
    uart.receive("ab"); // overrun without FIFOs
    expect(reg(UartReg.IIR_FCR)).toBe(0x06);
    reg(UartReg.LSR);
    expect(reg(UartReg.IIR_FCR)).toBe(0x04);
  });

  it("loopback: transmitted bytes come back as input, MSR mirrors MCR", () => {
    const { out, reg, set } = com1();
    set(UartReg.MCR, MCR_LOOP | 0x0b); // DTR, RTS, OUT2
    set(UartReg.DATA, 0xae);
    expect(out.bytes).toEqual([]);
    expect(reg(UartReg.DATA)).toBe(0xae);
    expect(reg(UartReg.MSR) & 0xf0).toBe(0xb0);
  });

  it("DLAB exposes the divisor latch: divisor 1 is 115200 baud; SCR keeps a byte", () => {
    const { uart, reg, set } = com1();
    set(UartReg.LCR, LCR_DLAB | 0x03);
    set(UartReg.DATA, 1);
    set(UartReg.IER, 0);
    set(UartReg.LCR, 0x03);
    expect(uart.baudRate).toBe(115200);
    set(UartReg.SCR, 0x5a);
    expect(reg(UartReg.SCR)).toBe(0x5a);
  });

  it("property: any byte sequence received in FIFO-sized bursts is read back unchanged", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 8 }), (bursts) => {
        const { uart, reg, set } = com1();
        set(UartReg.IIR_FCR, 0x07);
        const got: number[] = [];
        for (const burst of bursts) {
          uart.receive(burst);
          while (reg(UartReg.LSR) & LSR_DR) got.push(reg(UartReg.DATA));
          uart.checkInvariants();
        }
        expect(got).toEqual(bursts.flatMap((b) => [...b]));
      }),
      { numRuns: 100 },
    );
  });

  it("clock-paced input: one byte per cyclesPerByte; a kernel that reads too rarely loses bytes", () => {
    const { uart, reg, set, pic } = com1();
    const clock = new Clock();
    set(UartReg.IIR_FCR, 0xc7); // FIFOs, trigger 14
    set(UartReg.IER, IER_RX);
    set(UartReg.MCR, MCR_OUT2);
    const src = new QueueSource("hello, world!\n0123456789");
    uart.attachInput(clock, src, 100);
    clock.advance(99);
    expect(uart.rxCount).toBe(0);
    clock.advance(1);
    expect(uart.rxCount).toBe(1);
    clock.advance(1300); // 14 bytes: the trigger level
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x04);
    expect(pic.isPending(COM1_IRQ)).toBe(true);
    clock.advance(1000); // nobody reads: the FIFO fills at 16 and 8 more bytes overrun
    expect(uart.rxCount).toBe(16);
    expect(reg(UartReg.LSR) & LSR_OE).toBe(LSR_OE);
    let s = "";
    while (reg(UartReg.LSR) & LSR_DR) s += String.fromCharCode(reg(UartReg.DATA));
    expect(s).toBe("hello, world!\n01");
    expect(src.length).toBe(0);
    clock.advance(100); // the next poll finds the source empty: polling stops
    expect(clock.pendingEvents).toBe(0);
  });

  it("clock-paced input below the trigger level ends with a character timeout", () => {
    const { uart, reg, set } = com1();
    const clock = new Clock();
    set(UartReg.IIR_FCR, 0xc7);
    set(UartReg.IER, IER_RX);
    uart.attachInput(clock, new QueueSource("ab"), 10);
    clock.advance(20);
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x01); // 2 bytes, the sender may still be sending
    clock.advance(10); // the source is empty: end of burst
    expect(reg(UartReg.IIR_FCR) & 0x0f).toBe(0x0c);
    uart.detachInput();
    expect(() => uart.attachInput(clock, new QueueSource(), 0)).toThrow(InvalidArgumentError);
  });

  it("traces transmitted, received and lost bytes", () => {
    const events: InterruptTraceEvent[] = [];
    const uart = new Uart16550({ sink: new BufferSink(), tracer: { emit: (e) => events.push(e) } });
    uart.writePort(UartReg.DATA, 1, 0x41);
    uart.receive("xy"); // no FIFO: "y" is lost
    expect(events).toEqual([
      { type: "uart.tx", byte: 0x41 },
      { type: "uart.rx", byte: 0x78 },
      { type: "uart.overrun", byte: 0x79 },
    ]);
  });

  it("refuses non-bytes and bad register accesses, unchanged", () => {
    const { uart } = com1();
    expect(() => uart.receive([65, 256])).toThrow(InvalidArgumentError);
    expect(uart.rxCount).toBe(0);
    expect(() => uart.readPort(8, 1)).toThrow(/eight 1-byte registers/);
    expect(() => uart.writePort(0, 2, 0)).toThrow(InvalidArgumentError);
  });
});

describe("I/O port space (SDM Vol. 1 ch. 19)", () => {
  it("an unclaimed port reads all ones and drops writes", () => {
    const { ports } = com1();
    expect(ports.inb(0x2f8)).toBe(0xff);
    expect(ports.read(0x2f8, 2)).toBe(0xffff);
    expect(ports.read(0x2f8, 4)).toBe(0xffffffff);
    ports.outb(0x2f8, 1);
  });

  it("refuses overlapping claims, out-of-range ports and accesses crossing a device's end", () => {
    const { ports, uart } = com1();
    expect(() => ports.register(0x3fc, 8, uart, "again")).toThrow(ConfigurationError);
    expect(() => ports.register(0xfffc, 8, uart, "edge")).toThrow(ConfigurationError);
    expect(() => ports.inb(0x10000)).toThrow(InvalidArgumentError);
    expect(() => ports.read(0x3fe, 4)).toThrow(/crosses the end of COM1/);
    expect(ports.ranges().map((r) => r.name)).toEqual(["COM1"]);
  });
});
