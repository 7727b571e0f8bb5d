import { describe, it } from "vitest";
import { SlotHandleTable } from "../src/index.js";
import { handleTableLaws } from "../src/laws/index.js";

describe("SlotHandleTable passes the handle-table laws", () => {
  for (const law of handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity }))) {
    it(law.name, () => law.check());
  }
});
