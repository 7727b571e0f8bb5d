// What the boot command printed: the CLI tests call bootMain in-process and read its stdout and
// stderr from here (both are captured afresh before each test and restored after it).
import { afterEach, beforeEach, vi } from "vitest";

/** The text written to stdout and stderr since the current test began. */
export interface Captured {
  out: string;
  err: string;
}

/** Capture stdout and stderr around every test of the calling file. */
export function captureStdio(): Captured {
  const captured: Captured = { out: "", err: "" };
  beforeEach(() => {
    captured.out = "";
    captured.err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      captured.out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      captured.err += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return captured;
}
