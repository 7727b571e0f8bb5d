import { describe, expect, it } from "vitest";
import { LifeCycleError, type LifeEvent, type LifeState, lifeTransition } from "../src/index.js";

describe("lifeTransition: every legal move, and only those", () => {
  const table: [LifeState, LifeEvent, LifeState | null][] = [
    ["alive", "kill", "dead"],
    ["alive", "reap", null],
    ["dead", "kill", null],
    ["dead", "reap", "destroyed"],
    ["destroyed", "kill", null],
    ["destroyed", "reap", null],
  ];
  for (const [from, event, to] of table) {
    it(`${from} --${event}--> ${to ?? "refused"}`, () => {
      if (to === null) {
        expect(() => lifeTransition(from, event, "koid 7")).toThrow(LifeCycleError);
        expect(() => lifeTransition(from, event, "koid 7")).toThrow(
          `koid 7: cannot ${event} an object that is ${from}`,
        );
      } else expect(lifeTransition(from, event, "koid 7")).toBe(to);
    });
  }
});
