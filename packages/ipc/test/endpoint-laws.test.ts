import { describe, it } from "vitest";
import { Endpoint } from "../src/index.js";
import { endpointLaws } from "../src/laws/index.js";

describe("Endpoint passes the endpoint laws", () => {
  for (const law of endpointLaws((threads, order) => new Endpoint(threads, { order }), { numRuns: 150 })) {
    it(law.name, () => law.check());
  }
});
