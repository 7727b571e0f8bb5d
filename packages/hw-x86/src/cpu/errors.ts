/**
 * Typed errors of the CPU model (subclasses of the package's {@link HwError}).
 *
 * On hardware these mistakes raise #GP(0) or #UD in the kernel itself. Here the kernel is the
 * TypeScript program calling the CPU model, so they are misuses of the library: thrown, never
 * returned, and the CPU is left exactly as it was. Reserved bits use the package-wide
 * {@link ReservedBitsError}; bad arguments {@link InvalidArgumentError}.
 */
import { HwError } from "../errors.js";

/**
 * A privileged operation (MOV to CR, WRMSR, STAC/CLAC, INVLPG, INVPCID) was attempted at CPL > 0:
 * #GP(0) or #UD on hardware (SDM Vol. 3A 5.9).
 */
export class PrivilegeError extends HwError {
  /** @param message - names the operation and the CPL. */
  constructor(message: string) {
    super("E_PRIVILEGE", message);
  }
}

/**
 * A control-register or MSR write is refused for a reason other than reserved bits: an illegal
 * combination (CR0.PG=1 with PE=0), or a transition the model's IA-32e mode forbids (clearing
 * CR0.PG, CR4.PAE or EFER.LME, changing CR4.LA57), each a #GP(0) on hardware.
 */
export class ControlRegisterError extends HwError {
  /** @param message - names the register, the value and the SDM rule. */
  constructor(message: string) {
    super("E_CONTROL_REGISTER", message);
  }
}
