import { describe, it } from "vitest";
import { MapHandleTable, type ObjectSpace, SimulatedWaitHost, SlotHandleTable } from "../src/index.js";
import { handleTableLaws, waitLaws } from "../src/laws/index.js";

describe("SlotHandleTable passes the handle-table laws", () => {
  for (const law of handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity }))) {
    it(law.name, () => law.check());
  }
});

describe("MapHandleTable passes the handle-table laws", () => {
  for (const law of handleTableLaws((space, capacity) => new MapHandleTable(space, { capacity }))) {
    it(law.name, () => law.check());
  }
});

describe("mixed machines: Slot and Map tables side by side pass the laws together", () => {
  let n = 0;
  const mixed = (space: ObjectSpace, capacity: number) =>
    n++ % 2 === 0 ? new SlotHandleTable(space, { capacity }) : new MapHandleTable(space, { capacity });
  for (const law of handleTableLaws(mixed)) {
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
