// The CPU lanes both example kernels' traces are drawn with (src/trace/cpu-lanes.ts).
import { describe, expect, it } from "vitest";
import { ChromeTraceWriter } from "../src/trace/chrome-trace.js";
import { CpuLanes } from "../src/trace/cpu-lanes.js";

const slices = (w: ChromeTraceWriter) => w.toJSON().traceEvents.filter((e) => e.ph === "X");

describe("CpuLanes", () => {
  it("a slice runs from a switch to a thread to the next switch on the same CPU, or to finish", () => {
    const w = new ChromeTraceWriter();
    const lanes = new CpuLanes(w, 1);
    lanes.switchTo(0, 1000, "3 sh");
    lanes.switchTo(1, 1500, "5 wc");
    lanes.switchTo(0, 4000, "4 cat"); // closes "3 sh" on cpu0 only
    lanes.switchTo(1, 6000, null); // cpu1 goes idle: "5 wc" ends, nothing opens
    lanes.finish(9000); // closes "4 cat"
    lanes.finish(12_000); // nothing is left open
    expect(slices(w).map((e) => [e.name, e.tid, e.ts, e.dur])).toEqual([
      ["3 sh", 1, 1, 3],
      ["5 wc", 2, 1.5, 4.5],
      ["4 cat", 1, 4, 5],
    ]);
  });

  it("names the machine, lane 0 and one lane per CPU; a system call is an instant on its CPU's lane", () => {
    const w = new ChromeTraceWriter();
    const lanes = new CpuLanes(w, 7);
    lanes.name("test machine", "tasks", 2);
    lanes.syscall({
      type: "kernel.syscall",
      cpu: 1,
      cycle: 2000,
      pid: 3,
      tid: 4,
      name: "write",
      result: 5,
    } as never);
    const events = w.toJSON().traceEvents;
    const names = events.filter((e) => e.ph === "M").map((e) => [e.tid ?? null, e.args?.name]);
    expect(names).toEqual([
      [0, "test machine"],
      [0, "tasks"],
      [1, "cpu0"],
      [2, "cpu1"],
    ]);
    const instant = events.find((e) => e.ph === "i");
    expect(instant).toMatchObject({
      name: "write",
      pid: 7,
      tid: 2,
      ts: 2,
      args: { pid: 3, tid: 4, result: 5 },
    });
  });
});
