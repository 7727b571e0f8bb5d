import { Mmu, PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, PROT_READ, PROT_WRITE, VmSystem } from "@osbricks/vm";
import { describe, expect, it } from "vitest";
import { Futex, futexKey, IpcArgumentError, IpcStatus, IpcThreads, NO_WAIT } from "../src/index.js";

function rig(n = 6) {
  const woken: Array<[number, number]> = [];
  const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => woken.push([t, s]) } });
  const mem = new PhysicalMemory({ size: 1 << 20 });
  return { threads, woken, mem, futex: new Futex(threads, mem) };
}

describe("Futex", () => {
  it("the TSDoc example: wait while the word holds the value, wake one", () => {
    const { woken, mem, futex } = rig();
    mem.write32(0x1000, 2);
    expect(futex.wait(0, 0x1000, 2)).toBe(IpcStatus.Blocked);
    expect(futex.wake(0x1000, 1)).toBe(1);
    expect(woken).toEqual([[0, IpcStatus.Ok]]);
    expect(futex.waiters(0x1000)).toBe(0);
  });

  it("returns ValueMismatch at once when the word changed (no lost wake-up window)", () => {
    const { mem, futex } = rig();
    mem.write32(0x1000, 1);
    expect(futex.wait(0, 0x1000, 0)).toBe(IpcStatus.ValueMismatch);
    expect(futex.wait(0, 0x1000, 1, NO_WAIT)).toBe(IpcStatus.WouldBlock);
    mem.write32(0x1000, 0xffff_ffff);
    expect(futex.wait(0, 0x1000, -1)).toBe(IpcStatus.Blocked);
  });

  it("wakes at most n, oldest first, and only on the same physical address", () => {
    const { woken, futex } = rig();
    for (const t of [3, 1, 4]) futex.wait(t, 0x2000, 0);
    futex.wait(5, 0x3000, 0);
    expect(futex.wake(0x2000, 2)).toBe(2);
    expect(woken).toEqual([
      [3, IpcStatus.Ok],
      [1, IpcStatus.Ok],
    ]);
    expect(futex.wake(0x2000, 10)).toBe(1);
    expect(futex.waiters(0x3000)).toBe(1);
    futex.checkInvariants();
  });

  it("keys by physical address: two processes mapping one frame at different virtual addresses share a futex", () => {
    // Process A maps frame 0x42 at VA 0x7000_0000, process B at 0x1000; the kernel translates
    // both to PA 0x42_000 + offset before calling in.
    const { woken, mem, futex } = rig();
    const pa = 0x42 * 4096 + 0x10;
    mem.write32(pa, 7);
    expect(futex.wait(0, pa, 7)).toBe(IpcStatus.Blocked);
    expect(futex.wake(pa, 1)).toBe(1);
    expect(woken).toEqual([[0, IpcStatus.Ok]]);
  });

  it("a wake-up that makes another thread wait on another word does not wake it too (emptied lists are reused)", () => {
    // The waker runs inside wake(): here it makes thread 2 wait on another word at once, which
    // takes the list that 0x1000's queue just left. wake(0x1000, 5) must stop at its one waiter.
    const woken: number[] = [];
    let futex: Futex | undefined;
    const threads = new IpcThreads({
      maxThreads: 4,
      waker: {
        wake: (t) => {
          woken.push(t);
          if (t === 1) futex!.wait(2, 0x2000, 0);
        },
      },
    });
    futex = new Futex(threads, new PhysicalMemory({ size: 1 << 20 }));
    futex.wait(1, 0x1000, 0);
    expect(futex.wake(0x1000, 5)).toBe(1);
    expect(woken).toEqual([1]);
    expect(futex.waiters(0x2000)).toBe(1);
    futex.checkInvariants();
    expect(futex.wake(0x2000, 1)).toBe(1);
    expect(woken).toEqual([1, 2]);
    futex.checkInvariants();
  });

  it("requeue wakes some and moves the rest to another word without waking them", () => {
    const { woken, futex } = rig();
    for (const t of [0, 1, 2, 3]) futex.wait(t, 0x100, 0);
    expect(futex.requeue(0x100, 0x200, 1, 2)).toEqual({ woken: 1, moved: 2 });
    expect(woken).toEqual([[0, IpcStatus.Ok]]);
    expect(futex.waiters(0x100)).toBe(1);
    expect(futex.waiters(0x200)).toBe(2);
    expect(futex.wake(0x200, 5)).toBe(2);
    expect(woken.map(([t]) => t)).toEqual([0, 1, 2]);
    futex.checkInvariants();
  });

  it("times out and cancels, leaving no empty queue behind", () => {
    const { threads, woken, futex } = rig();
    futex.wait(0, 0x100, 0, 5);
    futex.wait(1, 0x100, 0);
    threads.advanceTo(5);
    threads.cancel(1);
    expect(woken).toEqual([
      [0, IpcStatus.TimedOut],
      [1, IpcStatus.Cancelled],
    ]);
    expect(futex.waiters(0x100)).toBe(0);
    futex.checkInvariants();
  });

  it("rejects unaligned addresses and negative counts", () => {
    const { futex } = rig();
    expect(() => futex.wait(0, 0x1002, 0)).toThrow(IpcArgumentError);
    expect(() => futex.wake(0x1000, -1)).toThrow(IpcArgumentError);
  });
});

describe("Futex.cmpRequeue (Linux FUTEX_CMP_REQUEUE)", () => {
  it("the TSDoc example: a stale expected value moves nobody; the current one wakes 1 and moves the rest", () => {
    const { woken, mem, futex } = rig();
    mem.write32(0x1000, 7);
    for (const t of [0, 1, 2]) futex.wait(t, 0x1000, 7);
    expect(futex.cmpRequeue(0x1000, 0x2000, 1, 10, 6)).toEqual({
      status: IpcStatus.ValueMismatch,
      woken: 0,
      moved: 0,
    });
    expect([futex.waiters(0x1000), futex.waiters(0x2000), woken.length]).toEqual([3, 0, 0]);
    expect(futex.cmpRequeue(0x1000, 0x2000, 1, 10, 7)).toEqual({ status: IpcStatus.Ok, woken: 1, moved: 2 });
    expect(woken).toEqual([[0, IpcStatus.Ok]]);
    expect([futex.waiters(0x1000), futex.waiters(0x2000)]).toEqual([0, 2]);
    // The moved waiters now belong to 0x2000: a wake there reaches them in their old order.
    expect(futex.wake(0x2000, 2)).toBe(2);
    expect(woken.slice(1)).toEqual([
      [1, IpcStatus.Ok],
      [2, IpcStatus.Ok],
    ]);
    futex.checkInvariants();
  });

  it("compares whole unsigned words, as wait does: −1 is 0xFFFFFFFF, 0x100 is not 0", () => {
    const { mem, futex } = rig();
    mem.write32(0x1000, 0xffff_ffff);
    futex.wait(0, 0x1000, -1);
    expect(futex.cmpRequeue(0x1000, 0x2000, 0, 1, -1).moved).toBe(1);
    mem.write32(0x3000, 0x100);
    futex.wait(1, 0x3000, 0x100);
    expect(futex.cmpRequeue(0x3000, 0x2000, 1, 1, 0).status).toBe(IpcStatus.ValueMismatch);
    expect(futex.waiters(0x3000)).toBe(1);
  });

  it("a moved waiter that times out leaves the queue it was moved to", () => {
    const { threads, woken, futex } = rig();
    futex.wait(0, 0x1000, 0, 5);
    futex.wait(1, 0x1000, 0);
    expect(futex.cmpRequeue(0x1000, 0x2000, 0, 2, 0)).toEqual({ status: IpcStatus.Ok, woken: 0, moved: 2 });
    threads.advanceTo(5);
    expect(woken).toEqual([[0, IpcStatus.TimedOut]]);
    expect([futex.waiters(0x1000), futex.waiters(0x2000)]).toEqual([0, 1]);
    futex.checkInvariants();
    threads.checkInvariants();
  });
});

describe("futexKey (virtual → physical through vm's address spaces)", () => {
  it("two processes mapping one shared object at different addresses share a futex; private words do not", () => {
    const memory = new PhysicalMemory({ size: 1024 * 4096 });
    const frames = new BuddyAllocator({ frames: 1024 });
    frames.reserve(0, 1);
    const vm = new VmSystem({ memory, frames });
    const mmu = new Mmu({ memory });
    const a = vm.createSpace();
    const b = vm.createSpace();
    const shared = a.map({
      length: 4096,
      prot: PROT_READ | PROT_WRITE,
      sharing: "shared",
      placement: { kind: "fixed", va: 0x7000_0000 },
    });
    if (shared.kind !== "mapped" || shared.area.object === null) throw new Error("map");
    const inB = b.map({
      length: 4096,
      prot: PROT_READ | PROT_WRITE,
      sharing: "shared",
      object: shared.area.object,
      placement: { kind: "fixed", va: 0x1_0000 },
    });
    expect(inB.kind).toBe("mapped");
    const ka = futexKey(a, mmu, 0x7000_0010);
    const kb = futexKey(b, mmu, 0x1_0010);
    expect(typeof ka).toBe("number");
    expect(ka).toBe(kb);
    // A private page at the same virtual address in a third space is another word.
    const c = vm.createSpace();
    c.map({ length: 4096, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: 0x7000_0000 } });
    const kc = futexKey(c, mmu, 0x7000_0010);
    expect(typeof kc).toBe("number");
    expect(kc).not.toBe(ka);
    // Wait through A's address, wake through B's.
    const woken: number[] = [];
    const threads = new IpcThreads({ maxThreads: 2, waker: { wake: (t) => woken.push(t) } });
    const futex = new Futex(threads, memory);
    expect(futex.wait(0, ka as number, 0)).toBe(IpcStatus.Blocked);
    expect(futex.wake(kb as number, 1)).toBe(1);
    expect(woken).toEqual([0]);
    // An unmapped address is a fault, not a key.
    expect(typeof futexKey(a, mmu, 0x5000_0000)).toBe("object");
    expect(() => futexKey(a, mmu, 0x7000_0002)).toThrow(IpcArgumentError);
  });
});

describe("a refused futex call names itself and changes nothing", () => {
  const bad: Array<[string, (f: Futex) => unknown, RegExp]> = [
    ["requeue from a misaligned word", (f) => f.requeue(0x102, 0x200, 1, 1), /requeue\(pa=258\).*aligned/],
    [
      "requeue with a negative wake count",
      (f) => f.requeue(0x100, 0x200, -1, 1),
      /requeue\(.*wakeCount=-1\).*≥ 0/,
    ],
    ["requeue to a misaligned word", (f) => f.requeue(0x100, 0x201, 1, 1), /requeue\(pa=513\).*aligned/],
    [
      "requeue with a fractional move count",
      (f) => f.requeue(0x100, 0x200, 1, 0.5),
      /requeue\(.*moveCount=0\.5\).*≥ 0/,
    ],
    ["wake with count −1", (f) => f.wake(0x100, -1), /wake\(pa=0x100, count=-1\).*≥ 0/],
    [
      "cmpRequeue with a negative move count",
      (f) => f.cmpRequeue(0x100, 0x200, 1, -1, 0),
      /cmpRequeue\(moveCount=-1\).*≥ 0/,
    ],
    [
      "cmpRequeue from a misaligned word",
      (f) => f.cmpRequeue(0x101, 0x200, 1, 1, 0),
      /cmpRequeue\(pa=257\).*aligned/,
    ],
    [
      "cmpRequeue with an expected value that is no 32-bit word",
      (f) => f.cmpRequeue(0x100, 0x200, 1, 1, -(2 ** 31) - 1),
      /cmpRequeue\(from=0x100, expected=-2147483649\).*32-bit word/,
    ],
    ["wait with timeout −1", (f) => f.wait(3, 0x100, 0, -1), /wait\(thread=3, timeout=-1\).*≥ 0/],
    // The word would match after `>>> 0` (0.5 → 0, 2^32 → 0): a value that is no 32-bit word
    // used to block the thread instead of being refused.
    [
      "wait with a fractional expected value",
      (f) => f.wait(3, 0x100, 0.5),
      /wait\(thread=3, pa=0x100, expected=0\.5\).*32-bit word/,
    ],
    [
      "wait with an expected value beyond 32 bits",
      (f) => f.wait(3, 0x100, 2 ** 32),
      /wait\(thread=3, pa=0x100, expected=4294967296\).*32-bit word/,
    ],
  ];
  for (const [what, call, message] of bad) {
    it(what, () => {
      const { futex, woken, threads } = rig();
      for (const t of [0, 1, 2]) futex.wait(t, 0x100, 0);
      const state = () =>
        JSON.stringify([futex.waiters(0x100), futex.waiters(0x200), woken, Array.from(threads.state)]);
      const before = state();
      expect(() => call(futex)).toThrow(IpcArgumentError);
      expect(() => call(futex)).toThrow(message);
      expect(state()).toBe(before);
      futex.checkInvariants();
    });
  }
});
