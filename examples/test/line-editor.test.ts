// The host's line editing for an interactive terminal in raw mode (src/cli/line-editor.ts): what
// each key does to the line and what it echoes, checked key by key, and a property that any keys
// without control characters come back as the line typed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HostLineEditor } from "../src/cli/line-editor.js";

function editor(): { ed: HostLineEditor; echoed: () => string } {
  let echo = "";
  const ed = new HostLineEditor((s) => {
    echo += s;
  });
  return { ed, echoed: () => echo };
}

describe("HostLineEditor", () => {
  it("Enter ends a line (CR from a raw terminal, or LF), echoed as a newline", () => {
    const { ed, echoed } = editor();
    expect(ed.feed("ps\r")).toEqual([{ kind: "line", text: "ps" }]);
    expect(ed.feed("free\n")).toEqual([{ kind: "line", text: "free" }]);
    expect(echoed()).toBe("ps\nfree\n");
  });

  it("Backspace and DEL erase the last character (not past the start), ^U the whole line", () => {
    const { ed, echoed } = editor();
    expect(ed.feed("\x7fcax\x7ft\r")).toEqual([{ kind: "line", text: "cat" }]);
    expect(ed.feed("é\b!\r")).toEqual([{ kind: "line", text: "!" }]);
    expect(ed.feed("rm /bin/sh\x15ls\r")).toEqual([{ kind: "line", text: "ls" }]);
    expect(echoed()).toBe(`cax\b \bt\né\b \b!\nrm /bin/sh${"\b \b".repeat(10)}ls\n`);
  });

  it("^D is end of input with the line typed so far (nothing at the start of a line)", () => {
    const { ed, echoed } = editor();
    expect(ed.feed("\x04")).toEqual([{ kind: "eof", pending: "" }]);
    expect(ed.feed("abc\x04")).toEqual([{ kind: "eof", pending: "abc" }]);
    expect(ed.feed("\r")).toEqual([{ kind: "line", text: "" }]);
    expect(echoed()).toBe("abc\n");
  });

  it("^C drops the line and interrupts; escape sequences (arrows, F-keys) are ignored", () => {
    const { ed, echoed } = editor();
    expect(ed.feed("cat\x03")).toEqual([{ kind: "interrupt" }]);
    expect(ed.feed("p\x1b[A\x1b[1;5Cs\x1bOP\x1bx\r")).toEqual([{ kind: "line", text: "ps" }]);
    expect(echoed()).toBe("cat^C\nps\n");
  });

  it("^Z drops the line and suspends (the line discipline's SIGTSTP)", () => {
    const { ed, echoed } = editor();
    expect(ed.feed("wc\x1a")).toEqual([{ kind: "suspend" }]);
    expect(echoed()).toBe("wc^Z\n");
  });

  it("keys arriving in any chunks give the same lines", () => {
    const printable = fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "|", ">") });
    fc.assert(
      fc.property(fc.array(printable, { maxLength: 5 }), fc.array(fc.nat(40)), (lines, cuts) => {
        const keys = lines.map((l) => `${l}\r`).join("");
        const { ed } = editor();
        const got: unknown[] = [];
        let at = 0;
        for (const c of [...cuts.map((n) => Math.min(n, keys.length)).sort((x, y) => x - y), keys.length]) {
          got.push(...ed.feed(keys.slice(at, Math.max(at, c))));
          at = Math.max(at, c);
        }
        expect(got).toEqual(lines.map((text) => ({ kind: "line", text })));
      }),
      { numRuns: 100 },
    );
  });
});
