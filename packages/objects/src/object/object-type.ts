/**
 * Object types: the tag every kernel object carries, and the names of its type-specific rights
 * and signals.
 *
 * A kernel defines its types once per machine through `ObjectSpace.defineType` (jsix lists them
 * in `object_types.inc`, Zircon in `zx_obj_type_t`). The type gives the handle layer a small
 * integer to compare on every lookup (`wrong-type` is one integer compare) and gives programs
 * and traces readable names:
 *
 * ```ts
 * const channel = space.defineType({ name: "channel", rights: ["send", "receive"], signals: ["readable", "writable"] });
 * channel.right("send")        // 1 << 16 = 0x1_0000, the first type-specific right
 * channel.right("receive")     // 1 << 17 = 0x2_0000
 * channel.signal("writable")   // 1 << 9  = 0x200, the second type signal
 * channel.formatRights(Right.WAIT | channel.right("send"))  // "wait|send"
 * ```
 *
 * Invariants: names are unique within a type and never shadow a generic right or system signal;
 * at most 15 type-specific rights and 15 type signals; `defaultRights ⊆ validRights`.
 *
 * Related: `rights/rights.ts`, `signals/signals.ts`, `object/space.ts`.
 */
import type { Rights, Signals } from "../api.js";
import {
  TYPE_RIGHTS_COUNT,
  TYPE_RIGHTS_SHIFT,
  TYPE_SIGNALS_COUNT,
  TYPE_SIGNALS_SHIFT,
  USER_SIGNALS_MASK,
} from "../api.js";
import { InvalidArgumentError, UnknownRightError } from "../errors.js";
import { GENERIC_RIGHT_NAMES, GENERIC_RIGHTS } from "../rights/rights.js";
import { SYSTEM_SIGNALS } from "../signals/signals.js";
import type { KernelObject } from "./kernel-object.js";

/** How a kernel declares an object type (see the file banner). */
export interface ObjectTypeSpec {
  /** Unique name within the machine, e.g. `"channel"`. */
  readonly name: string;
  /** Type-specific rights in bit order from bit 16 (at most 15). Default: none. */
  readonly rights?: readonly string[];
  /** Type signals in bit order from bit 8 (at most 15). Default: none. */
  readonly signals?: readonly string[];
  /**
   * Which generic rights make sense for this type, as a bit set. Default: all generic rights.
   * A handle of this type can never hold a generic right outside this set.
   */
  readonly genericRights?: Rights;
  /**
   * Rights a kernel usually grants to the creator's handle, by name (generic or type-specific).
   * Default: every valid right of the type.
   */
  readonly defaultRights?: readonly string[];
}

const NAME_RE = /^[a-z][a-z0-9_]*$/;

/**
 * One object type of one machine. The type parameter `T` is the class of its objects, so that
 * `table.lookup(h, channelType, Right.READ)` returns a `Channel`.
 */
export class ObjectType<T extends KernelObject = KernelObject> {
  /** Small positive integer, unique within the machine: the tag compared on every lookup. */
  readonly id: number;
  /** The type's name, as given to `defineType`. */
  readonly name: string;
  /** Every right a handle to an object of this type may hold. */
  readonly validRights: Rights;
  /** The rights a kernel usually grants the creator (see {@link ObjectTypeSpec.defaultRights}). */
  readonly defaultRights: Rights;
  /** Every signal an object of this type may show: system, type and user signals. */
  readonly validSignals: Signals;
  /** Type-specific right names in bit order. */
  readonly rightNames: readonly string[];
  /** Type signal names in bit order. */
  readonly signalNames: readonly string[];
  /** Phantom field carrying `T`; never set. */
  declare readonly __instance?: T;

  /**
   * Built by `ObjectSpace.defineType`; build types through it so that ids are unique per machine.
   * @throws InvalidArgumentError for a malformed name, a duplicate or reserved right or signal
   *   name, more than 15 rights or signals, or generic rights outside the defined set.
   * @throws UnknownRightError for a default right that the type does not define.
   */
  constructor(id: number, spec: ObjectTypeSpec) {
    const call = `defineType(${JSON.stringify(spec.name)})`;
    if (!NAME_RE.test(spec.name)) {
      throw new InvalidArgumentError(`${call}: a type name is lower-case letters, digits and _`);
    }
    const rights = spec.rights ?? [];
    const signals = spec.signals ?? [];
    checkNames(
      call,
      "right",
      rights,
      TYPE_RIGHTS_COUNT,
      GENERIC_RIGHT_NAMES.map(([n]) => n),
    );
    checkNames(call, "signal", signals, TYPE_SIGNALS_COUNT, ["no_handles", "peer_closed"]);
    const generic = spec.genericRights ?? GENERIC_RIGHTS;
    if (!Number.isInteger(generic) || (generic & ~GENERIC_RIGHTS) !== 0) {
      throw new InvalidArgumentError(
        `${call}: genericRights=0x${generic.toString(16)} has bits outside the generic rights 0x${GENERIC_RIGHTS.toString(16)}`,
      );
    }
    this.id = id;
    this.name = spec.name;
    this.rightNames = [...rights];
    this.signalNames = [...signals];
    let specific = 0;
    for (let i = 0; i < rights.length; i++) specific |= 1 << (TYPE_RIGHTS_SHIFT + i);
    this.validRights = generic | specific;
    let typeSignals = 0;
    for (let i = 0; i < signals.length; i++) typeSignals |= 1 << (TYPE_SIGNALS_SHIFT + i);
    this.validSignals = SYSTEM_SIGNALS | typeSignals | USER_SIGNALS_MASK;
    this.defaultRights =
      spec.defaultRights === undefined ? this.validRights : this.rights(...spec.defaultRights);
  }

  /**
   * The bit of one right, generic or type-specific, by name.
   * @throws UnknownRightError naming the type and listing the rights it defines.
   */
  right(name: string): Rights {
    for (const [n, bit] of GENERIC_RIGHT_NAMES) {
      if (n === name) {
        if ((bit & this.validRights) === 0) {
          throw new UnknownRightError(`${this.name}.right(${JSON.stringify(name)}): not valid for this type`);
        }
        return bit;
      }
    }
    const i = this.rightNames.indexOf(name);
    if (i < 0) {
      throw new UnknownRightError(
        `${this.name}.right(${JSON.stringify(name)}): no such right; defined: ${this.formatRights(this.validRights)}`,
      );
    }
    return 1 << (TYPE_RIGHTS_SHIFT + i);
  }

  /** The union of several rights by name. @throws UnknownRightError as {@link ObjectType.right}. */
  rights(...names: readonly string[]): Rights {
    let bits = 0;
    for (const n of names) bits |= this.right(n);
    return bits;
  }

  /**
   * The bit of one type signal by name.
   * @throws UnknownRightError naming the type and listing its signals.
   */
  signal(name: string): Signals {
    const i = this.signalNames.indexOf(name);
    if (i < 0) {
      throw new UnknownRightError(
        `${this.name}.signal(${JSON.stringify(name)}): no such signal; defined: ${this.signalNames.join(", ") || "none"}`,
      );
    }
    return 1 << (TYPE_SIGNALS_SHIFT + i);
  }

  /** Rights as `"read|write|send"`, generic rights first; unknown bits as hex. */
  formatRights(rights: Rights): string {
    const parts: string[] = [];
    let rest = rights;
    for (const [n, bit] of GENERIC_RIGHT_NAMES) {
      if (rights & bit) {
        parts.push(n);
        rest &= ~bit;
      }
    }
    this.rightNames.forEach((n, i) => {
      const bit = 1 << (TYPE_RIGHTS_SHIFT + i);
      if (rights & bit) {
        parts.push(n);
        rest &= ~bit;
      }
    });
    if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
    return parts.length === 0 ? "none" : parts.join("|");
  }
}

function checkNames(
  call: string,
  what: string,
  names: readonly string[],
  max: number,
  reserved: string[],
): void {
  if (names.length > max) {
    throw new InvalidArgumentError(`${call}: ${names.length} type-specific ${what}s, at most ${max} fit`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (!NAME_RE.test(n))
      throw new InvalidArgumentError(`${call}: ${what} name ${JSON.stringify(n)} is malformed`);
    if (seen.has(n) || reserved.includes(n)) {
      throw new InvalidArgumentError(
        `${call}: ${what} name ${JSON.stringify(n)} is defined twice or reserved`,
      );
    }
    seen.add(n);
  }
}
