// The handle-table laws are tested too: a naive array table (test/array-table.ts) passes them all,
// and each bug planted in it is rejected by the law written for that bug, with that law's own
// complaint (not merely "something threw"). A suite that passed one of these would pass a wrong lab.
import { describe, expect, it } from "vitest";
import { KernelObject, ObjectSpace, Right } from "../src/index.js";
import { handleTableLaws, type Law, runHandleTableLaws } from "../src/laws/index.js";
import { ArrayTable, type Bugs } from "./array-table.js";
import { expectRejected, law } from "./law-rejection.js";

const lawsFor = (bugs: Bugs = {}): Law[] =>
  handleTableLaws((space, capacity) => new ArrayTable(space, capacity, bugs), { seed: 20261122 });

describe("a correct array table passes every handle-table law", () => {
  for (const l of lawsFor()) it(l.name, () => l.check());
});

describe("each planted bug is rejected by the law written for it", () => {
  it("values reused at once (no generations): a closed handle resolves again", () => {
    const laws = lawsFor({ reuseValues: true });
    expectRejected(law(laws, "closed handle never resolves"), /closed handle 0x[0-9a-f]+ resolves again/);
    expectRejected(
      law(laws, "model:"),
      /issued twice|closed handle 0x[0-9a-f]+(:? resolves|: reason not-open)/,
    );
  });

  it("a closed value reported not-open instead of stale", () => {
    expectRejected(
      law(lawsFor({ closedNotStale: true }), "closed handle never resolves"),
      /reason not-open, expected stale/,
    );
  });

  it("derivations that grant a mask beyond the held rights (duplicate widens)", () => {
    expectRejected(law(lawsFor({ widen: true }), "no operation amplifies"), /amplification gave ok/);
  });

  it("derivations that silently trim the mask instead of refusing it", () => {
    expectRejected(law(lawsFor({ trimMask: true }), "no operation amplifies"), /amplification gave ok/);
  });

  it("a move that leaves a copy in the source", () => {
    const laws = lawsFor({ moveLeavesCopy: true });
    expectRejected(law(laws, "moving into a full table"), /moveTo left a copy in the source/);
    expectRejected(law(laws, "model:"), /lists \d+ handles \(size \d+\), model has \d+/);
  });

  it("a move refused for a full table that still closes the source handle", () => {
    expectRejected(
      law(lawsFor({ fullMoveLosesHandle: true }), "moving into a full table"),
      /moveTo into a full table changed state/,
    );
  });

  it("a revoke that reaches only the direct derivations", () => {
    expectRejected(
      law(lawsFor({ shallowRevoke: true }), "after revoke"),
      /revoke closed \d+, \d+ were derived|derived from the revoked one still resolves/,
    );
  });

  it("a lookup that does not check the rights", () => {
    expectRejected(
      law(lawsFor({ lookupIgnoresRights: true }), "a created handle resolves"),
      /lookup: ok with held 0x[0-9a-f]+/,
    );
  });

  it("a replace that always answers table-full", () => {
    expectRejected(
      law(lawsFor({ replaceAlwaysFull: true }), "model:"),
      /replace\(.*got table-full, expected ok/,
    );
  });

  it("operations that find a stale value's slot by its index (close, revoke, derive the new occupant)", () => {
    const laws = lawsFor({ operationsIgnoreGeneration: true });
    expectRejected(
      law(laws, "refused calls"),
      /call \d+ on a stale handle: got [a-z-]+, expected bad-handle/,
    );
    expectRejected(law(laws, "model:"), /\(t\d+, stale 0x[0-9a-f]+\): got [a-z-]+, expected bad-handle/);
  });

  it("a dispose that detaches the table without closing its handles", () => {
    expectRejected(
      law(lawsFor({ disposeKeepsHandles: true }), "dispose closes every handle"),
      /its last handle was disposed, but it is alive|counts \d+ handles, the tables hold \d+/,
    );
  });

  it("derivations that skip the right the operation itself needs (share without TRANSFER)", () => {
    expectRejected(
      law(lawsFor({ skipOperationRight: true }), "model:"),
      /(duplicate|moveTo|share|split)\(.*got ok, expected access-denied/,
    );
  });

  it("a split that leaves the kept handle all its rights", () => {
    expectRejected(
      law(lawsFor({ splitKeepsRights: true }), "model:"),
      /rights 0x[0-9a-f]+, model 0x[0-9a-f]+/,
    );
  });

  it("a duplicate recorded as a new root, out of reach of revoke", () => {
    const laws = lawsFor({ duplicateAsRoot: true });
    expectRejected(law(laws, "after revoke"), /revoke closed \d+, \d+ were derived|still resolves/);
    expectRejected(law(laws, "model:"), /revoke: closed \d+, model expects \d+/);
  });

  it("a close that does not release the object's handle count", () => {
    expectRejected(
      law(lawsFor({ closeKeepsCount: true }), "model:"),
      /counts \d+ handles, the tables hold \d+/,
    );
  });

  it("a table that never registers with its machine: refused as 'disposed or never registered', and the model law fails", () => {
    const laws = lawsFor({ neverRegisters: true });
    expectRejected(
      law(laws, "model:"),
      /is disposed or was never registered|counts \d+ handles, the tables hold \d+/,
    );
    const space = new ObjectSpace();
    const type = space.defineType({ name: "port" });
    const from = new ArrayTable(space, 4);
    const to = new ArrayTable(space, 4, { neverRegisters: true });
    const made = from.create(new KernelObject(space, type), Right.TRANSFER);
    if (made.kind !== "ok") throw new Error(`create: ${made.kind}`);
    expect(() => from.moveTo(made.handle, to)).toThrow(
      /table \d+: moveTo: table 7 is disposed or was never registered \(a table calls space.registerTable\(this\) when it is built\)/,
    );
  });
});

describe("runHandleTableLaws", () => {
  it("names the law that failed, with the law's complaint as the cause", () => {
    let thrown: unknown = null;
    try {
      runHandleTableLaws((space, capacity) => new ArrayTable(space, capacity, { closedNotStale: true }), {
        seed: 20261122,
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/^law ".+" violated:\n/);
    expect(String((thrown as Error).cause)).toMatch(/\S/);
  });
});
