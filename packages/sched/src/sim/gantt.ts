/**
 * An ASCII Gantt chart of a simulation, one row per CPU, for the terminal:
 *
 * ```
 *         0         10        20        30
 *   CPU0  |BBBBBBBBBBCCCCCCCCCCAAAAAAAAAA...|
 *   A: resp 20 turn 120 wait 20   B: ...
 * ```
 *
 * Each character covers `scale` time units and shows the job that ran longest in that span
 * (ties: the earlier job index); `.` means the CPU idled the whole span. Jobs are drawn with
 * the first character of their name, or A–Z then a–z by index when names collide.
 */
import { InvalidArgumentError } from "../errors.js";
import type { SimResult } from "./simulator.js";

/** Options of {@link renderGantt}. */
export interface GanttOptions {
  /** Time units per character, integer ≥ 1. Default: the smallest that fits `width`. */
  readonly scale?: number;
  /** Target chart width in characters when `scale` is not given. Default 100. */
  readonly width?: number;
  /** Append a per-job table (response, turnaround, wait) and averages. Default true. */
  readonly table?: boolean;
}

/**
 * Draw a simulation result.
 * @throws InvalidArgumentError when `scale` or `width` is not an integer ≥ 1.
 * @example
 * ```ts
 * console.log(renderGantt(simulate([{ length: 3 }, { length: 2 }], { policy: () => new FifoPolicy() })));
 * ```
 */
export function renderGantt(result: SimResult, options: GanttOptions = {}): string {
  const width = options.width ?? 100;
  if (!Number.isInteger(width) || width < 1)
    throw new InvalidArgumentError(`renderGantt: width ${width} must be an integer ≥ 1`);
  const span = result.makespan;
  const scale = options.scale ?? Math.max(1, Math.ceil(span / width));
  if (!Number.isInteger(scale) || scale < 1)
    throw new InvalidArgumentError(`renderGantt: scale ${scale} must be an integer ≥ 1`);
  const glyphs = glyphsFor(result.names);
  const cols = Math.ceil(span / scale);
  const label = (s: string): string => s.padEnd(6);
  const lines: string[] = [];
  let axis = "";
  for (let col = 0; col < cols; col += 10) axis += String(col * scale).padEnd(10);
  lines.push(`${label("")} ${axis.trimEnd()}`);
  result.timeline.forEach((row, cpu) => {
    let s = "";
    for (let col = 0; col < cols; col++) {
      const counts = new Map<number, number>();
      for (let t = col * scale; t < Math.min(span, (col + 1) * scale); t++) {
        const j = row[t];
        if (j !== null && j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      let best = -1;
      let bestN = 0;
      for (const [j, k] of [...counts].sort((a, b) => a[0] - b[0])) {
        if (k > bestN) {
          best = j;
          bestN = k;
        }
      }
      s += best < 0 ? "." : glyphs[best]!;
    }
    lines.push(`${label(`CPU${cpu}`)}|${s}|`);
  });
  if (scale > 1) lines.push(`${label("")} (1 character = ${scale} time units)`);
  if (options.table ?? true) {
    lines.push("");
    lines.push("job  arrival  first  done  response  turnaround  wait");
    result.jobs.forEach((j, i) => {
      lines.push(
        `${glyphs[i]!.padEnd(4)} ${String(j.arrival).padStart(7)} ${String(j.firstRun).padStart(6)} ${String(j.completion).padStart(5)} ${String(j.response).padStart(9)} ${String(j.turnaround).padStart(11)} ${String(j.wait).padStart(5)}`,
      );
    });
    const f = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
    lines.push(
      `${"average".padEnd(25)} ${f(result.average.response).padStart(9)} ${f(result.average.turnaround).padStart(11)} ${f(result.average.wait).padStart(5)}`,
    );
  }
  return lines.join("\n");
}

function glyphsFor(names: readonly string[]): string[] {
  const first = names.map((n) => n.charAt(0) || "?");
  if (new Set(first).size === first.length) return first;
  return names.map((_, i) =>
    i < 26 ? String.fromCharCode(65 + i) : i < 52 ? String.fromCharCode(97 + i - 26) : "#",
  );
}
