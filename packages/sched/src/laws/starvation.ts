/**
 * The three starvation laws of the policy suite (they run only for a policy whose `starvationFree`
 * is true): bounded waiting for a fixed set of CPU-bound threads, bounded waiting while
 * short-lived threads keep arriving, and bounded waiting while sleepers keep waking.
 *
 * Both count in picks. A thread's wait is the number of consecutive picks that chose someone
 * else while it was ready; it must stay below B = 100·n + 500, where n is the largest number of
 * threads alive at once:
 *
 * ```
 *   fixed set (law 3):   0 1 2 | 0 1 2 | 0 1 2 …            n = 3,  3·B picks
 *   arrivals  (law 4):   0 1 a | b 0 c | d 1 e …             n = 2 long-lived + 1 short-lived at a time
 *                        (a, b, c, … each run less than a slice and retire; a new one replaces it)
 *   wakeups   (law 4b):   0 s t | s 1 t | s 0 …               n = 2 long-lived + 2 sleepers
 *                        (s, t run 1–3 cycles, block, sleep 0–2 picks, wake with reason "wake")
 * ```
 *
 * Why a second law. With a fixed set, an MLFQ without a boost passes: every thread sinks to the
 * bottom level, which is round robin. OSTEP's starvation (8.3) needs a stream of newcomers that
 * enter at the top and finish within their allotment, so the top level is never empty. The same
 * stream keeps an O(1) scheduler's active array from ever emptying when every newcomer brings a
 * fresh slice (Linux 2.6 bounded that in `sched_fork`, which splits the parent's slice, and in
 * its EXPIRED_STARVING test), and keeps a stride scheduler's minimum pass still when the threads
 * that advanced it retire. Law 4 produces that stream; law 3 is its simple case and names the
 * plainer bugs (a thread never picked, or picked once and never again).
 *
 * Why a third (4b). Neither law 3 nor law 4 ever blocks a thread, so a policy that favours *woken*
 * threads — queues them at the head "for responsiveness", or, as an O(1) scheduler without
 * EXPIRED_STARVING, keeps giving interactive threads whole new slices in the active array —
 * passes both. Law 4b keeps the same threads alive and makes some of them sleep and wake: with
 * two sleepers that sleep at most one pick, one of them is always awake when the CPU-bound
 * threads' turn comes, and only a bound on what a wake (or an interactive thread's refill) may
 * buy keeps the CPU-bound threads running.
 *
 * B is generous on purpose (worst gaps measured on our policies are in `README.md`, "Laws"); nice
 * stays in −5..5 (weights 3121..335) and tickets in 1..16, the ratios of the baselines: a fair
 * policy may make a nice-19 thread wait thousands of picks behind a nice −20 one, which no fixed
 * bound in picks captures.
 */
import fc from "fast-check";
import { cpuId, type PolicyFactory, type ThreadId, type ThreadParams, threadId } from "../api.js";
import { paramsArb } from "./policy-commands.js";

/** The longest wait, in picks, a starvation-free policy may impose when at most `n` threads are alive. */
export function starvationBound(n: number): number {
  return 100 * n + 500;
}

/** Ticks a turn may last before the law yields the thread itself (FIFO never preempts). */
const MAX_TICKS_PER_TURN = 200;
/** How many of the last picks a failure message shows. */
const RECENT = 24;

/** Valid parameters with nice clamped to −5..5 (see the banner). */
const moderateParams: fc.Arbitrary<Partial<ThreadParams>> = paramsArb.map((p) => ({
  ...p,
  nice: Math.max(-5, Math.min(5, p.nice ?? 0)),
}));

/** Run the picked CPU-bound thread `t` for one turn and requeue it; `step` indexes `tickSizes`. */
function cpuBoundTurn(
  p: ReturnType<PolicyFactory>,
  t: ThreadId,
  tickSizes: readonly number[],
  step: { n: number },
): void {
  let preempted = false;
  for (let k = 0; k < MAX_TICKS_PER_TURN && !preempted; k++)
    preempted = p.tick(t, tickSizes[step.n++ % tickSizes.length]!);
  p.enqueue(t, preempted ? "preempted" : "yielded");
}

/**
 * Run a thread with `left` cycles of work one cycle at a time until its burst ends or the policy
 * preempts it; a preempted thread is put back as preempted. Returns true when the burst ended
 * (the caller then retires it or puts it to sleep).
 */
function runBurst(p: ReturnType<PolicyFactory>, t: ThreadId, me: { left: number }): boolean {
  let preempted = false;
  while (me.left > 0 && !preempted) {
    me.left--;
    preempted = p.tick(t, 1);
  }
  if (me.left > 0) {
    p.enqueue(t, "preempted");
    return false;
  }
  return true;
}

/**
 * Law 3, bounded waiting for a fixed set of CPU-bound threads: pick, run ticks until the policy
 * preempts (or 200 ticks, then yield), requeue, for 3·B picks with B = {@link starvationBound}(n).
 * Every thread must be picked at least once in every window of B consecutive picks: its first
 * pick within the first B picks, and then never B picks without one, up to the end of the run. A
 * first pick alone is not enough — a policy that runs each thread once and then re-picks one of
 * them forever (a LIFO stack behind a FIFO of new threads: picks 0 1 2 2 2 2 …) starves threads it
 * has already run.
 */
export function progressProperty(
  factory: PolicyFactory,
): fc.IPropertyWithHooks<[Partial<ThreadParams>[], number[]]> {
  return fc.property(
    fc.array(moderateParams, { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
    (params, tickSizes) => {
      const p = factory(cpuId(0));
      params.forEach((pr, i) => {
        p.admit(threadId(i), pr);
        p.enqueue(threadId(i), "new");
      });
      const n = params.length;
      const bound = starvationBound(n);
      /** Pick number of each thread's last pick; −1 before its first. */
      const last = params.map(() => -1);
      const recent: number[] = [];
      const step = { n: 0 };
      for (let pick = 0; pick < 3 * bound; pick++) {
        const t = p.pickNext();
        if (t === null) throw new Error(`pickNext() returned null with ${n} CPU-bound threads`);
        if (t < 0 || t >= n || !Number.isInteger(t))
          throw new Error(`pickNext() returned tid=${t}, which was never admitted (threads 0..${n - 1})`);
        last[t] = pick;
        remember(recent, t);
        starvedCheck(last, pick + 1, bound, recent);
        cpuBoundTurn(p, t, tickSizes, step);
      }
    },
  );
}

/**
 * Throws when some thread has gone `bound` picks without one, `done` picks into the run: "never
 * picked" when it was never picked at all, else "not picked again" with the picks that ran instead.
 */
function starvedCheck(last: readonly number[], done: number, bound: number, recent: readonly number[]): void {
  const others = `the last ${recent.length} picks chose threads ${recent.join(" ")}`;
  const never = last.flatMap((l, i) => (l < 0 && done >= bound ? [i] : []));
  if (never.length > 0) throw new Error(`threads [${never}] were never picked in ${bound} picks (${others})`);
  for (let i = 0; i < last.length; i++) {
    const l = last[i]!;
    if (done - 1 - l < bound) continue;
    throw new Error(
      `thread ${i} was not picked again for ${bound} picks after pick ${l} while it stayed ready (${others}): a starvation-free policy must pick every ready thread within every ${bound} picks (bounded waiting), not only once`,
    );
  }
}

/** What law 4 knows of a live thread. */
interface Live {
  /** The pick before which it arrived, or its last pick: its wait counts from the pick after. */
  since: number;
  /** Whether it has been picked yet. */
  picked: boolean;
  /** Short-lived: CPU cycles it still needs before it retires. Long-lived: −1. */
  left: number;
}

/**
 * Law 4, bounded waiting under arrivals: 1–4 long-lived CPU-bound threads (tids 0..L−1, run as in
 * law 3) share the CPU with a churn of short-lived threads. Before every pick, new short-lived
 * threads are admitted and enqueued (reason `"new"`) until `cap` (1–4) of them are alive; each
 * needs 1–3 cycles of CPU, runs in 1-cycle ticks (less than any slice or allotment of our
 * policies), and when it has had them it is descheduled and retired. If the policy preempts it
 * first, it is requeued and finishes later. So n = L + cap threads are alive at any time, and
 * every one of them — long-lived or newcomer — must be picked within every B = {@link
 * starvationBound}(n) consecutive picks while it is ready, for 3·B picks.
 */
export function arrivalsProperty(
  factory: PolicyFactory,
): fc.IPropertyWithHooks<[Partial<ThreadParams>[], Partial<ThreadParams>[], number, number[], number[]]> {
  return fc.property(
    fc.array(moderateParams, { minLength: 1, maxLength: 4 }),
    fc.array(moderateParams, { minLength: 1, maxLength: 8 }),
    fc.integer({ min: 1, max: 4 }),
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
    (longParams, shortParams, cap, needs, tickSizes) => {
      const p = factory(cpuId(0));
      const nLong = longParams.length;
      const n = nLong + cap;
      const bound = starvationBound(n);
      const live = new Map<number, Live>();
      longParams.forEach((pr, i) => {
        p.admit(threadId(i), pr);
        p.enqueue(threadId(i), "new");
        live.set(i, { since: -1, picked: false, left: -1 });
      });
      /** The pick before which each short-lived thread arrived, in order of arrival. */
      const arrivals: number[] = [];
      let alive = 0;
      const recent: number[] = [];
      const step = { n: 0 };
      for (let pick = 0; pick < 3 * bound; pick++) {
        for (; alive < cap; alive++) {
          const k = arrivals.length;
          const tid = threadId(nLong + k);
          p.admit(tid, shortParams[k % shortParams.length]!);
          p.enqueue(tid, "new");
          live.set(tid, { since: pick - 1, picked: false, left: needs[k % needs.length]! });
          arrivals.push(pick);
        }
        const t = p.pickNext();
        if (t === null) throw new Error(`pickNext() returned null with ${live.size} threads ready`);
        const me = live.get(t);
        if (me === undefined)
          throw new Error(`pickNext() returned tid=${t}, which is not alive (retired, or never admitted)`);
        me.since = pick;
        me.picked = true;
        remember(recent, t);
        for (const [tid, l] of live) {
          if (pick - l.since < bound) continue;
          const window = `picks ${l.since + 1}..${pick}`;
          const came = arrivals.filter((a) => a > l.since && a <= pick).length;
          const who = tid < nLong ? `long-lived thread ${tid}` : `short-lived thread ${tid}`;
          const what = l.picked
            ? `was not picked again for ${bound} picks (${window}) after its pick ${l.since}`
            : `was never picked in the ${bound} picks since it arrived (${window})`;
          throw new Error(
            `${who} ${what} while ${came} short-lived threads arrived (at most ${cap} alive at once beside ${nLong} long-lived; the last ${recent.length} picks chose threads ${recent.join(" ")}): a starvation-free policy must pick every ready thread within every ${bound} picks, however many newcomers arrive`,
          );
        }
        if (me.left < 0) {
          cpuBoundTurn(p, t, tickSizes, step);
          continue;
        }
        if (runBurst(p, t, me)) {
          p.descheduled(t);
          p.retire(t);
          live.delete(t);
          alive--;
        }
      }
    },
  );
}

/** Sleepers' nice values: 0..5 (see {@link wakeupsProperty}). */
const sleeperParams: fc.Arbitrary<Partial<ThreadParams>> = moderateParams.map((p) => ({
  ...p,
  nice: Math.max(0, p.nice ?? 0),
}));

/** What law 4b knows of a thread. */
interface Sleeper {
  /** The pick after which its wait counts (its last pick, or the pick before which it woke). */
  since: number;
  /** Whether it has been picked yet. */
  picked: boolean;
  /** Sleepers: cycles of its burst still to run. Long-lived: −1. */
  left: number;
  /** Sleepers: the pick before which it wakes, while it sleeps; −1 while runnable. */
  wakeAt: number;
  /** Sleepers: how many bursts it has run (indexes the burst and sleep lengths). */
  bursts: number;
}

/**
 * Law 4b, bounded waiting under wakeups: 1–4 long-lived CPU-bound threads (tids 0..L−1, run as in
 * law 3) and 2–3 sleepers (tids L..L+S−1). A picked sleeper runs a burst of 1–3 cycles in 1-cycle
 * ticks and then blocks (`descheduled`); it sleeps 0–2 picks and is enqueued with reason
 * `"wake"` before the pick at which it wakes (0: at once, before the very next pick). If the
 * policy preempts it mid-burst it is requeued (`"preempted"`) and finishes the burst later. No
 * thread is ever created or retired, so n = L + S, and every thread must be picked within every
 * B = {@link starvationBound}(n) consecutive picks while it is ready (a sleeping thread is not
 * ready: its wait counts from its wake), for 3·B picks.
 *
 * Sleepers have nice 0..5. Their picks are cheap (1–3 cycles), so a policy that gives a better
 * nice a longer slice (O(1): nice −5 → 500 ms) may fairly run one sleeper for many picks while
 * others wait; a bound in picks cannot tell that from starvation (law 3's reason to clamp nice,
 * sharper here). The bound each of our policies meets is argued in `test/laws.test.ts`.
 */
export function wakeupsProperty(
  factory: PolicyFactory,
): fc.IPropertyWithHooks<[Partial<ThreadParams>[], Partial<ThreadParams>[], number[], number[], number[]]> {
  return fc.property(
    fc.array(moderateParams, { minLength: 1, maxLength: 4 }),
    fc.array(sleeperParams, { minLength: 2, maxLength: 3 }),
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
    (longParams, sleeperParamsList, burstLengths, sleepLengths, tickSizes) => {
      const p = factory(cpuId(0));
      const nLong = longParams.length;
      const all = [...longParams, ...sleeperParamsList];
      const n = all.length;
      const bound = starvationBound(n);
      const th: Sleeper[] = all.map((pr, i) => {
        p.admit(threadId(i), pr);
        p.enqueue(threadId(i), "new");
        return { since: -1, picked: false, left: i < nLong ? -1 : burstLengths[0]!, wakeAt: -1, bursts: 0 };
      });
      let wakes = 0;
      const recent: number[] = [];
      const step = { n: 0 };
      for (let pick = 0; pick < 3 * bound; pick++) {
        th.forEach((s, i) => {
          if (s.wakeAt !== pick) return;
          s.wakeAt = -1;
          s.since = pick - 1;
          p.enqueue(threadId(i), "wake");
          wakes++;
        });
        const t = p.pickNext();
        if (t === null) throw new Error(`pickNext() returned null with ${nLong} CPU-bound threads ready`);
        const me = th[t];
        if (me === undefined || me.wakeAt >= 0)
          throw new Error(
            `pickNext() returned tid=${t}, which is ${me === undefined ? "not one of the law's threads" : "asleep"}`,
          );
        me.since = pick;
        me.picked = true;
        remember(recent, t);
        th.forEach((s, i) => {
          if (s.wakeAt >= 0 || pick - s.since < bound) return;
          const who = i < nLong ? `long-lived thread ${i}` : `sleeper ${i}`;
          const what = s.picked
            ? `was not picked again for ${bound} picks (picks ${s.since + 1}..${pick}) after its pick ${s.since}`
            : `was never picked in the first ${bound} picks`;
          throw new Error(
            `${who} ${what} while it stayed ready and sleepers woke ${wakes} times (${nLong} long-lived, ${n - nLong} sleepers; the last ${recent.length} picks chose threads ${recent.join(" ")}): a starvation-free policy must pick every ready thread within every ${bound} picks, however often others wake`,
          );
        });
        if (me.left < 0) {
          cpuBoundTurn(p, t, tickSizes, step);
          continue;
        }
        if (!runBurst(p, t, me)) continue;
        p.descheduled(t);
        me.wakeAt = pick + 1 + sleepLengths[me.bursts % sleepLengths.length]!;
        me.bursts++;
        me.left = burstLengths[me.bursts % burstLengths.length]!;
      }
    },
  );
}

function remember(recent: number[], t: number): void {
  recent.push(t);
  if (recent.length > RECENT) recent.shift();
}
