/**
 * The laws every synchronous rendezvous endpoint keeps, as a reusable suite: a student's endpoint
 * over {@link IpcThreads} runs the same checks as ours.
 *
 * Related: `endpoint-model.ts` (the model and commands), `../endpoint/endpoint.ts`.
 */
import fc from "fast-check";
import { IpcStatus, ipcStatusName, type QueueOrder, type SyncEndpoint } from "../api.js";
import { IpcThreads, ThreadIpcState } from "../core/threads.js";
import { endpointCommands } from "./endpoint-commands.js";
import { endpointSetup } from "./endpoint-model.js";
import { fcParams, type Law, type LawOptions, runLaws } from "./law.js";

/**
 * Default runs of the model-based endpoint laws: 300, not the package's 100. A run costs well
 * under a millisecond, and rare histories (a reply after a cancel and a second call) need them.
 */
const ENDPOINT_RUNS = 300;

/** A factory for the endpoint under test: one fresh endpoint per run over the given threads. */
export type EndpointFactory = (threads: IpcThreads, order: QueueOrder) => SyncEndpoint;

/** Options of {@link endpointLaws}. */
export interface EndpointLawOptions extends LawOptions {
  /** Runs per model-based law. Default 300 (the package's other suites: 100). */
  readonly numRuns?: number;
  /**
   * Also draw calls with a reply timeout (the fifth argument of `call`: none, 0 or 4 cycles) and
   * check L4 X.2's receive-phase semantics: the deadline counts from the moment a receiver takes
   * the message, expiry wakes the caller with ReplyTimedOut and revokes the reply capability, 0
   * fails the phase at once. Default false, for an endpoint without reply timeouts.
   */
  readonly replyTimeouts?: boolean;
}

/**
 * The endpoint laws: the model-based run under FIFO and priority order, with 6 threads, and the
 * directed reply-capability law ({@link replyCapabilityLaw}).
 * @example
 * for (const law of endpointLaws((threads, order) => new Endpoint(threads, { order }), { replyTimeouts: true }))
 *   law.check();
 */
export function endpointLaws(factory: EndpointFactory, options: EndpointLawOptions = {}): Law[] {
  const maxCommands = options.maxSteps ?? 40;
  const commands = endpointCommands(options.replyTimeouts ?? false);
  const model = (order: QueueOrder): Law => ({
    name: `endpoint (${order}): every message reaches exactly one receiver, in order, only at rendezvous; every wait ends with the model's status${options.replyTimeouts === true ? " (with reply timeouts)" : ""}`,
    check: () =>
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands, size: "+1" }), (cmds) => {
          fc.modelRun(endpointSetup(factory, 6, order), cmds);
        }),
        fcParams({ ...options, numRuns: options.numRuns ?? ENDPOINT_RUNS }),
      ),
  });
  return [model("fifo"), model("priority"), replyCapabilityLaw(factory)];
}

/**
 * A directed law, no luck needed: a reply capability answers only the call it was issued for and
 * only from the thread that received that call. Its validity comes from the caller's `replyGen`
 * (bumped whenever a reply wait ends: reply, cancel, exit, timeout) and `replyHolder` (the
 * receiver), so the random model run, which rarely builds the exact history, is not relied on:
 *
 * ```
 *   caller 3: call ─▶ received by 1 (cap A) ─▶ cancelled ─▶ call ─▶ received by 2 (cap B)
 *   1 replies with A  → invalid-reply-cap, 3 still waits   (stale: another call, another holder)
 *   0 replies with B  → invalid-reply-cap, 3 still waits   (borrowed: 0 never received the call)
 *   2 replies with B  → ok, 3 wakes with 2's message; B again → invalid-reply-cap (spent)
 *   caller 3: call ─▶ received by 1 (cap C) ─▶ cancelled ─▶ call ─▶ received by 1 (cap D)
 *   1 replies with C  → invalid-reply-cap                  (stale: same holder, old generation)
 *   1 replies with D  → ok
 * ```
 *
 * The second round has the receiver wait first, so both delivery paths (a queued caller, a
 * waiting receiver) hand out capabilities.
 */
export function replyCapabilityLaw(factory: EndpointFactory): Law {
  return {
    name: "endpoint: a reply capability answers only the call it was issued for, and only from the thread that received it (a stale or borrowed capability gets invalid-reply-cap)",
    check: () => checkReplyCapabilities(factory),
  };
}

function checkReplyCapabilities(factory: EndpointFactory): void {
  const wakes: Array<[number, IpcStatus]> = [];
  const threads = new IpcThreads({ maxThreads: 4, waker: { wake: (t, st) => wakes.push([t, st]) } });
  const ep = factory(threads, "fifo");
  const caller = 3;
  const story: string[] = [];
  const fail = (what: string): never => {
    throw new Error(`after ${story.join(", ")}: ${what}`);
  };
  const status = (got: IpcStatus, want: IpcStatus, what: string): void => {
    story.push(what);
    if (got !== want) fail(`${what} returned ${ipcStatusName(got)}, expected ${ipcStatusName(want)}`);
  };
  const woke = (want: string, what: string): void => {
    const got = wakes
      .splice(0)
      .map(([t, st]) => `${t}:${ipcStatusName(st)}`)
      .join(" ");
    if (got !== want) fail(`${what} woke [${got}], expected [${want}]`);
  };
  // One word per message, so a reply that reaches the caller shows whose it was.
  const say = (t: number, word: number): void => {
    const mr = threads.mrs(t);
    mr[0] = 1; // tag: u = 1
    mr[1] = word;
  };
  const capOf = (t: number): number => {
    const cap = threads.replyCap[t]!;
    if (!(cap >= 0)) fail(`thread ${t} received a call but holds no reply capability (replyCap ${cap})`);
    return cap;
  };
  /** A reply that must be refused: InvalidReplyCap, nobody woken, the caller still waiting, untouched. */
  const refused = (t: number, cap: number, why: string): void => {
    say(t, 0x7000 + t);
    const before = threads.mrs(caller)[1];
    const st = ep.reply(t, cap);
    story.push(`${t} replies with ${cap}`);
    if (st !== IpcStatus.InvalidReplyCap)
      fail(
        `thread ${t} replied with ${why} and got ${ipcStatusName(st)}, expected invalid-reply-cap: a reply capability is valid only while its caller waits for that very call (replyGen) and only for the thread that received it (replyHolder)`,
      );
    woke("", `the refused reply of ${t}`);
    if (threads.state[caller] !== ThreadIpcState.ReplyBlocked)
      fail(`the refused reply of ${t} ended caller ${caller}'s wait for its reply`);
    if (threads.mrs(caller)[1] !== before)
      fail(`the refused reply of ${t} wrote into caller ${caller}'s registers`);
  };
  const accepted = (t: number, cap: number): void => {
    say(t, 0x5000 + t);
    status(ep.reply(t, cap), IpcStatus.Ok, `${t} replies with ${cap}`);
    woke(`${caller}:ok`, `the reply of ${t}`);
    if (threads.mrs(caller)[1] !== 0x5000 + t)
      fail(
        `caller ${caller} holds MR1 ${threads.mrs(caller)[1]} after ${t}'s reply, ${t} sent ${0x5000 + t}`,
      );
  };
  const cancel = (): void => {
    story.push(`cancel ${caller}`);
    if (!threads.cancel(caller)) fail(`caller ${caller} was not blocked, it waits for a reply`);
    woke(`${caller}:cancelled`, "the cancel");
  };

  // Round 1: the caller queues, then a receiver takes the call.
  say(caller, 1);
  status(ep.call(caller), IpcStatus.Blocked, `${caller} calls`);
  status(ep.receive(1), IpcStatus.Ok, "1 receives");
  const a = capOf(1);
  cancel();
  status(ep.call(caller), IpcStatus.Blocked, `${caller} calls again`);
  status(ep.receive(2), IpcStatus.Ok, "2 receives");
  const b = capOf(2);
  refused(1, a, `its old capability ${a} (issued for the cancelled call; 2 received the new one)`);
  refused(0, b, `2's capability ${b} (0 never received the call)`);
  accepted(2, b);
  say(2, 0);
  story.push(`2 replies with ${b} again`);
  const twice = ep.reply(2, b);
  if (twice !== IpcStatus.InvalidReplyCap)
    fail(
      `a second reply with the spent capability ${b} returned ${ipcStatusName(twice)}, expected invalid-reply-cap`,
    );
  woke("", "the second reply");

  // Round 2: the receiver waits first; the same thread receives both calls.
  status(ep.receive(1), IpcStatus.Blocked, "1 waits to receive");
  say(caller, 2);
  status(ep.call(caller), IpcStatus.Blocked, `${caller} calls`);
  woke("1:ok", "the call");
  const c = capOf(1);
  cancel();
  status(ep.receive(1), IpcStatus.Blocked, "1 waits to receive");
  status(ep.call(caller), IpcStatus.Blocked, `${caller} calls again`);
  woke("1:ok", "the call");
  const d = capOf(1);
  if (c === d)
    fail(
      `thread 1 got the same capability ${c} for the cancelled call and the new one: a stale capability would answer the new call (put the generation, replyGen, in it)`,
    );
  refused(1, c, `its old capability ${c} (issued for the cancelled call, before the new one)`);
  accepted(1, d);
  ep.checkInvariants();
  threads.checkInvariants();
}

/** Run {@link endpointLaws}, throwing on the first violation. */
export function runEndpointLaws(factory: EndpointFactory, options: EndpointLawOptions = {}): void {
  runLaws(endpointLaws(factory, options));
}
