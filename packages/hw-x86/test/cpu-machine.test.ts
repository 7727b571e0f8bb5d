// The README's "A two-CPU machine" example, run as a test. The region below is copied verbatim
// into packages/hw-x86/README.md; the last test checks that the two stay identical.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const thisFile = fileURLToPath(import.meta.url);

// #region readme-machine
import {
  Access,
  BufferSink,
  Clock,
  COM1_IRQ,
  COM1_PORT,
  Cpu,
  Framebuffer,
  IoPortSpace,
  IpiBus,
  irqLine,
  Mapper,
  PAGE_4K,
  PhysicalMemory,
  StackFrameSource,
  TlbShootdown,
  Uart16550,
  UartBits,
} from "@osbricks/hw-x86";

function bootTwoCpus() {
  const clock = new Clock();
  const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
  const mapper = new Mapper({ memory, frames: new StackFrameSource(0x100, 0x400) });
  const bus = new IpiBus();
  const cpus = [0, 1].map((id) => bus.attach(new Cpu({ id, memory, clock })));
  for (const cpu of cpus) {
    cpu.writeCr3(mapper.root);
    cpu.apic.route(0, { vector: 0x30, masked: false }); // local timer
    cpu.setInterruptHandler(0x30, (c) => c.apic.eoi());
    cpu.timer?.startPeriodic(10_000); // preempt every 10 000 cycles
    cpu.sti();
  }
  const out = new BufferSink();
  const ports = new IoPortSpace();
  ports.register(COM1_PORT, 8, new Uart16550({ sink: out, irq: irqLine(cpus[0]!.apic, COM1_IRQ) }), "COM1");
  const fb = new Framebuffer({ width: 320, height: 200 });
  fb.attach(memory); // MMIO at 0xE000_0000
  const shootdown = new TlbShootdown(bus); // IPI vector 0xFD on every CPU
  return { clock, memory, mapper, cpus, ports, out, fb, shootdown };
}

const m = bootTwoCpus();
const [cpu0, cpu1] = m.cpus as [Cpu, Cpu];
m.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
cpu1.translate(0x400000, Access.Write); // CPU 1 caches a writable, dirty translation
m.mapper.protect(0x400000, PAGE_4K, { writable: false, user: true }); // make it read-only ...
const ticket = m.shootdown.shootdown(cpu0, "all-but-self", { kind: "page", va: 0x400000 });
cpu1.translate(0x400000, Access.Write).kind; // "ok": CPU 1 has not taken the IPI yet (stale)
m.clock.advance(10_000); // time passes: both timers fire
cpu1.deliverInterrupts(); // CPU 1's next trap: timer + shootdown IPI
ticket.complete; // true
cpu1.translate(0x400000, Access.Write).kind; // "page-fault": the new rights are seen
m.ports.outb(COM1_PORT + 4, UartBits.MCR_OUT2);
for (const ch of "ok\n") m.ports.outb(COM1_PORT, ch.charCodeAt(0)); // m.out.text() === "ok\n"
// #endregion readme-machine

describe("README: a two-CPU machine", () => {
  it("runs as the README says", () => {
    expect(ticket.complete).toBe(true);
    expect(cpu1.translate(0x400000, Access.Write).kind).toBe("page-fault");
    expect(m.out.text()).toBe("ok\n");
    expect(cpu0.timer?.expirations).toBe(1);
    expect(cpu1.timer?.expirations).toBe(1);
    expect(cpu0.apic.pendingVectors()).toEqual([0x30]); // CPU 0 has not trapped yet
    for (const c of m.cpus) c.checkInvariants();
  });

  it("shows the stale window: before the IPI is taken, CPU 1 still writes through the old entry", () => {
    // (Cached by a write, so D=1 is in the entry: a write hit needs no second walk, SDM 4.8.)
    const b = bootTwoCpus();
    const [c0, c1] = b.cpus as [Cpu, Cpu];
    b.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
    c1.translate(0x400000, Access.Write);
    b.mapper.protect(0x400000, PAGE_4K, { writable: false, user: true });
    b.shootdown.shootdown(c0, "all-but-self", { kind: "page", va: 0x400000 });
    expect(c1.translate(0x400000, Access.Write).kind).toBe("ok");
    expect(c0.translate(0x400000, Access.Write).kind).toBe("page-fault");
  });

  it("is copied verbatim into the package README", () => {
    const source = readFileSync(thisFile, "utf8");
    const region = source.split("// #region readme-machine\n")[1]!.split("// #endregion readme-machine")[0]!;
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    expect(readme).toContain(region.trim());
  });
});
