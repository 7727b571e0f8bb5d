// @osbricks/hw-x86: the simulated x86-64 machine. Re-exports only (see README.md for the map).

// Errors (every part of the package extends HwError).
export * from "./errors.js";

// Physical memory, the boot memory map, MMIO.
export * from "./memory/address.js";
export * from "./memory/boot-map.js";
export * from "./memory/physical-memory.js";
// The MMU's view of the CPU.
export * from "./mmu/context.js";
// Paging structures.
export * from "./paging/entry.js";
export * from "./paging/frame-source.js";
export * from "./paging/virtual-address.js";
