// A shell grinder: random command lines — real programs, pipelines, redirections, inspectors with
// good and bad arguments, nonsense — typed into a booted system. Whatever is typed, the kernel
// never throws, the shell keeps answering, `exit` halts the machine, and nothing leaks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LunaixSystem } from "../src/lunaix/boot.js";
import { parseCommandLine } from "../src/lunaix/programs/sh.js";

/** Whether `text` starts a program that reads the console (a bare cat, wc or upper): like a real terminal, it would take the lines typed after it. */
function readsConsole(text: string): boolean {
  const p = parseCommandLine(text.trim());
  if (typeof p === "string") return false;
  const first = p.stages[0]!;
  return (
    ["/bin/cat", "/bin/wc", "/bin/upper"].includes(first.path) && first.argv.length === 1 && p.input === null
  );
}

const word = fc.constantFrom(
  "a",
  "hello",
  "/tmp/x",
  "/bin",
  "/dev/null",
  "0x400000",
  "-1",
  "99",
  "1",
  "3",
  "|",
  ">",
  "<",
);
const line = fc
  .oneof(
    fc.constantFrom(
      "ls /bin",
      "ls /nope",
      "echo one two | wc",
      "echo hi > /tmp/x",
      "cat /tmp/x",
      "cat /tmp/x | upper | upper | wc",
      "mkdir /tmp/d",
      "rm /tmp/x",
      "rm /tmp/d",
      "forkcow",
      "crash",
      "ps",
      "free",
      "buddyinfo",
      "sched",
      "cat /dev/null",
      "echo > /bin",
      "| wc",
      "wc < /tmp/x",
      "ps > /tmp/ps",
      "ps | wc",
      "kill 999",
      "kill -0 1",
      "kill -l",
      "",
      "# comment",
    ),
    fc
      .tuple(
        fc.constantFrom("vmrs", "pte", "handles", "echo", "cat", "wc", "nosuch", "mkdir", "kill -0"),
        fc.array(word, { maxLength: 3 }),
      )
      .map(([c, args]) => [c, ...args].join(" ")),
    fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n$]/g, " ")), // "$" would fake a prompt
  )
  .filter((l) => !readsConsole(l));

describe("shell grinder", () => {
  it("any command lines: no kernel exception, the shell answers each, exit halts, no leaks", () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (lines, cpus) => {
          let out = "";
          const sys = LunaixSystem.boot({
            output: (t) => {
              out += t;
            },
            cpus,
            mem: 8 * 2 ** 20,
          });
          const why = sys.runScript([...lines, "exit"]);
          expect(why).toBe("halted");
          // A prompt before each line typed (exit included): the shell read every line.
          expect(out.split("\n").filter((l) => l.startsWith("$ ")).length).toBe(lines.length + 1);
          expect(out).toContain("init: shell exited (exited 0)");
          expect(sys.summary().leaks).toEqual([]);
          sys.kernel.checkInvariants();
        },
      ),
      { numRuns: 40 },
    );
  });
});
