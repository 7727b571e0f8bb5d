import { describe, expect, it } from "vitest";
import {
  decodeTag,
  Endpoint,
  FOREVER,
  IpcArgumentError,
  IpcStateError,
  IpcStatus,
  IpcThreads,
  LONG_BUFFER_MAX,
  MR_COUNT,
  makeTag,
  NO_WAIT,
  TAG_FLAG_LONG,
  ThreadIpcState,
} from "../src/index.js";

function rig(n = 4, order: "fifo" | "priority" = "fifo") {
  const woken: Array<[number, number]> = [];
  const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => woken.push([t, s]) } });
  const ep = new Endpoint(threads, { order });
  const put = (t: number, label: number, ...words: number[]) => {
    threads.mr[t * MR_COUNT] = makeTag({ label, words: words.length });
    words.forEach((w, i) => {
      threads.mr[t * MR_COUNT + 1 + i] = w;
    });
  };
  const word = (t: number, i: number) => threads.mr[t * MR_COUNT + i];
  return { threads, ep, woken, put, word };
}

describe("tag", () => {
  it("packs label, flags, handles and words as documented (0x0042_0090)", () => {
    expect(makeTag({ label: 0x42, words: 16, handles: 2 })).toBe(0x0042_0090);
    expect(decodeTag(0x0042_0090)).toEqual({ label: 0x42, words: 16, handles: 2, long: false, flags: 0 });
    expect(decodeTag(makeTag({ label: 0xffff, words: 63, long: true })).long).toBe(true);
  });
  it("rejects out-of-range fields", () => {
    expect(() => makeTag({ label: 0x10000, words: 0 })).toThrow(IpcArgumentError);
    expect(() => makeTag({ label: 0, words: 64 })).toThrow(/0\.\.63/);
    expect(() => makeTag({ label: 0, words: 1, handles: 16 })).toThrow(IpcArgumentError);
  });
});

describe("Endpoint rendezvous", () => {
  it("the TSDoc example: call, receive, reply", () => {
    const { threads, ep, woken } = rig(2);
    expect(ep.receive(1)).toBe(IpcStatus.Blocked);
    threads.mr[0 * MR_COUNT] = makeTag({ label: 7, words: 1 });
    threads.mr[0 * MR_COUNT + 1] = 41;
    expect(ep.call(0)).toBe(IpcStatus.Blocked);
    expect(woken).toEqual([[1, IpcStatus.Ok]]);
    threads.mr[1 * MR_COUNT + 1]! += 1;
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.Ok);
    expect(woken).toEqual([
      [1, IpcStatus.Ok],
      [0, IpcStatus.Ok],
    ]);
    expect(threads.mr[0 * MR_COUNT + 1]).toBe(42);
    expect(decodeTag(threads.mr[0]!).label).toBe(7);
  });

  it("a send completes only when a receiver takes it", () => {
    const { ep, woken, put, word } = rig();
    put(0, 1, 100);
    expect(ep.send(0)).toBe(IpcStatus.Blocked);
    expect(woken).toEqual([]);
    expect(ep.receive(2)).toBe(IpcStatus.Ok);
    expect(woken).toEqual([[0, IpcStatus.Ok]]);
    expect(word(2, 1)).toBe(100);
  });

  it("only the words named by the tag are copied", () => {
    const { threads, ep, put, word } = rig();
    threads.mr.fill(-1, 2 * MR_COUNT, 3 * MR_COUNT);
    ep.receive(2);
    put(0, 1, 5, 6);
    ep.send(0);
    expect([word(2, 1), word(2, 2), word(2, 3)]).toEqual([5, 6, -1]);
  });

  it("serves blocked senders FIFO, or by priority with FIFO among equals", () => {
    const fifo = rig(4);
    for (const t of [2, 0, 3]) {
      fifo.put(t, t, t);
      fifo.ep.send(t);
    }
    expect(fifo.ep.queuedSenders()).toEqual([2, 0, 3]);
    const prio = rig(5, "priority");
    prio.threads.setPriority(1, 5);
    prio.threads.setPriority(3, 5);
    for (const t of [0, 1, 2, 3]) {
      prio.put(t, t, t);
      prio.ep.send(t);
    }
    expect(prio.ep.queuedSenders()).toEqual([1, 3, 0, 2]);
    expect(prio.ep.receive(4)).toBe(IpcStatus.Ok);
    expect(prio.word(4, 1)).toBe(1);
  });

  it("a queued thread whose priority changes moves to its new place (seL4 reorders the endpoint queue)", () => {
    const { threads, ep, put, word } = rig(5, "priority");
    for (const t of [0, 1, 2]) {
      put(t, t, t);
      ep.send(t);
    }
    expect(ep.queuedSenders()).toEqual([0, 1, 2]);
    threads.setPriority(2, 7); // raised: ahead of everyone
    expect(ep.queuedSenders()).toEqual([2, 0, 1]);
    threads.setPriority(0, -1); // lowered: behind everyone
    expect(ep.queuedSenders()).toEqual([2, 1, 0]);
    ep.checkInvariants();
    expect(ep.receive(4)).toBe(IpcStatus.Ok);
    expect(word(4, 1)).toBe(2);
    const fifo = rig(3);
    fifo.ep.receive(0);
    fifo.ep.receive(1);
    fifo.threads.setPriority(1, 9); // a FIFO queue keeps its order
    expect(fifo.ep.queuedReceivers()).toEqual([0, 1]);
    fifo.ep.checkInvariants();
  });

  it("replying twice is refused with the message left with the replier", () => {
    const { threads, ep, woken, put, word } = rig();
    ep.receive(1);
    put(0, 1, 1);
    ep.call(0);
    const cap = threads.replyCap[1]!;
    put(1, 0, 77);
    expect(ep.reply(1, cap)).toBe(IpcStatus.Ok);
    put(1, 0, 88);
    expect(ep.reply(1, cap)).toBe(IpcStatus.InvalidReplyCap);
    expect(word(0, 1)).toBe(77);
    expect(word(1, 1)).toBe(88);
    expect(woken.filter(([t]) => t === 0)).toHaveLength(1);
  });

  it("a reply capability works only for the thread that received it, and forged caps fail", () => {
    const { threads, ep, put } = rig();
    ep.receive(1);
    put(0, 1, 1);
    ep.call(0);
    const cap = threads.replyCap[1]!;
    expect(ep.reply(2, cap)).toBe(IpcStatus.InvalidReplyCap);
    expect(ep.reply(1, cap + 1)).toBe(IpcStatus.InvalidReplyCap);
    expect(ep.reply(1, -5)).toBe(IpcStatus.InvalidReplyCap);
    expect(ep.reply(1, Number.NaN)).toBe(IpcStatus.InvalidReplyCap);
    expect(ep.reply(1, cap)).toBe(IpcStatus.Ok);
  });

  it("replyReceive replies, then takes the next queued call", () => {
    const { threads, ep, woken, put, word } = rig();
    ep.receive(3);
    put(0, 1, 10);
    ep.call(0);
    put(1, 1, 20);
    ep.call(1);
    put(3, 0, 11);
    expect(ep.replyReceive(3, threads.replyCap[3]!)).toBe(IpcStatus.Ok);
    expect(word(0, 1)).toBe(11);
    expect(word(3, 1)).toBe(20);
    expect(woken.map(([t]) => t)).toEqual([3, 0]);
  });

  it("moves the long buffer (Codezero long IPC) and refuses one over 2 KiB", () => {
    const { threads, ep } = rig();
    ep.receive(1);
    const buf = threads.longBuffer(0);
    for (let i = 0; i < 300; i++) buf[i] = i & 0xff;
    threads.longLen[0] = 300;
    threads.mr[0] = makeTag({ label: 1, words: 0, long: true });
    expect(ep.send(0)).toBe(IpcStatus.Ok);
    expect(threads.longLen[1]).toBe(300);
    expect(threads.longBuffer(1)[299]).toBe(299 & 0xff);
    threads.longLen[2] = LONG_BUFFER_MAX + 1;
    threads.mr[2 * MR_COUNT] = TAG_FLAG_LONG;
    expect(ep.send(2)).toBe(IpcStatus.TooLarge);
    expect(ep.queuedSenders()).toEqual([]);
  });

  it("refuses more than 15 items with TooLarge and keeps them with the sender", () => {
    const { ep, put } = rig();
    put(0, 1, 1);
    const items = Array.from({ length: 16 }, (_, i) => i);
    expect(ep.send(0, FOREVER, 0, items)).toBe(IpcStatus.TooLarge);
    expect(ep.queuedSenders()).toEqual([]);
  });

  it("moves items exactly once, and hands them back when a blocked send times out", () => {
    const { threads, ep, put } = rig();
    const item = { h: 1 };
    put(0, 1, 1);
    ep.send(0, 10, 0, [item]);
    threads.advanceTo(10);
    expect(threads.inItems[0]).toEqual([item]);
    put(0, 1, 1);
    ep.receive(1);
    ep.send(0, FOREVER, 0, [item]);
    expect(threads.inItems[1]![0]).toBe(item);
    expect(decodeTag(threads.mr[1 * MR_COUNT]!).handles).toBe(1);
  });

  it("polls with NO_WAIT and times out in simulated time", () => {
    const { threads, ep, woken } = rig();
    expect(ep.receive(0, NO_WAIT)).toBe(IpcStatus.WouldBlock);
    expect(ep.receive(0, 100)).toBe(IpcStatus.Blocked);
    expect(threads.nextDeadline()).toBe(100);
    threads.advanceTo(99);
    expect(woken).toEqual([]);
    threads.advanceTo(100);
    expect(woken).toEqual([[0, IpcStatus.TimedOut]]);
    expect(ep.queuedReceivers()).toEqual([]);
    expect(() => threads.advanceTo(50)).toThrow(IpcArgumentError);
  });

  it("wakes every queued thread with Closed when destroyed; later calls return Closed", () => {
    const { ep, woken, put } = rig();
    put(0, 1, 1);
    put(1, 1, 1);
    ep.send(0);
    ep.call(1);
    expect(ep.destroy()).toEqual([0, 1]);
    expect(woken).toEqual([
      [0, IpcStatus.Closed],
      [1, IpcStatus.Closed],
    ]);
    expect(ep.send(2)).toBe(IpcStatus.Closed);
    expect(ep.receive(2)).toBe(IpcStatus.Closed);
    ep.checkInvariants();
  });

  it("a caller whose server exits wakes with ReplyDropped; the server can no longer reply", () => {
    const { threads, ep, woken, put } = rig();
    ep.receive(1);
    put(0, 1, 1);
    ep.call(0);
    const cap = threads.replyCap[1]!;
    expect(threads.threadExit(1)).toEqual([0]);
    expect(woken.at(-1)).toEqual([0, IpcStatus.ReplyDropped]);
    expect(ep.reply(1, cap)).toBe(IpcStatus.InvalidReplyCap);
  });

  it("a cancelled caller revokes its reply capability", () => {
    const { threads, ep, woken, put } = rig();
    ep.receive(1);
    put(0, 1, 1);
    ep.call(0);
    expect(threads.cancel(0)).toBe(true);
    expect(woken.at(-1)).toEqual([0, IpcStatus.Cancelled]);
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.InvalidReplyCap);
    expect(threads.cancel(0)).toBe(false);
  });

  it("a call's two timeouts (L4 X.2): the send phase times out with TimedOut, the reply phase with ReplyTimedOut", () => {
    const { threads, ep, woken, put } = rig();
    // Send phase: no receiver within 10 cycles → TimedOut; the server never saw the request.
    put(0, 1, 1);
    expect(ep.call(0, 10, 0, null, 50)).toBe(IpcStatus.Blocked);
    expect(threads.advanceTo(10)).toEqual([0]);
    expect(woken.at(-1)).toEqual([0, IpcStatus.TimedOut]);
    // The banner's trace: called at 10 with timeout 10 and reply timeout 50; S receives at 14.
    expect(ep.call(0, 10, 0, null, 50)).toBe(IpcStatus.Blocked);
    expect(threads.deadline[0]).toBe(20);
    threads.advanceTo(14);
    expect(ep.receive(1)).toBe(IpcStatus.Ok);
    const cap = threads.replyCap[1]!;
    // The receive phase counts from its own start: 14 + 50 = 64, not from the call.
    expect(threads.deadline[0]).toBe(64);
    expect(threads.advanceTo(63)).toEqual([]);
    expect(threads.advanceTo(64)).toEqual([0]);
    expect(woken.at(-1)).toEqual([0, IpcStatus.ReplyTimedOut]);
    expect(ep.reply(1, cap)).toBe(IpcStatus.InvalidReplyCap); // the capability was revoked
    threads.checkInvariants();
    ep.checkInvariants();
  });

  it("a reply in time clears the reply deadline; FOREVER (the default) waits as seL4's Call", () => {
    const { threads, ep, woken, put } = rig();
    ep.receive(1);
    put(0, 1, 1);
    expect(ep.call(0, FOREVER, 0, null, 30)).toBe(IpcStatus.Blocked); // a receiver waited: phase 2 at 0
    expect(threads.nextDeadline()).toBe(30);
    threads.advanceTo(29);
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.Ok);
    expect(woken.at(-1)).toEqual([0, IpcStatus.Ok]);
    expect(threads.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    expect(threads.advanceTo(1000)).toEqual([]);
    // Default: no reply deadline at all, however long the server takes.
    ep.receive(1);
    expect(ep.call(0, 10)).toBe(IpcStatus.Blocked);
    expect(threads.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    expect(threads.advanceTo(1e9)).toEqual([]);
    expect(threads.state[0]).toBe(ThreadIpcState.ReplyBlocked);
    threads.checkInvariants();
  });

  it("reply timeout 0: the message is delivered, the receive phase fails at once, the capability is stale", () => {
    const { threads, ep, woken, put } = rig();
    // A receiver waits: call returns ReplyTimedOut itself (no wake for the caller).
    ep.receive(1);
    put(0, 1, 7);
    expect(ep.call(0, FOREVER, 0, null, 0)).toBe(IpcStatus.ReplyTimedOut);
    expect(woken).toEqual([[1, IpcStatus.Ok]]);
    expect(threads.mr[1 * MR_COUNT + 1]).toBe(7);
    expect(threads.state[0]).toBe(ThreadIpcState.Idle);
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.InvalidReplyCap);
    // The caller is queued first: the receive takes the message and wakes it with ReplyTimedOut.
    expect(ep.call(0, FOREVER, 0, null, 0)).toBe(IpcStatus.Blocked);
    expect(ep.receive(1)).toBe(IpcStatus.Ok);
    expect(woken.at(-1)).toEqual([0, IpcStatus.ReplyTimedOut]);
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.InvalidReplyCap);
    threads.checkInvariants();
    ep.checkInvariants();
  });

  it("cancelling a caller in its reply phase still revokes the capability (a kernel's own timer)", () => {
    const { threads, ep, woken, put } = rig();
    ep.receive(1);
    put(0, 1, 1);
    expect(ep.call(0, 10)).toBe(IpcStatus.Blocked);
    const cap = threads.replyCap[1]!;
    expect(threads.cancel(0, IpcStatus.TimedOut)).toBe(true);
    expect(woken.at(-1)).toEqual([0, IpcStatus.TimedOut]);
    expect(ep.reply(1, cap)).toBe(IpcStatus.InvalidReplyCap);
    threads.checkInvariants();
  });

  it("throws for misuse: bad thread id, a blocked thread trapping, negative timeout", () => {
    const { ep } = rig();
    expect(() => ep.receive(9)).toThrow(IpcArgumentError);
    expect(() => ep.receive(0, -1)).toThrow(IpcArgumentError);
    ep.receive(0);
    expect(() => ep.send(0)).toThrow(IpcStateError);
    expect(() => ep.receive(0)).toThrow(/blocked in endpoint/);
  });

  it("the fastpath (no tracer) and the general path (with a tracer) produce the same run", () => {
    const runOnce = (traced: boolean) => {
      const log: string[] = [];
      const events: string[] = [];
      const threads = new IpcThreads({
        maxThreads: 3,
        waker: { wake: (t, s) => log.push(`${t}:${s}`) },
        ...(traced ? { tracer: { emit: (e: { type: string }) => events.push(e.type) } } : {}),
      });
      const ep = new Endpoint(threads);
      ep.receive(2);
      for (let i = 0; i < 5; i++) {
        const c = i % 2;
        threads.mr[c * MR_COUNT] = makeTag({ label: c, words: 3 });
        threads.mr.set([i, i * 2, i * 3], c * MR_COUNT + 1);
        log.push(`call ${ep.call(c)}`);
        threads.mr[2 * MR_COUNT + 1]! += 100;
        log.push(`rr ${ep.replyReceive(2, threads.replyCap[2]!)}`);
        log.push(Array.from(threads.mr.subarray(c * MR_COUNT, c * MR_COUNT + 4)).join(","));
      }
      ep.checkInvariants();
      threads.checkInvariants();
      return { log, events };
    };
    const fast = runOnce(false);
    const general = runOnce(true);
    expect(fast.log).toEqual(general.log);
    expect(general.events).toContain("ipc.transfer");
  });
});

describe("a refused endpoint call leaves every thread, queue and wake as it was", () => {
  /** Everything an endpoint operation can touch, as one comparable string. */
  function snapshot(threads: IpcThreads, ep: Endpoint, woken: readonly unknown[]): string {
    return JSON.stringify({
      mr: Array.from(threads.mr),
      state: Array.from(threads.state),
      links: [Array.from(threads.qNext), Array.from(threads.qPrev)],
      deadline: Array.from(threads.deadline, (d) => (d === Infinity ? "inf" : d)),
      badge: Array.from(threads.badge),
      replyCap: Array.from(threads.replyCap),
      longLen: Array.from(threads.longLen),
      replyGen: Array.from(threads.replyGen),
      replyHolder: Array.from(threads.replyHolder),
      send: [
        Array.from(threads.sendFlags),
        Array.from(threads.sendBadge),
        Array.from(threads.sendReplyTimeout, (d) => (d === Infinity ? "inf" : d)),
      ],
      items: [threads.outItems, threads.inItems],
      blockedOn: threads.blockedOn.map((b) => b?.name ?? null),
      queues: [ep.queuedSenders(), ep.queuedReceivers(), ep.pendingIrqs, ep.destroyed],
      woken,
    });
  }

  /** Thread 2 holds thread 1's reply capability, thread 0 waits to receive, thread 3 is idle with a message. */
  function busy() {
    const r = rig(5);
    r.ep.receive(2);
    r.put(1, 5, 11, 12);
    r.ep.call(1);
    r.ep.receive(0, 10);
    r.put(3, 6, 21, 22, 23);
    return { ...r, cap: r.threads.replyCap[2]! };
  }

  const thrown: Array<[string, (r: ReturnType<typeof busy>) => unknown, RegExp]> = [
    ["send by thread 9", (r) => r.ep.send(9), /send\(thread=9\).*0\.\.4/],
    ["call by thread −1", (r) => r.ep.call(-1), /call\(thread=-1\).*0\.\.4/],
    ["receive by thread 1.5", (r) => r.ep.receive(1.5), /receive\(thread=1\.5\).*0\.\.4/],
    ["reply by thread 99", (r) => r.ep.reply(99, r.cap), /reply\(thread=99\).*0\.\.4/],
    ["replyReceive by thread 99", (r) => r.ep.replyReceive(99, r.cap), /replyReceive\(thread=99\).*0\.\.4/],
    ["send with timeout −1 (a receiver waits)", (r) => r.ep.send(3, -1), /send\(thread=3, timeout=-1\).*≥ 0/],
    [
      "call with timeout NaN (a receiver waits)",
      (r) => r.ep.call(3, Number.NaN),
      /call\(thread=3, timeout=NaN\).*≥ 0/,
    ],
    ["receive with timeout −5", (r) => r.ep.receive(3, -5), /receive\(thread=3, timeout=-5\).*≥ 0/],
    ["precheck with timeout −1", (r) => r.ep.precheck(3, -1, 0), /precheck\(thread=3, timeout=-1\).*≥ 0/],
    [
      "call with reply timeout −1 (a receiver waits)",
      (r) => r.ep.call(3, FOREVER, 0, null, -1),
      /call\(thread=3, replyTimeout=-1\).*≥ 0/,
    ],
    [
      "call with reply timeout NaN (a receiver waits: not the fastpath)",
      (r) => r.ep.call(3, FOREVER, 0, null, Number.NaN),
      /call\(thread=3, replyTimeout=NaN\).*≥ 0/,
    ],
    [
      "replyReceive with timeout −1 (the reply must not go out)",
      (r) => r.ep.replyReceive(2, r.cap, -1),
      /replyReceive\(thread=2, timeout=-1\).*≥ 0/,
    ],
    ["send by a thread blocked in receive", (r) => r.ep.send(0), /send\(thread=0\).*blocked in endpoint/],
    [
      "reply by a thread waiting for its own reply",
      (r) => r.ep.reply(1, r.cap),
      /reply\(thread=1\).*blocked in reply/,
    ],
    [
      "replyReceive by a thread blocked in receive",
      (r) => r.ep.replyReceive(0, r.cap),
      /replyReceive\(thread=0\).*blocked in endpoint/,
    ],
  ];
  for (const [what, call, message] of thrown) {
    it(`${what}: a typed error naming the call, the value and the rule`, () => {
      const r = busy();
      const before = snapshot(r.threads, r.ep, r.woken);
      let err: unknown = null;
      try {
        call(r);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toMatch(/IpcArgumentError|IpcStateError/);
      expect((err as Error).message).toMatch(message);
      expect(snapshot(r.threads, r.ep, r.woken)).toBe(before);
      r.ep.checkInvariants();
      r.threads.checkInvariants();
    });
  }

  const statuses: Array<[string, (r: ReturnType<typeof busy>) => number, number]> = [
    [
      "a reply with a capability the thread does not hold",
      (r) => r.ep.reply(3, r.cap),
      IpcStatus.InvalidReplyCap,
    ],
    ["a reply with a forged capability", (r) => r.ep.reply(2, r.cap + (1 << 16)), IpcStatus.InvalidReplyCap],
    [
      "a send with 16 handles (a receiver waits)",
      (r) => r.ep.send(3, FOREVER, 0, new Array(16).fill({})),
      IpcStatus.TooLarge,
    ],
    [
      "a send with a long buffer over 2 KiB (a receiver waits)",
      (r) => {
        r.threads.mr[3 * MR_COUNT] = makeTag({ label: 1, words: 0, long: true });
        r.threads.longLen[3] = LONG_BUFFER_MAX + 1;
        const before = snapshot(r.threads, r.ep, r.woken);
        const st = r.ep.send(3);
        if (snapshot(r.threads, r.ep, r.woken) !== before) return -1;
        return st;
      },
      IpcStatus.TooLarge,
    ],
  ];
  for (const [what, call, want] of statuses) {
    it(`${what}: refused with a status, nothing moved`, () => {
      const r = busy();
      const before = snapshot(r.threads, r.ep, r.woken);
      const st = call(r);
      expect(st).toBe(want);
      if (!what.includes("long buffer")) expect(snapshot(r.threads, r.ep, r.woken)).toBe(before);
      r.ep.checkInvariants();
    });
  }
});
