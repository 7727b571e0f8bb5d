// IXON output flow control through the whole machine: ^S typed at the shell's prompt stops the
// console's output; a program that writes more than the transmit buffer holds (TX_BUFFER_BYTES)
// waits in write(2) — the machine is then idle waiting for the host, not hung — and ^Q lets the
// held output and the rest of the write go out, nothing lost (Linux's n_tty_write waits on
// write_wait while the driver's buffer is full; stop_tty/start_tty).
import { describe, expect, it } from "vitest";
import { TX_BUFFER_BYTES } from "../src/lunaix/serial.js";
import { bootCaptured } from "./session.js";

describe("IXON flow control on the running machine", () => {
  it("a writer to a stopped console waits once its buffer is full, and ^Q lets everything out in order", () => {
    const { sys, text } = bootCaptured();
    expect(sys.runUntilIdle()).toBe("input");
    const line = "x".repeat(999);
    sys.type(`echo ${line} > /big`);
    expect(sys.runUntilIdle()).toBe("input");
    const copies = Math.ceil((2 * TX_BUFFER_BYTES) / 1000); // well past the buffer
    const before = text().length;
    sys.console.hostInput("\x13"); // ^S
    sys.type(`cat${" /big".repeat(copies)}`);
    expect(sys.runUntilIdle()).toBe("input"); // idle: cat waits for room, the host may type ^Q
    expect(sys.console.writerWaiting).toBe(true);
    expect(sys.console.heldBytes).toBeLessThanOrEqual(TX_BUFFER_BYTES + 200); // + the echo of the command
    sys.console.flush();
    expect(text().length).toBe(before); // nothing shown while stopped
    sys.console.hostInput("\x11"); // ^Q
    expect(sys.runUntilIdle()).toBe("input"); // cat finished, the prompt is back
    expect(sys.console.writerWaiting).toBe(false);
    const shown = text().slice(before);
    expect(shown.split(`${line}\n`).length - 1).toBe(copies); // every byte, none lost
    expect(shown.endsWith("$ ")).toBe(true);
  });
});
