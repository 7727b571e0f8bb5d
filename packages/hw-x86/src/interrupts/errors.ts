/**
 * Typed errors of the interrupt controllers and timers (subclasses of the package's {@link HwError}).
 *
 * Bad arguments use the package-wide {@link InvalidArgumentError}; these cover calls that are well
 * formed but illegal in the current state, such as an EOI with nothing in service.
 */
import { HwError } from "../errors.js";

/**
 * An interrupt-controller or timer operation is illegal in the current state: an EOI with no
 * interrupt in service, a timer started in a mode it is not in. The state is unchanged.
 */
export class InterruptStateError extends HwError {
  /** @param message - names the call, the state and the rule. */
  constructor(message: string) {
    super("E_INTERRUPT_STATE", message);
  }
}
