/**
 * The laws every synchronous rendezvous endpoint keeps, as a reusable suite: a student's endpoint
 * over {@link IpcThreads} runs the same checks as ours.
 *
 * Related: `endpoint-model.ts` (the model and commands), `../endpoint/endpoint.ts`.
 */
import fc from "fast-check";
import type { QueueOrder, SyncEndpoint } from "../api.js";
import type { IpcThreads } from "../core/threads.js";
import { endpointCommands } from "./endpoint-commands.js";
import { endpointSetup } from "./endpoint-model.js";
import { fcParams, type Law, type LawOptions, runLaws } from "./law.js";

/** A factory for the endpoint under test: one fresh endpoint per run over the given threads. */
export type EndpointFactory = (threads: IpcThreads, order: QueueOrder) => SyncEndpoint;

/** Options of {@link endpointLaws}. */
export interface EndpointLawOptions extends LawOptions {
  /**
   * Also draw calls with a reply timeout (the fifth argument of `call`: none, 0 or 4 cycles) and
   * check L4 X.2's receive-phase semantics: the deadline counts from the moment a receiver takes
   * the message, expiry wakes the caller with ReplyTimedOut and revokes the reply capability, 0
   * fails the phase at once. Default false, for an endpoint without reply timeouts.
   */
  readonly replyTimeouts?: boolean;
}

/**
 * The endpoint laws: the model-based run under FIFO and priority order, with 6 threads.
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
        fcParams(options),
      ),
  });
  return [model("fifo"), model("priority")];
}

/** Run {@link endpointLaws}, throwing on the first violation. */
export function runEndpointLaws(factory: EndpointFactory, options: EndpointLawOptions = {}): void {
  runLaws(endpointLaws(factory, options));
}
