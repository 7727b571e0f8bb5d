import { describe, expect, it } from "vitest";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { machine } from "./space-fixture.js";

describe("Pmap.enter", () => {
  // The page at 0x10000 is the only leaf of its page table. A copy-on-write fault replaces its
  // frame with a copy: removing the leaf first would empty the table, which goes to the MMU gather
  // (not reusable inside the operation), so the new leaf would need another table. With the
  // last frame spent on the copy, enter failed: the fault said oom and the page lost its leaf.
  it("replaces the frame of the only leaf of a table in place, needing no new table", () => {
    const m = machine("shadow", 64);
    const parent = m.sys.createSpace();
    parent.map({ length: 0x1000, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(parent, 0x10000, 7)).toBeNull();
    const child = parent.fork()!;
    expect(m.load(child, 0x10000)).toBe(7); // the child's tables exist before memory runs out
    const tables = parent.pmap.mapper.tableCount;
    const held: number[] = [];
    while (m.frames.freeFrames() > 1) held.push(m.frames.allocFrame()!);
    const out = parent.handleFault(0x10000, "write"); // the copy takes the last frame
    expect(out).toMatchObject({ kind: "resolved", how: "copy" });
    const leaf = parent.pmap.lookup(0x10000);
    expect(leaf?.frame).toBe(out.kind === "resolved" ? out.frame : -1);
    expect(leaf).toMatchObject({ writable: true, user: true, noExecute: true, cow: false });
    expect(parent.pmap.mapper.tableCount).toBe(tables);
    expect(m.load(child, 0x10000)).toBe(7);
    expect(m.store(parent, 0x10000, 9)).toBeNull();
    expect(m.load(child, 0x10000)).toBe(7);
    m.sys.checkInvariants();
    for (const f of held) m.frames.freeFrame(f);
    child.destroy();
    parent.destroy();
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });
});
