import { describe, it } from "vitest";
import { Futex, Notification } from "../src/index.js";
import { futexLaws, notificationLaws } from "../src/laws/index.js";

describe("Notification passes the notification laws", () => {
  for (const law of notificationLaws((threads) => new Notification(threads), { numRuns: 80 }))
    it(law.name, () => law.check());
});

describe("Futex passes the futex laws", () => {
  for (const law of futexLaws((threads, memory) => new Futex(threads, memory), { numRuns: 80 }))
    it(law.name, () => law.check());
});
