import { describe, it } from "vitest";
import {
  CfsPolicy,
  FifoPolicy,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  O1Policy,
  type PolicyFactory,
  PriorityPolicy,
  RoundRobinPolicy,
  SjfPolicy,
  StcfPolicy,
  StridePolicy,
  Xorshift32,
} from "../src/index.js";
import { type LawOptions, policyLaws } from "../src/laws/index.js";

/*
 * Why each policy passes the numeric laws, not only that it did. B = 100·n + 500 picks (laws 3 and
 * 4, n ≤ 8 threads alive, nice −5..5 → weights 335..3121, tickets 1..16, turns of ticks 1..7 cut at
 * 200 ticks, newcomers run 1–3 one-cycle ticks); every pick runs at least one tick of ≥ 1 cycle.
 *
 * - fifo, rr: a requeued thread and a newcomer both go to the tail (FIFO never preempts, so the
 *   law yields it after 200 ticks): a ready thread waits ≤ n − 1 picks.
 * - mlfq (boost every 50 cycles): a boost keeps the ready order with level 0 first, so after it a
 *   thread has ≤ n − 1 threads ahead at level 0, each of which runs once and goes behind it (to
 *   the tail or a level down); newcomers enter behind it. Until the boost ≤ 50 picks: ≤ 50 + n.
 * - jsix-mlfq: a ready thread climbs one level per ≤ 20 ticks the first time and 10 after (stale
 *   after 10, checked every 10), so it is at level 0 within 80 ticks ≤ 80 picks; there ≤ n − 1 are
 *   ahead of it, newcomers start at level 1, plus the turn in progress: ≤ 81 + n.
 * - o1 (ℓ = starvationLimit × msCycles = 40 cycles per runnable thread): while the epoch is
 *   younger than ℓ·n cycles it lasts ≤ ℓ·n picks; from then on every fresh slice goes to the
 *   expired array and nothing preempts a thread picked from the active array (nothing better
 *   enters it), so the active array drains in ≤ n picks and the arrays swap. A thread in the
 *   active array waits ≤ ℓ·n + n picks, one in the expired array two epochs: ≤ 2(ℓ + 1)·n = 82·n.
 *   The interactivity bonus changes none of it: an interactive thread whose slice runs out is put
 *   back in the active array only while the same test says "not starving" (with nr_running ≤ n),
 *   so after ℓ·n cycles its refill goes to the expired array like a newcomer's; dynamic
 *   priorities change only at a wake, at the first pick after it (a better prio for the thread
 *   being picked) and at expiry, so still nothing enters the active array that preempts the
 *   thread picked from it. "o1 (interactive)" starts every thread at bonus +5 to exercise it.
 *   TIMESLICE_GRANULARITY splits an interactive thread's slice into turns (down to one 1-cycle
 *   tick at bonus ≥ 9: 10 ms × 0.1), so the drain is counted in cycles instead: every pick uses
 *   ≥ 1 cycle of a slice held in the active array, ≤ 50 cycles a thread (nice −5), so it lasts
 *   ≤ 50·n picks and a wait ≤ 2(ℓ + 50)·n. "o1 (interactive)" runs ℓ = 30: 160·n ≤ 1280 < B for
 *   n ≤ 8 (law 4's newcomers hold ≤ 3 cycles each, so there ≤ 2(30·n + 50·L + 3·cap) < B).
 *   With ℓ = 100 (Linux's 1000 ms at msCycles 0.1) the same argument gives 202·n, over B for
 *   n ≥ 5; 100·n was the worst measured, which is not a proof, so the suite runs ℓ = 40.
 * - stride (quantum 5): the picked thread has the least pass, so lead = pass − G ≤ 0 then (Σ
 *   tickets × lead = 0); a turn is < 5 cycles before its last tick of ≤ 7, so after it lead ≤
 *   11/5 stride, and lead ≥ −11/5 (n − 1) stride for the same reason. A ready X waits while G <
 *   pass_X: each pick moves G by ≥ STRIDE1 / (5 × Σ tickets), Σ tickets ≤ t_X + 16(n − 1), so
 *   ≤ 11 + 176(n − 1) / t_X picks; then newcomers join at G, behind X, and each of the ≤ 3 other
 *   long-lived threads below X's pass gains ≥ a stride a turn: ≤ 11/5 (n − 1) + 1 turns each, and
 *   ≤ 4 newcomers that came before. At n = 8, t_X = 1: 1243 + 3 × 16.4 + 4 = 1297 < 1300 = B
 *   (tight in the worst case; the worst measured is ≈ 80·n).
 * - cfs: every runnable vruntime stays within b = (period + 7) · 1024 / 335 = 94.8 of the
 *   minimum (the spread property in policies.test.ts; period = 24 for n ≤ 8), and a pick runs
 *   until sliceExec ≥ ideal or ≥ minGranularity, ≥ min(24·w/Σw, 3) cycles, so it moves the
 *   picked thread's vruntime by ≥ 24·1024/(8·3121) ≈ 0.98. A long-lived thread is picked ahead
 *   of X ≤ 94.8/0.98 + 1 ≈ 98 times; newcomer k + cap arrives after newcomer k ran, at
 *   min_vruntime ≥ v_k, plus its START_DEBIT ≥ 0.98, so ≤ cap·98 newcomers go ahead: ≤ 98·n.
 *   Buddies (on by default) bend no pick in laws 3, 4, 4b and 6, so every pick is the leftmost and
 *   the argument needs no change: (i) every "new" or "wake" enqueue happens between turns, with no
 *   current thread, and `check_preempt_wakeup` (the only setter of next and last) runs only
 *   against a running one; (ii) a turn ends in "yielded" only after 200 ticks without preemption,
 *   and CFS's tick preempts within one period (≤ 24 one-cycle ticks for n ≤ 8) whenever another
 *   thread is ready, so a thread yields only alone, where `yield_task_fair` marks no skip
 *   (nr_running == 1). (Checked: a mutant that throws on any bent pick passes these laws.) An
 *   earlier version bounded bends by g = wakeup_gran ≤ 12.2 instead; that does not carry the
 *   newcomer step: a newcomer picked as a buddy g above the leftmost leaves min_vruntime ≥ v_k −
 *   g, not ≥ v_k, so the chain k, k + cap, … need not climb (with a persistent skip buddy it does
 *   not: see "a stream of newcomers within wakeup_gran of a skipped yielder" in cfs-buddies.test.ts).
 * - law 6, cfs: with the spread b (ticks ≤ 4 here: b = 28·1024/335) each thread's CPU time is
 *   w_i(v_i − v_i(0))/1024 with both ends within b of the common minimum, so its share is w_i/W
 *   ± 2b·w_i/(1024·T) ≤ 2 × 85.6 × 3121 / (1024 × 40000) = 1.3 points (the law allows 4; no
 *   buddy bends a pick here, see law 3);
 *   stride: CPU time is 5 cycles × (ΔG + change of lead) / stride, and the lead stays within
 *   [−8/5 (n − 1), 8/5] strides (turns < 5 + 4 cycles here), so ≤ 8/5 × 4 × 5 = 32 of 40,000
 *   cycles off = 0.08 points; lottery: probabilistic — over ≥ 5,000 draws
 *   Hoeffding puts a 4-point miss at P ≤ 2·e^(−2·5000·0.04²) ≈ 2·10⁻⁷ per thread and run.
 */
/*
 * Law 4b (wakeups): L ≤ 4 CPU-bound threads, S ∈ 2..3 sleepers of nice 0..5 that run bursts of
 * 1–3 one-cycle ticks, block, and wake 0–2 picks later; n = L + S ≤ 7, B = 100·n + 500 ≥ 700.
 *
 * - fifo, rr: a woken thread goes to the tail like any other: ≤ n − 1 picks.
 * - mlfq (boost every 50 cycles), jsix-mlfq: a woken thread is queued at the tail of its level,
 *   as a requeued one is, so the law-4 arguments hold unchanged with the sleepers counted in n
 *   (≤ 50 + n and ≤ 81 + n).
 * - o1 (ℓ = 40 cycles per runnable thread, the three variants): every pick runs ≥ 1 cycle, so
 *   an epoch is "old" (age ≥ ℓ·nr_running, nr_running ≤ n) after ≤ ℓ·n picks. From then on no
 *   whole slice enters the active array: a refill goes to the expired one (an interactive
 *   thread's too: TASK_INTERACTIVE is overruled by the same test), and a thread that blocked on
 *   its refill tick wakes with a fresh slice, which the test defers. What still enters the active
 *   array is a woken sleeper with the rest of one slice (≤ 10 cycles at nice 0..5, msCycles 0.1)
 *   and a thread taken from it and requeued (preempted, or sent behind its peers by
 *   TIMESLICE_GRANULARITY) with the rest of its slice. Every pick uses ≥ 1 cycle of a slice held
 *   in the active array — ≤ 50 cycles for a long-lived thread (nice −5), ≤ 10 for a sleeper — so
 *   the active array empties within 50·L + 10·S picks and the arrays swap. A ready thread is
 *   picked within the rest of this epoch and the next one: ≤ 2(ℓ·n + 50·L + 10·S) = 80·n +
 *   100·L + 20·S ≤ 100·n + 500 = B exactly when 80·L ≤ 500, and L ≤ 4 (ℓ = 40; the interactive
 *   configuration's ℓ = 30 is lower still). The sleepers' nice is clamped to 0..5 for this: at
 *   nice −5 each sleeper could add 50 one-cycle picks.
 * - cfs: a woken thread's vruntime is max(its own, min_vruntime − targetLatency/2 = 12); it never
 *   goes down. So a thread whose vruntime is v_X is passed by a sleeper only while the sleeper's
 *   vruntime is below v_X, which is within b + 12 of the minimum (b = 94.8 as for law 3), and
 *   each sleeper pick runs ≥ 1 cycle at weight ≤ 1024 (nice ≥ 0): ≥ 1 of vruntime. Each sleeper
 *   passes X ≤ b + 24 + 1 ≈ 120 times, each long-lived thread ≤ (b + 12)/0.98 + 1 ≈ 110: below
 *   120·(n − 1) = 720 < B. The buddies change nothing: sleepers wake between turns, with no
 *   current thread (no next or last buddy), and a long-lived thread yields only when alone (no
 *   skip buddy), as for law 3.
 * - stride (quantum 5). The wake rule is Waldspurger & Weihl's (MIT/LCS/TM-528): client_leave
 *   saves remain = pass − G, client_join restores pass = G + remain, G advances by STRIDE1·c /
 *   (q·Σ competing tickets) while anyone competes; our StridePolicy does exactly that (a newcomer's
 *   remain is 0 where the paper's is one stride, see stride.ts), so nothing was changed. Write
 *   V_j = pass_j for a competing thread and G + remain_j for a sleeper, lead_j = V_j − G, W = Σ
 *   tickets of all n threads. Proven (and checked by a property in policies.test.ts, "stride under
 *   law 4b's wakeups"):
 *   1. every V_j is non-decreasing: a ready pass is constant, a runner's grows, a sleeper's moves
 *      with G, which never goes down; a wake puts it at G + remain ≥ the pass it left with;
 *   2. Σ tickets × lead = 0 over all threads, asleep ones included (running moves the competing
 *      sum by STRIDE1·c/q − Σt · STRIDE1·c/(q·Σt) = 0; leave and join move a term unchanged), so G
 *      is the ticket-weighted mean of all V;
 *   3. a sleeper's burst (1–3 cycles) never ends a 5-cycle quantum, so it is one pick, and it is
 *      asleep 0–2 picks: at any pick at most 2 threads are asleep, those picked at the last two;
 *   4. while X waits ready its pass P is fixed, and a pick of j ≠ X needs V_j ≤ P (ties: lower
 *      id). Ψ = Σ_{j≠X} tickets_j · min(V_j, P) never decreases (1), and each such pick raises it
 *      by STRIDE1·c/q ≥ STRIDE1/5, except the one pick per thread after which V_j > P for good.
 *      So X waits ≤ (n − 1) + 5·Σ_{j≠X} tickets_j·(P − V_j)⁺ / STRIDE1 picks, counted from the
 *      V's when its wait begins, ≤ (n − 1) + 5·(W − t_X)·(lead_X + D) / STRIDE1 with D the
 *      deepest debt (−least lead) then (by 2, G − min V = D).
 *   Open: bounding lead_X and D from the workload. Without sleepers the picked thread's lead is
 *   ≤ 0 (the least of a set whose weighted mean is G), hence leads ≤ 11/5 stride and D ≤ 11/5
 *   (n − 1) strides by 2 (law 3's argument). Here the mean of the competing leads is −Σ_asleep
 *   tickets × remain / Σ competing tickets, positive while the ≤ 2 sleepers asleep are owed time,
 *   so the picked lead can be positive, and bounding it needs a bound on those debts, which comes
 *   back to the leads: the simple induction does not close. Steps 5–7 (proven and checked at every
 *   pick in stride-wakeups.test.ts) narrow it: long-lived passes stay within 11/5 of their stride
 *   above their least, Λ; a picked lead is ≤ x·A before its run and ≤ max(c/5, A) after it (A the
 *   asleep sleepers' debt in strides, x = t_p / Σ competing tickets); a wait is ≤ one pick per
 *   stride of P − V_j for a long-lived j and five for a sleeper. Still open: how far below Λ a
 *   sleeper's V lags (step 7 ignores that it moves with G while asleep; with that ignored the
 *   constants need lags < 24.6 strides at n = 4, and a search found 45). A hill-climbing search
 *   found leads in [−5.99, 4.19] strides and a worst wait of 596 picks at n = 6 (B = 1100), no
 *   counterexample. So stride passes law 4b observed, not proven; the bound is lemma 4's.
 */
const policies: Array<[string, PolicyFactory, LawOptions["shares"]?]> = [
  ["fifo", () => new FifoPolicy()],
  ["rr", () => new RoundRobinPolicy({ quantum: 4 })],
  ["sjf", () => new SjfPolicy()],
  ["stcf", () => new StcfPolicy()],
  ["priority", () => new PriorityPolicy()],
  [
    "mlfq (boost)",
    () => new MlfqPolicy({ levels: 3, quantum: [2, 4, 8], allotment: [4, 8, 16], boostPeriod: 50 }),
  ],
  ["mlfq (no boost)", () => new MlfqPolicy()],
  ["jsix-mlfq", () => new JsixMlfqPolicy({ baseQuantum: 2 })],
  ["o1", () => new O1Policy({ msCycles: 0.1, starvationLimit: 400 })],
  // Every thread starts with the full bonus (sleep_avg 1000 ms: prio static − 5, interactive), so
  // the laws' threads, which never sleep, go back to the active array when their slices run out
  // until the bonus decays or the run queue starves: the bound below covers those re-inserts.
  ["o1 (interactive)", () => new O1Policy({ msCycles: 0.1, starvationLimit: 300, initialSleepAvg: 1000 })],
  ["o1 (no bonus)", () => new O1Policy({ msCycles: 0.1, starvationLimit: 400, interactivity: false })],
  ["lottery", (cpu) => new LotteryPolicy({ random: new Xorshift32(0x1234 + cpu), quantum: 5 }), "tickets"],
  [
    "lottery (tree)",
    (cpu) => new LotteryPolicy({ random: new Xorshift32(0x99 + cpu), quantum: 5, draw: "tree" }),
    "tickets",
  ],
  ["stride", () => new StridePolicy({ quantum: 5 }), "tickets"],
  ["cfs (rbtree)", () => new CfsPolicy(), "nice"],
  ["cfs (heap)", () => new CfsPolicy({ queue: "heap" }), "nice"],
];

for (const [name, factory, shares] of policies) {
  describe(`laws: ${name}`, () => {
    const options: LawOptions = shares === undefined ? { numRuns: 50 } : { numRuns: 50, shares };
    for (const law of policyLaws(factory, options)) it(law.name, () => law.check());
  });
}
