import { describe, it } from "vitest";
import { SimulatedWaitHost, SlotHandleTable } from "../src/index.js";
import { handleTableLaws, waitLaws } from "../src/laws/index.js";

describe("SlotHandleTable passes the handle-table laws", () => {
  for (const law of handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity }))) {
    it(law.name, () => law.check());
  }
});

describe("SimulatedWaitHost with objectWait passes the wait laws", () => {
  for (const law of waitLaws(() => {
    const host = new SimulatedWaitHost();
    return { host, advanceTo: (t) => host.advanceTo(t) };
  })) {
    it(law.name, () => law.check());
  }
});
