import { describe, expect, it } from "vitest";
import { ChromeTraceWriter, validateChromeTrace } from "../src/trace/chrome-trace.js";

describe("ChromeTraceWriter", () => {
  it("writes slices, instants, counters and names that validate and round-trip through JSON", () => {
    const w = new ChromeTraceWriter();
    w.nameProcess(1, "machine");
    w.nameThread(1, 0, "cpu0");
    w.slice("init", "run", 1, 0, 0, 5000, { pid: 1 });
    w.instant("sys_write", "syscall", 1, 0, 1200);
    w.counter("free frames", 1, 5000, { frames: 1000 });
    const json = JSON.parse(JSON.stringify(w.toJSON({ seed: 1 })));
    expect(validateChromeTrace(json)).toEqual([]);
    expect(json.traceEvents[2]).toMatchObject({ ph: "X", ts: 0, dur: 5, tid: 0 });
    expect(json.traceEvents[3]).toMatchObject({ ph: "i", ts: 1.2, s: "t" });
    expect(w.count("X")).toBe(1);
    expect(w.count("i", "sys_write")).toBe(1);
  });

  it("refuses a slice that ends before it starts", () => {
    expect(() => new ChromeTraceWriter().slice("x", "run", 1, 0, 10, 5)).toThrow(/end 5 before start 10/);
  });

  it("reports each structural problem of a broken trace", () => {
    expect(validateChromeTrace(null)).toEqual(["trace: not an object"]);
    expect(validateChromeTrace({})).toEqual(["trace: traceEvents is not an array"]);
    const problems = validateChromeTrace({
      traceEvents: [
        { ph: "X", name: "a", pid: 1, tid: 0, ts: 0, dur: -1 },
        { ph: "i", name: "b", pid: 1, tid: 0, ts: 0, s: "x" },
        { ph: "Q", name: "c", pid: 1 },
      ],
    });
    expect(problems).toEqual([
      "traceEvents[0]: X needs ts and dur >= 0",
      "traceEvents[1]: i needs s in t|p|g",
      "traceEvents[2]: unsupported phase Q",
    ]);
  });
});
