/**
 * Baseline benchmark 6 (../shared/baselines/README.md, "6. ipc") replayed through OUR endpoint:
 * a client and a server thread ping-pong 64-byte messages (16 words, MR1..MR16) with call /
 * reply-and-receive on one {@link Endpoint}, 10M round trips, under a dispatch loop with a 4-slot
 * ready ring like the C program's.
 *
 * Same workload, same checks (checksum 1427050304, switches 20000002). One difference in work,
 * which is the point of rendezvous IPC: the C program copies each message twice through a kernel
 * ring (4 copies of 64 B per round trip); our endpoint copies message registers straight from
 * sender to receiver (2 copies of 17 words, tag included, per round trip).
 *
 * Run: pnpm tsx --conditions=@osbricks/source packages/ipc/bench/baseline-ipc.ts
 */
import { Endpoint, FOREVER, IpcStatus, IpcThreads, MR_COUNT, makeTag } from "../src/index.js";

// Module-local copies of the imported constants the two threads' code reads on every trap: V8
// folds a module-local const into the code, but reloads and TDZ-checks an imported binding at
// every use (see src/endpoint/endpoint.ts).
const OK = IpcStatus.Ok;
const BLOCKED = IpcStatus.Blocked;
const WAIT_FOREVER = FOREVER;

const ROUNDTRIPS = 10_000_000;
const CLIENT = 0;
const SERVER = 1;

// The kernel side: a ready ring of 4 thread ids and the status each woken thread resumes with.
const rq = new Int32Array(4);
let rqh = 0;
let rqt = 0;
const resume = new Int32Array(2);
const threads = new IpcThreads({
  maxThreads: 2,
  waker: {
    wake(t, status) {
      resume[t] = status;
      rq[rqt++ & 3] = t;
    },
  },
});
const ep = new Endpoint(threads, { name: "ping-pong" });
const mr = threads.mr;
const replyCap = threads.replyCap;
const C = CLIENT * MR_COUNT;
const S = SERVER * MR_COUNT;
const TAG = makeTag({ label: 1, words: 16 });
for (let i = 0; i < 16; i++) mr[C + 1 + i] = Math.imul(0x01010101, i + 1);

// The two threads' code, one function each (a kernel's trap handlers would be separate too).
let rt = 0;
let h = 0;
let bad = 0;
let serverStarted = false;
let clientWaiting = false;

/** Server: receive on first run; when resumed, serve every queued request (reply-and-receive). */
function server(): boolean {
  let st: number = serverStarted ? resume[SERVER]! : ep.receive(SERVER, WAIT_FOREVER);
  serverStarted = true;
  while (st === OK) {
    const w0 = (mr[S + 1]! + 1) | 0;
    mr[S + 1] = w0;
    mr[S + 16] = (mr[S + 16]! + w0) | 0;
    mr[S] = TAG;
    st = ep.replyReceive(SERVER, replyCap[SERVER]!, WAIT_FOREVER);
  }
  return true;
}

/** Client: take the reply if resuming; then call with the round-trip number in MR1. */
function client(): boolean {
  if (clientWaiting) {
    if (resume[CLIENT] !== OK || mr[C + 1] !== rt + 1) bad++;
    h = (Math.imul(h, 31) + mr[C + 16]!) | 0;
    rt++;
    clientWaiting = false;
    if (rt === ROUNDTRIPS) return false;
  }
  mr[C] = TAG;
  mr[C + 1] = rt;
  if (ep.call(CLIENT, WAIT_FOREVER) !== BLOCKED) bad++;
  clientWaiting = true;
  return true;
}

/** Each thread's code, indexed by thread id: the dispatcher resumes whichever thread is next. */
const programs: ReadonlyArray<() => boolean> = [client, server];

function run(): number {
  let switches = 0;
  rq[rqt++ & 3] = SERVER;
  rq[rqt++ & 3] = CLIENT;
  for (;;) {
    const t = rq[rqh++ & 3]!;
    switches++;
    if (!programs[t]!()) return switches;
  }
}

const c0 = process.cpuUsage();
const t0 = performance.now();
const switches = run();
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
ep.checkInvariants();
threads.checkInvariants();
console.log(
  JSON.stringify({
    bench: "ipc",
    impl: "ts",
    metrics: {
      roundtrip: {
        n: ROUNDTRIPS,
        secs: Number(secs.toFixed(6)),
        ops_per_s: Number((ROUNDTRIPS / secs).toFixed(1)),
      },
    },
    check: { checksum: h >>> 0, bad, switches },
    // The same loop timed in process CPU time, which other tenants of a shared machine disturb
    // less than the wall clock; compare with C built with CLOCK_PROCESS_CPUTIME_ID (README).
    info: { cpu_ops_per_s: Math.round(ROUNDTRIPS / cpuSecs) },
  }),
);
