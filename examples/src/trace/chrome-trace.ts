/**
 * Chrome trace-event JSON, the format Perfetto and chrome://tracing open.
 *
 * The simulated machine counts cycles; a trace counts microseconds. We take a nominal 1 GHz clock
 * (1 cycle = 1 ns), so `ts = cycles / 1000`: the timeline's shape is exact and its units are
 * honest about being simulated. Each simulated CPU is a thread row of one "machine" process, so
 * the viewer draws one lane per CPU with the threads it ran as slices, and system calls and page
 * faults as instant events on the lane where they happened.
 *
 * Format reference: the "Trace Event Format" document of the Chromium project (JSON Object
 * Format: `{ traceEvents: [...], displayTimeUnit }`; phases X = complete, i = instant,
 * C = counter, M = metadata).
 */

/** One event of the JSON Object Format, restricted to the phases we write. */
export type ChromeTraceEvent =
  | {
      readonly ph: "X";
      readonly name: string;
      readonly cat: string;
      readonly ts: number;
      readonly dur: number;
      readonly pid: number;
      readonly tid: number;
      readonly args?: Readonly<Record<string, unknown>>;
    }
  | {
      readonly ph: "i";
      readonly name: string;
      readonly cat: string;
      readonly ts: number;
      readonly s: "t" | "p" | "g";
      readonly pid: number;
      readonly tid: number;
      readonly args?: Readonly<Record<string, unknown>>;
    }
  | {
      readonly ph: "C";
      readonly name: string;
      readonly ts: number;
      readonly pid: number;
      readonly args: Readonly<Record<string, number>>;
    }
  | {
      readonly ph: "M";
      readonly name: "process_name" | "thread_name";
      readonly pid: number;
      readonly tid: number;
      readonly args: { readonly name: string };
    };

/** A whole trace file. */
export interface ChromeTrace {
  readonly traceEvents: readonly ChromeTraceEvent[];
  readonly displayTimeUnit: "ns" | "ms";
  readonly otherData?: Readonly<Record<string, string | number>>;
}

/** Cycles per microsecond of the nominal clock (1 GHz). */
export const CYCLES_PER_US = 1000;

/** Collects events in the order they happen and writes one trace. */
export class ChromeTraceWriter {
  private readonly events: ChromeTraceEvent[] = [];

  /** Name a lane (`tid`) of process `pid`, e.g. "cpu0". */
  nameThread(pid: number, tid: number, name: string): void {
    this.events.push({ ph: "M", name: "thread_name", pid, tid, args: { name } });
  }

  /** Name a process row, e.g. "machine". */
  nameProcess(pid: number, name: string): void {
    this.events.push({ ph: "M", name: "process_name", pid, tid: 0, args: { name } });
  }

  /** A span of simulated time from `start` to `end` cycles (for example a thread running on a CPU). */
  slice(
    name: string,
    cat: string,
    pid: number,
    tid: number,
    start: number,
    end: number,
    args?: Readonly<Record<string, unknown>>,
  ): void {
    if (end < start) throw new RangeError(`slice(${name}): end ${end} before start ${start}`);
    const ev = {
      ph: "X" as const,
      name,
      cat,
      ts: start / CYCLES_PER_US,
      dur: (end - start) / CYCLES_PER_US,
      pid,
      tid,
    };
    this.events.push(args ? { ...ev, args } : ev);
  }

  /** A point event at `cycle` (a system call, a page fault). */
  instant(
    name: string,
    cat: string,
    pid: number,
    tid: number,
    cycle: number,
    args?: Readonly<Record<string, unknown>>,
  ): void {
    const ev = { ph: "i" as const, name, cat, ts: cycle / CYCLES_PER_US, s: "t" as const, pid, tid };
    this.events.push(args ? { ...ev, args } : ev);
  }

  /** A counter sample (free frames, runnable threads) at `cycle`. */
  counter(name: string, pid: number, cycle: number, values: Readonly<Record<string, number>>): void {
    this.events.push({ ph: "C", name, ts: cycle / CYCLES_PER_US, pid, args: values });
  }

  /** How many events of each phase and name were written (for checking a trace against counters). */
  count(ph: ChromeTraceEvent["ph"], name?: string): number {
    let n = 0;
    for (const e of this.events) if (e.ph === ph && (name === undefined || e.name === name)) n++;
    return n;
  }

  /** The finished trace. */
  toJSON(otherData?: Readonly<Record<string, string | number>>): ChromeTrace {
    return otherData
      ? { traceEvents: [...this.events], displayTimeUnit: "ns", otherData }
      : { traceEvents: [...this.events], displayTimeUnit: "ns" };
  }
}

/**
 * Check that a parsed JSON value is a well-formed trace of the phases above: the structural check
 * the tests run on every trace file the boot command writes.
 *
 * @returns a list of problems, empty when the trace is valid.
 */
export function validateChromeTrace(json: unknown): string[] {
  const problems: string[] = [];
  if (typeof json !== "object" || json === null) return ["trace: not an object"];
  const events = (json as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) return ["trace: traceEvents is not an array"];
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  events.forEach((e: Record<string, unknown>, i) => {
    const where = `traceEvents[${i}]`;
    if (typeof e !== "object" || e === null) {
      problems.push(`${where}: not an object`);
      return;
    }
    if (typeof e.name !== "string") problems.push(`${where}: name is not a string`);
    if (!num(e.pid)) problems.push(`${where}: pid is not a number`);
    switch (e.ph) {
      case "X":
        if (!num(e.ts) || !num(e.dur) || (e.dur as number) < 0)
          problems.push(`${where}: X needs ts and dur >= 0`);
        if (!num(e.tid)) problems.push(`${where}: X needs tid`);
        break;
      case "i":
        if (!num(e.ts) || !num(e.tid)) problems.push(`${where}: i needs ts and tid`);
        if (e.s !== "t" && e.s !== "p" && e.s !== "g") problems.push(`${where}: i needs s in t|p|g`);
        break;
      case "C":
        if (!num(e.ts)) problems.push(`${where}: C needs ts`);
        if (typeof e.args !== "object" || e.args === null || !Object.values(e.args).every(num)) {
          problems.push(`${where}: C needs numeric args`);
        }
        break;
      case "M":
        if (typeof (e.args as { name?: unknown } | undefined)?.name !== "string") {
          problems.push(`${where}: M needs args.name`);
        }
        break;
      default:
        problems.push(`${where}: unsupported phase ${String(e.ph)}`);
    }
  });
  return problems;
}
