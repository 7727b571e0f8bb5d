import { compute, mem } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { boot } from "./boot.js";

describe("smoke", () => {
  it("create + join returns the value", () => {
    const b = boot(function* (self) {
      const r = yield* self.create(function* (_t, n) {
        yield* compute(10);
        return n * 2;
      }, 21);
      if (r.error !== 0) return 10;
      const j = yield* self.join(r.thread);
      yield* mem.load32(r.thread);
      return j.error === 0 && j.value === 42 ? 0 : 1;
    });
    expect(b.kernel.crashes).toEqual([]);
    expect(b.run.outcome).toBe("all-exited");
    expect(b.status).toBe(0);
  });
});
