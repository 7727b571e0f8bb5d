// channel-demo (examples/src/jsix/programs/channel-demo.ts) on the jsix-like kernel: booted as the
// first process of a kernel whose boot image is the jsix initrd plus the demo, it streams 64
// messages between two processes through the user-space channel; its log lines state the facts.
import { Kernel } from "@osbricks/kernel";
import { BuddyAllocator } from "@osbricks/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsixPrograms } from "../src/jsix/kernel.js";
import { type JsixState, jsixPersonality } from "../src/jsix/personality.js";
import { CHANNEL_DEMO_MESSAGES, demoLength } from "../src/jsix/programs/channel-demo.js";
import { INITRD } from "../src/jsix/programs/protocol.js";
import { POLICIES, TICK } from "../src/lunaix/kernel.js";

function runDemo(
  seed: number,
  cpus: number,
  policy = "rr",
): { log: string[]; outcome: string; crashes: string[]; leaks: readonly string[] } {
  let state: JsixState | null = null;
  const k = new Kernel({
    programs: jsixPrograms(), // the boot image, channel-demo its entry 8
    cpus,
    allocator: ({ frames }) => new BuddyAllocator({ frames }),
    policy: (cpu) => (POLICIES[policy] as NonNullable<(typeof POLICIES)[string]>)(cpu, seed),
    personality: jsixPersonality({ programs: INITRD, serial: () => {} }, (s) => {
      state = s;
    }),
    tick: TICK,
    seed,
  });
  k.boot("channel-demo");
  const r = k.run({ maxSteps: 5_000_000 });
  const s = state as JsixState | null;
  s?.checkInvariants(); // no object without a holder, no VMA mapped in a dead space
  return {
    log: s === null ? [] : [...s.system.log],
    outcome: r.outcome,
    crashes: k.crashes.map((c) => c.message),
    leaks: r.outcome === "all-exited" ? k.resourceLeaks() : [],
  };
}

const TOTAL_BYTES = Array.from({ length: CHANNEL_DEMO_MESSAGES }, (_, j) => demoLength(j)).reduce(
  (a, b) => a + b,
  0,
);

/** The numbers of the demo's three lines. */
function facts(log: readonly string[]) {
  const consumer = log
    .map((l) =>
      /consumer: received (\d+) messages, (\d+) bytes, every byte right; checksum (0x[0-9a-f]+)/.exec(l),
    )
    .find((m) => m !== null);
  const producer = log
    .map((l) =>
      /producer: sent (\d+) messages, (\d+) bytes, checksum (0x[0-9a-f]+); the consumer's report matches/.exec(
        l,
      ),
    )
    .find((m) => m !== null);
  const stats = log
    .map((l) =>
      /data VMA: (\d+) messages, writer blocked on full (\d+) times, reader blocked on empty (\d+) times, (\d+) futex waits, (\d+) futex wakes/.exec(
        l,
      ),
    )
    .find((m) => m !== null);
  return { consumer, producer, stats };
}

describe("channel-demo on the jsix-like kernel", () => {
  for (const [seed, cpus] of [
    [1, 1],
    [1, 2],
    [7, 2],
    [3, 3],
  ] as const)
    it(`seed ${seed}, ${cpus} CPU(s): every message arrives byte for byte, and both sides block`, () => {
      const r = runDemo(seed, cpus);
      expect(r.crashes).toEqual([]);
      expect(r.outcome).toBe("all-exited");
      expect(r.leaks).toEqual([]); // both VMAs, both processes, every frame given back
      const { consumer, producer, stats } = facts(r.log);
      expect(consumer?.slice(1, 3)).toEqual([String(CHANNEL_DEMO_MESSAGES), String(TOTAL_BYTES)]);
      expect(producer?.slice(1, 3)).toEqual([String(CHANNEL_DEMO_MESSAGES), String(TOTAL_BYTES)]);
      expect(consumer?.[3]).toBe(producer?.[3]); // the same checksum on both sides
      const [messages, writerWaits, readerWaits, futexWaits, futexWakes] = (stats?.slice(1) ?? []).map(
        Number,
      );
      expect(messages).toBe(CHANNEL_DEMO_MESSAGES);
      expect(writerWaits).toBeGreaterThan(0); // phase 2: the slow reader lets the buffer fill
      expect(readerWaits).toBeGreaterThan(0); // phase 1: the slow writer leaves it empty
      // Every wait on the condition is a futex wait; mutex sleeps come on top.
      expect(futexWaits).toBeGreaterThanOrEqual((writerWaits as number) + (readerWaits as number));
      expect(futexWakes).toBeGreaterThan(0);
    });

  it("any seed, CPUs and scheduling policy: whole messages, byte for byte, the same checksum on both sides", () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(...Object.keys(POLICIES)),
        (seed, cpus, policy) => {
          const r = runDemo(seed, cpus, policy);
          expect(r.crashes).toEqual([]);
          expect(r.outcome).toBe("all-exited");
          const { consumer, producer, stats } = facts(r.log);
          expect(consumer?.slice(1, 3)).toEqual([String(CHANNEL_DEMO_MESSAGES), String(TOTAL_BYTES)]);
          expect(producer?.[3]).toBe(consumer?.[3]);
          expect(stats?.[1]).toBe(String(CHANNEL_DEMO_MESSAGES));
        },
      ),
      { numRuns: 50 },
    );
  }, 60_000);

  it("the run is deterministic: the same seed gives the same log", () => {
    expect(runDemo(5, 2).log).toEqual(runDemo(5, 2).log);
  });
});
