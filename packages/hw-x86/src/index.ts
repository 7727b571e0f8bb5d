// @osbricks/hw-x86: the simulated x86-64 machine. Re-exports only (see README.md for the map).

// Cross-cutting types: the structural tracer and the paging trace events.
export * from "./api.js";
// CPUs: control registers, MSRs, interrupt delivery, IPIs and TLB shootdown.
export * from "./cpu/api.js";
export * from "./cpu/cpu.js";
export * from "./cpu/errors.js";
export * from "./cpu/ipi.js";
export * from "./cpu/lapic.js";
export * from "./cpu/registers.js";
export * from "./cpu/shootdown.js";
export { BufferSink, type ByteSink, type ByteSource, QueueSource } from "./devices/byte-streams.js";
// Devices: I/O ports, the 16550 UART, the framebuffer.
export * from "./devices/framebuffer.js";
export * from "./devices/ports.js";
export * from "./devices/uart-registers.js";
export * from "./devices/uart16550.js";
// Errors (every part of the package extends HwError).
export * from "./errors.js";
// Interrupts and time (vectors, controllers, the cycle clock, the timer).
export * from "./interrupts/api.js";
export * from "./interrupts/apic.js";
export * from "./interrupts/clock.js";
export * from "./interrupts/errors.js";
export * from "./interrupts/pic8259.js";
export * from "./interrupts/timer.js";
export * from "./interrupts/vectors.js";
// Physical memory, the boot memory map, MMIO.
export * from "./memory/address.js";
export * from "./memory/boot-map.js";
export * from "./memory/mmio-map.js";
export * from "./memory/physical-memory.js";
export * from "./memory/u64.js";
// Memory types (PAT, MTRRs, their combination).
export * from "./memtypes/effective.js";
export * from "./memtypes/memory-type.js";
export * from "./memtypes/mtrr.js";
export * from "./memtypes/pat.js";
// The MMU's view of the CPU.
export * from "./mmu/context.js";
export * from "./mmu/fault.js";
export * from "./mmu/mmu.js";
export * from "./mmu/rights.js";
// The mapper (page-table trees in physical memory).
export * from "./paging/api.js";
// Paging structures.
export * from "./paging/entry.js";
export * from "./paging/frame-source.js";
export * from "./paging/mapper.js";
export * from "./paging/stack-frame-source.js";
export * from "./paging/tree.js";
export * from "./paging/virtual-address.js";
// The TLB.
export * from "./tlb/api.js";
export * from "./tlb/tlb.js";
