import { bench, describe } from "vitest";
import { Right } from "../src/index.js";
import { buildWorkload } from "./workload.js";

const OPS = 100_000;
const w = buildWorkload(OPS);
const m = buildWorkload(OPS, "map");

describe("handle lookup with rights check (100k lookups per iteration)", () => {
  bench("SlotHandleTable.lookup(h, null, rights)", () => {
    let ok = 0;
    for (let i = 0; i < OPS; i++)
      if (w.table.lookup(w.queryHandle[i]!, null, w.queryRights[i]!).kind === "ok") ok++;
    if (ok === 0) throw new Error("no lookup succeeded");
  });
  bench("MapHandleTable.lookup(h, null, rights)", () => {
    let ok = 0;
    for (let i = 0; i < OPS; i++)
      if (m.table.lookup(m.queryHandle[i]!, null, m.queryRights[i]!).kind === "ok") ok++;
    if (ok === 0) throw new Error("no lookup succeeded");
  });
  bench("SlotHandleTable.lookup(h, type, READ) typed", () => {
    let ok = 0;
    for (let i = 0; i < OPS; i++)
      if (w.table.lookup(w.queryHandle[i]!, w.channel, Right.READ).kind === "ok") ok++;
    if (ok === 0) throw new Error("no lookup succeeded");
  });
});
