/**
 * Timeouts on the model side of the timed law suites (the futex and requeue laws): which waiters a
 * clock advance must wake, and in which order. Internal to the laws: not exported from the package.
 */

/**
 * The model side of a clock advance in the timed law suites: the waiters whose deadline is at or
 * before `now`, taken out of `deadline` and returned in the order the real structure must wake
 * them (earliest deadline first, then lowest thread id), as `[thread, deadline]` pairs.
 */
export function takeDue(deadline: Map<number, number>, now: number): [number, number][] {
  const due = [...deadline].filter(([, d]) => d <= now).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (const [t] of due) deadline.delete(t);
  return due;
}
