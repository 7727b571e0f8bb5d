// The README example (between the markers), importing from the sources; readme.test.ts checks
// that the README shows exactly this code.
import { Endpoint, IpcStatus, IpcThreads, MR_COUNT, makeTag } from "../src/index.js";

export async function run(): Promise<string[]> {
  const out: string[] = [];
  const log = (s: string) => out.push(s);
  // example:start
  const runnable: number[] = [];
  const threads = new IpcThreads({ maxThreads: 2, waker: { wake: (t) => runnable.push(t) } });
  const ep = new Endpoint(threads);
  const CLIENT = 0;
  const SERVER = 1;
  const mr = (t: number, i: number) => t * MR_COUNT + i; // index of MRi of thread t

  ep.receive(SERVER); // Blocked: nobody has called yet
  threads.mr[mr(CLIENT, 0)] = makeTag({ label: 7, words: 1 });
  threads.mr[mr(CLIENT, 1)] = 41;
  ep.call(CLIENT); // rendezvous: MR0..MR1 copied to the server, which becomes runnable
  log(`server got ${threads.mr[mr(SERVER, 1)]} with label ${threads.mr[mr(SERVER, 0)]! >>> 16}`);

  threads.mr[mr(SERVER, 1)]! += 1; // the server computes in its own registers
  const st = ep.replyReceive(SERVER, threads.replyCap[SERVER]!); // one-shot reply, then wait again
  log(`client got ${threads.mr[mr(CLIENT, 1)]}`);
  // example:end
  if (st !== IpcStatus.Blocked || runnable.join() !== "1,0") throw new Error("example went wrong");
  return out;
}
