/**
 * The adapter from `@osbricks/vm`'s address space to the kernel's {@link UserSpace} port.
 * (Filled in when vm's address space lands.)
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Access, FaultOutcome, MapRequest, Protection, UserSpace } from "./user-space.js";

/** A user address space backed by `@osbricks/vm`. */
export class VmSpace implements UserSpace {
  constructor(readonly kernel: Kernel) {}
  translate(_va: number, _access: Access): number {
    return -1;
  }
  fault(_va: number, _access: Access): FaultOutcome {
    return "bad";
  }
  map(_req: MapRequest): boolean {
    return true;
  }
  unmap(_va: number, _pages: number): void {}
  protect(_va: number, _pages: number, _prot: Protection): boolean {
    return true;
  }
  isFree(_va: number, _pages: number): boolean {
    return true;
  }
  findFree(_pages: number, _below: number): number {
    return -1;
  }
  fork(): UserSpace | null {
    return new VmSpace(this.kernel);
  }
  destroy(): void {}
  flushTlb(): void {}
  checkInvariants(): void {}
}
