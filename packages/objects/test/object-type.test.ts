import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  ObjectSpace,
  Right,
  Signal,
  UnknownRightError,
  USER_SIGNALS_MASK,
} from "../src/index.js";

describe("object types", () => {
  const space = new ObjectSpace();
  const channel = space.defineType({
    name: "channel",
    rights: ["send", "receive"],
    signals: ["readable", "writable"],
  });

  it("numbers type-specific rights from bit 16 and type signals from bit 8", () => {
    expect(channel.right("send")).toBe(0x1_0000);
    expect(channel.right("receive")).toBe(0x2_0000);
    expect(channel.signal("readable")).toBe(0x100);
    expect(channel.signal("writable")).toBe(0x200);
    expect(channel.validSignals).toBe(Signal.NO_HANDLES | Signal.PEER_CLOSED | 0x300 | USER_SIGNALS_MASK);
  });

  it("names generic rights too, and formats sets readably", () => {
    expect(channel.rights("read", "send")).toBe(Right.READ | 0x1_0000);
    expect(channel.formatRights(Right.WAIT | channel.right("send"))).toBe("wait|send");
    expect(channel.formatRights(0)).toBe("none");
  });

  it("defaults: all generic rights plus the type's own", () => {
    expect(channel.defaultRights).toBe(channel.validRights);
    expect(channel.validRights & 0xffff).toBe(0x7ff);
  });

  it("refuses unknown right and signal names with the defined ones listed", () => {
    expect(() => channel.right("fly")).toThrow(UnknownRightError);
    expect(() => channel.right("fly")).toThrow(/defined: .*send\|receive/);
    expect(() => channel.signal("loud")).toThrow(UnknownRightError);
  });

  it("restricts generic rights per type", () => {
    const irq = space.defineType({
      name: "irq",
      genericRights: Right.WAIT | Right.DUPLICATE,
      defaultRights: ["wait"],
    });
    expect(() => irq.right("write")).toThrow(/not valid for this type/);
    expect(irq.defaultRights).toBe(Right.WAIT);
  });

  it("refuses malformed specs and duplicate type names", () => {
    expect(() => space.defineType({ name: "channel" })).toThrow(InvalidArgumentError);
    expect(() => space.defineType({ name: "Bad Name" })).toThrow(/lower-case/);
    expect(() => space.defineType({ name: "x1", rights: ["read"] })).toThrow(/reserved/);
    expect(() => space.defineType({ name: "x2", rights: ["a", "a"] })).toThrow(/twice/);
    expect(() =>
      space.defineType({ name: "x3", rights: Array.from({ length: 16 }, (_, i) => `r${i}`) }),
    ).toThrow(/at most 15/);
    expect(() => space.defineType({ name: "x4", genericRights: 1 << 15 })).toThrow(
      /outside the generic rights/,
    );
    expect(() => space.defineType({ name: "x5", defaultRights: ["fly"] })).toThrow(UnknownRightError);
    expect(space.types().map((t) => t.name)).toEqual(["channel", "irq"]);
  });

  it("gives each type of a machine its own id; another machine starts again", () => {
    const other = new ObjectSpace();
    expect(other.defineType({ name: "channel" }).id).toBe(1);
    expect(space.typeNamed("irq")?.id).toBe(2);
  });
});
