// A VMA's frames come back to the buddy allocator when nothing holds the VMA any more: no
// mapping in any space and no handle. Either order (unmap last, or close the handle last) frees
// them, and nothing before that does. And a growth that would collide in the *other* space of
// a shared VMA is refused everywhere.
import { describe, expect, it } from "vitest";
import { J6Status, j6StatusName } from "../src/jsix/abi.js";
import { jbench, PAGE } from "./jsix-harness.js";

const PAGES = 3;
const HERE = 0x2100_0000;
const THERE = 0x3000_0000;

/** A VMA of PAGES pages, mapped in the root and in process `p` and touched; its handle. */
function shared(b: ReturnType<typeof jbench>, p: number): number {
  const v = b.call("j6_vma_create_map", [PAGES * PAGE, HERE, 1]);
  expect(v).toBeGreaterThan(0);
  expect(b.call("j6_vma_map", [v, p, THERE])).toBe(0);
  for (let i = 0; i < PAGES; i++) b.poke(HERE + i * PAGE, [i + 1]); // materialise every page
  return v;
}

describe("a VMA's frames", () => {
  for (const last of ["unmap", "close"] as const) {
    it(`are freed when the last mapping and the last handle are gone (${last} last)`, () => {
      const b = jbench();
      const free = () => b.k.frames.freeFrames();
      const self = b.root.handleTable.list().find((h) => h.type === "process")!.handle;
      const beforeChild = free();
      const p = b.call("j6_process_create", []); // a space takes frames of its own (its top table)
      const before = free();

      const v = shared(b, p);
      // While anything holds the VMA its PAGES data frames stay taken (unmapping an area may give
      // back page-table frames, so "still held" is: at most before - PAGES free).
      const held = () => expect(free()).toBeLessThanOrEqual(before - PAGES);
      held();
      if (last === "unmap") {
        expect(b.call("j6_handle_close", [v])).toBe(0);
        expect(b.call("j6_vma_unmap", [v, p])).toBe(-J6Status.err_invalid_arg); // no handle: cannot name it
        held(); // both spaces still map it
        // The root's mapping goes with its space's area; the child's when the child dies.
        b.root.vm.unmap(HERE, PAGES * PAGE);
        held(); // the child still maps it
        expect(b.call("j6_process_kill", [p])).toBe(0);
      } else {
        expect(b.call("j6_vma_unmap", [v, p])).toBe(0);
        expect(b.call("j6_vma_unmap", [v, self])).toBe(0);
        held(); // the handle still holds the VMA and its pages
        expect(b.call("j6_handle_close", [v])).toBe(0);
      }
      expect(b.state.vmas.size).toBe(0);
      // everything is back: the VMA's frames, and (when the child died) the child's space's too
      expect(free()).toBe(last === "unmap" ? beforeChild : before);
      b.state.checkInvariants();
    });
  }

  it("a growth that would collide in the other space of a shared VMA is refused in both", () => {
    const b = jbench();
    const v = b.call("j6_vma_create_map", [PAGE, HERE, 1]);
    const p = b.call("j6_process_create", []);
    expect(b.call("j6_vma_map", [v, p, THERE])).toBe(0);
    const other = b.call("j6_vma_create", [PAGE, 1]);
    expect(b.call("j6_vma_map", [other, p, THERE + PAGE])).toBe(0); // the child's next page is taken
    const before = b.snapshot();
    expect(j6StatusName(b.call("j6_vma_resize", [v, 2 * PAGE]))).toBe(j6StatusName(-J6Status.exists));
    expect(b.snapshot()).toBe(before);
    expect([...b.state.vmas][0]!.pages).toBe(1);
    // HERE + PAGE is free in the root's space, yet nothing grew there either
    expect(b.root.vm.findArea(HERE + PAGE)).toBeUndefined();
    b.state.checkInvariants();
  });
});
