// The Lunaix kernel's smaller parts: the serial line discipline, the machine's memory map, the
// shell's parser, and the inspectors' answers to bad arguments.
import { applyModes, Cc, LocalMode, TcsaAction, Termios } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LunaixSystem } from "../src/lunaix/boot.js";
import { inspect } from "../src/lunaix/inspect.js";
import { LineSink } from "../src/lunaix/line-sink.js";
import { MachineConfigError, makeMachine } from "../src/lunaix/machine.js";
import { parseCommandLine } from "../src/lunaix/programs/sh.js";
import { SerialConsole } from "../src/lunaix/serial.js";

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

describe("SerialConsole", () => {
  it("delivers a line longer than the 16-byte FIFO whole, without overrun", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    const line = "pte 1 0x7ffffffff000 and then some more words";
    tty.hostInput(`${line}\n`);
    expect(text(tty.read(200))).toBe(`${line}\n`);
    expect(tty.uart.rxCount).toBe(0); // the interrupt handler drained every burst
    tty.uart.checkInvariants();
  });

  it("canonical mode: one line per read, null until a line is complete, EOF after hangup", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tty.hostInput("ab");
    expect(tty.read(10)).toBeNull();
    tty.hostInput("c\nxy\n");
    expect(text(tty.read(10))).toBe("abc\n");
    expect(text(tty.read(1))).toBe("x");
    expect(text(tty.read(10))).toBe("y\n");
    expect(tty.read(10)).toBeNull();
    tty.hangup();
    expect(text(tty.read(10))).toBe("");
  });

  it("^D ends the read in progress: the bytes so far without a newline, or end of file once", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    tty.hostInput("\x04");
    expect(woken).toBe(1); // a reader parked on the line wakes to its end of file
    expect(text(tty.read(10))).toBe("");
    expect(tty.read(10)).toBeNull(); // once: the next read waits again, as on a terminal
    tty.hostInput("ab\x04cd\n");
    expect(text(tty.read(10))).toBe("ab");
    expect(text(tty.read(10))).toBe("cd\n");
  });

  it("a read of 0 bytes returns 0 at once and consumes nothing: no line yet, a pending line, a pending ^D", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    expect(text(tty.read(0))).toBe(""); // was null: read(fd, buf, 0) on the console blocked
    tty.hostInput("ab\n\x04");
    expect(text(tty.read(0))).toBe("");
    expect(text(tty.read(10))).toBe("ab\n");
    expect(text(tty.read(0))).toBe(""); // the end of file stays for the next real read
    expect(text(tty.read(10))).toBe("");
    expect(tty.read(10)).toBeNull();
  });

  it("wakes parked readers when a line completes, and echoes it", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    tty.hostInput("half");
    expect(woken).toBe(0);
    tty.hostInput(" done\r"); // Enter sends CR; ICRNL (on by default) makes it the line's NL
    expect(woken).toBe(1);
    expect(tty.readerWaiting).toBe(false);
    expect(out).toEqual(["half done\n"]);
  });

  it("ISIG: ^C and ^Z are not input: the unread input is flushed, ^C/^Z is echoed after what was typed, nothing is read", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    tty.hostInput("whole line\nhalf a li\x03");
    expect(tty.read(100)).toBeNull(); // the line typed before ^C is gone too (NOFLSH is not set)
    tty.hostInput("next\x1a");
    expect(tty.read(100)).toBeNull();
    // Each byte is echoed as it arrives (Linux's n_tty), so the half line shows before its ^C.
    expect(out).toEqual(["whole line\n", "half a li^C\n", "next^Z\n"]);
    expect(tty.signalsIn).toBe(2);
  });

  it("printk after a partial line (a prompt) starts a line of its own, as Linux's printk does", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)), echo: false });
    tty.write(new TextEncoder().encode("$ "));
    tty.printk("[    0.000001] a kernel message");
    tty.printk("[    0.000002] and the next");
    expect(out.join("")).toBe("$ \n[    0.000001] a kernel message\n[    0.000002] and the next\n");
  });

  it("transmits through the UART: UTF-8 lines reach the sink, a prompt on flush", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    tty.write(new TextEncoder().encode("héllo\n$ "));
    expect(out).toEqual(["héllo\n"]);
    tty.flush();
    expect(out).toEqual(["héllo\n", "$ "]);
  });
});

/** A new terminal's modes (Linux's stty sane). */
const m0 = new Termios();

/**
 * What tcsetattr does to the console (the kernel's `applyModes`, after `setAttributes`' checks):
 * the new modes replace the old, the driver hears of it; TCSAFLUSH discards the unread input first.
 */
function tcsetattr(tty: SerialConsole, change: (m: Termios) => void, flush = false): void {
  const m = new Termios();
  m.assign(tty.tty.termios);
  change(m);
  applyModes(tty.tty, m, flush ? TcsaAction.TCSAFLUSH : TcsaAction.TCSANOW);
}

describe("SerialConsole: the modes (termios), read at each event", () => {
  it("ICANON off, MIN 1: a read returns as soon as a byte is there, no newline needed; ^D is a byte", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ICANON, false));
    expect(tty.read(10)).toBeNull();
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    tty.hostInput("a");
    expect(woken).toBe(1); // canonical mode would wait for the newline
    expect(text(tty.read(10))).toBe("a");
    tty.hostInput("b\x04c");
    expect(text(tty.read(2))).toBe("b\x04");
    expect(text(tty.read(10))).toBe("c");
  });

  it("ICANON off, MIN 3, TIME 0: a read waits for min(MIN, asked) bytes, then takes all it may", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tcsetattr(tty, (m) => {
      m.setLocal(LocalMode.ICANON, false);
      m.cc[Cc.VMIN] = 3;
    });
    tty.hostInput("ab");
    expect(tty.read(10)).toBeNull();
    expect(text(tty.read(2))).toBe("ab"); // asked for 2 < MIN: 2 are enough
    tty.hostInput("cdefg");
    expect(text(tty.read(4))).toBe("cdef");
    expect(tty.read(10)).toBeNull(); // "g" alone is fewer than MIN
    tty.hangup();
    expect(text(tty.read(10))).toBe("g"); // after a hang-up what is there goes, then end of file
    expect(text(tty.read(10))).toBe("");
  });

  it("ICANON off, MIN 0, TIME 0: a read returns at once, 0 bytes when none (a poll)", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tcsetattr(tty, (m) => {
      m.setLocal(LocalMode.ICANON, false);
      m.cc[Cc.VMIN] = 0;
    });
    expect(text(tty.read(10))).toBe("");
    tty.hostInput("x");
    expect(text(tty.read(10))).toBe("x");
  });

  it("leaving canonical mode makes the complete lines and the partial one readable at once; a waiting reader wakes", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tty.hostInput("one\ntw");
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ICANON, false));
    expect(woken).toBe(1);
    expect(text(tty.read(100))).toBe("one\ntw");
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ICANON, true)); // back: lines again
    tty.hostInput("o\nthree");
    expect(text(tty.read(100))).toBe("o\n");
    expect(tty.read(100)).toBeNull();
  });

  it("ECHO off: received input is not copied to the output, in either mode; on again, it is", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ECHO, false));
    tty.hostInput("secret\n");
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ICANON, false));
    tty.hostInput("k");
    expect(out).toEqual([]);
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ECHO, true));
    tty.hostInput("v\r"); // Enter: ICRNL's NL echoes as a line break (a typed ^J would show ^J)
    expect(out).toEqual(["v\n"]);
    expect(text(tty.read(100))).toBe("secret\nkv\n");
  });

  it("ISIG off: ^C, ^Z and ^\\ are input bytes; nothing is flushed, echoed as ^C, or signalled", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)), echo: false });
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ISIG, false));
    tty.hostInput("a\x03b\x1ac\x1c\n");
    expect(text(tty.read(100))).toBe("a\x03b\x1ac\x1c\n");
    expect(tty.signalsIn).toBe(0);
    expect(out).toEqual([]);
  });

  it("the control characters come from c_cc: with VINTR = ^G, ^G interrupts (echoed ^G) and ^C is a byte", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    tcsetattr(tty, (m) => {
      m.cc[Cc.VINTR] = 0x07;
    });
    tty.hostInput("a\x03b\n");
    expect(text(tty.read(100))).toBe("a\x03b\n");
    tty.hostInput("lost\x07");
    expect(tty.read(100)).toBeNull(); // flushed
    expect(tty.signalsIn).toBe(1);
    // ECHOCTL (on by default) shows the ^C byte of the line as ^C, as the ^G that interrupts.
    expect(out).toEqual(["a^Cb\n", "lost^G\n"]);
  });

  it("ECHOCTL shows only a control character as ^X: a printable VINTR ('q') is echoed as itself (Linux's echo_char: iscntrl)", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
    tcsetattr(tty, (m) => {
      m.cc[Cc.VINTR] = 0x71; // 'q'
    });
    tty.hostInput("q");
    expect(tty.signalsIn).toBe(1);
    expect(out[0]).toBe("q\n"); // not "^1"
  });

  it("NOFLSH: an ISIG character signals but keeps the unread input", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tcsetattr(tty, (m) => m.setLocal(LocalMode.NOFLSH, true));
    tty.hostInput("kept\nha\x03lf\n");
    expect(text(tty.read(100))).toBe("kept\n");
    expect(text(tty.read(100))).toBe("half\n");
    expect(tty.signalsIn).toBe(1);
  });

  it("TCSAFLUSH discards the lines and the partial line not read; the modes still change", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    tty.hostInput("typed ahead\npart");
    tcsetattr(tty, (m) => m.setLocal(LocalMode.ICANON, false), true);
    expect(tty.read(100)).toBeNull();
    tty.hostInput("z");
    expect(text(tty.read(100))).toBe("z");
  });

  it("property: non-canonical, any MIN: the bytes read, in order, are the bytes typed with CR as NL (ICRNL) less ^Q and ^S (IXON) and (under ISIG with NOFLSH) the ISIG characters", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }).map((a) => a.map((b) => b & 0x7f)),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 0x7f }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }),
        (input, isig, vmin, intr, asks) => {
          const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
          tcsetattr(tty, (m) => {
            m.setLocal(LocalMode.ICANON, false);
            m.setLocal(LocalMode.ISIG, isig);
            m.setLocal(LocalMode.NOFLSH, true);
            m.cc[Cc.VMIN] = vmin;
            m.cc[Cc.VINTR] = intr;
          });
          tty.hostInput(new TextDecoder().decode(input));
          tty.hangup();
          const sigChars = [intr, m0.cc[Cc.VQUIT], m0.cc[Cc.VSUSP]];
          // IXON (on, as Linux starts) takes VSTART and VSTOP first: flow control, never input.
          const flow = [m0.cc[Cc.VSTART], m0.cc[Cc.VSTOP]];
          const notFlow = [...input].filter((b) => !flow.includes(b));
          const expected = notFlow
            .filter((b) => !(isig && sigChars.includes(b)))
            .map((b) => (b === 0x0d ? 0x0a : b));
          const got: number[] = [];
          for (let i = 0; ; i++) {
            const r = tty.read(asks[i % asks.length]!);
            expect(r).not.toBeNull(); // after the hang-up a read never waits
            if (r!.length === 0) break;
            got.push(...r!);
          }
          expect(got).toEqual(expected);
          expect(tty.signalsIn).toBe(notFlow.length - expected.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the driver options are the initial modes: echo and tostop", () => {
    const a = new SerialConsole({ sink: new LineSink(() => {}), echo: false, tostop: true });
    expect(a.tty.termios.local(LocalMode.ECHO)).toBe(false);
    expect(a.tty.termios.local(LocalMode.TOSTOP)).toBe(true);
    const b = new SerialConsole({ sink: new LineSink(() => {}) });
    expect(b.tty.termios.equals(new Termios())).toBe(true); // Linux's stty sane
    expect(b.tty.driver).toBe(b);
  });
});

describe("makeMachine", () => {
  it("builds the e820 map of the worked example (256 MiB → 65520 frames)", () => {
    const m = makeMachine({ mem: 256 * 2 ** 20 }, ["rr"]);
    expect(m.frames).toBe(65520);
    expect(m.memoryMap.map((r) => r.type)).toEqual([
      "usable",
      "reserved",
      "usable",
      "acpi-reclaimable",
      "mmio",
    ]);
  });

  it.each([
    [{ mem: 2 * 2 ** 20 }, /--mem .*4 MiB..4 GiB/],
    [{ mem: 8 * 2 ** 30 }, /--mem .*4 MiB..4 GiB/],
    [{ cpus: 33 }, /--cpus 33: this kernel runs on 1..32 CPUs/],
    [{ policy: "edf" }, /--policy "edf": expected one of rr/],
  ])("refuses %j", (o, msg) => {
    expect(() => makeMachine(o, ["rr"])).toThrow(MachineConfigError);
    expect(() => makeMachine(o, ["rr"])).toThrow(msg);
  });
});

describe("the shell's parser", () => {
  it("splits pipelines, finds programs in /bin, takes one > file", () => {
    expect(parseCommandLine("echo a b | upper | wc > /tmp/x")).toEqual({
      stages: [
        { path: "/bin/echo", argv: ["echo", "a", "b"] },
        { path: "/bin/upper", argv: ["upper"] },
        { path: "/bin/wc", argv: ["wc"] },
      ],
      input: null,
      out: "/tmp/x",
      background: false,
    });
    expect(parseCommandLine("/bin/ls /dev")).toEqual({
      stages: [{ path: "/bin/ls", argv: ["/bin/ls", "/dev"] }],
      input: null,
      out: null,
      background: false,
    });
  });

  it("takes < file for the first stage, and |, < and > without blanks around them", () => {
    expect(parseCommandLine("wc</tmp/in|upper>/tmp/out")).toEqual({
      stages: [
        { path: "/bin/wc", argv: ["wc"] },
        { path: "/bin/upper", argv: ["upper"] },
      ],
      input: "/tmp/in",
      out: "/tmp/out",
      background: false,
    });
    expect(parseCommandLine("cat < /tmp/in")).toEqual({
      stages: [{ path: "/bin/cat", argv: ["cat"] }],
      input: "/tmp/in",
      out: null,
      background: false,
    });
  });

  it("takes a final & as a background job, with or without a blank before it", () => {
    expect(parseCommandLine("cat /tmp/a | wc &")).toMatchObject({ background: true, out: null });
    expect(parseCommandLine("echo hi > /tmp/x&")).toMatchObject({ background: true, out: "/tmp/x" });
    expect(parseCommandLine("echo & wc")).toMatch(/& must end the command line/);
  });

  it.each([
    ["echo a | | wc", /empty command in a pipeline/],
    ["echo a >", /expected one file after >/],
    ["echo a > b c", /expected one file after >/],
    ["echo a > b > c", /expected one file after >/],
    ["echo a > b | wc", /> must come last/],
    ["cat <", /expected one file after </],
    ["cat < a < b", /< must be in the first command/],
    ["echo a | cat < b", /< must be in the first command/],
    ["> /tmp/x", /empty command in a pipeline/],
  ])("reports a syntax error in %j", (line, msg) => {
    expect(parseCommandLine(line)).toMatch(msg);
  });
});

describe("inspectors", () => {
  const sys = LunaixSystem.boot({ output: () => {}, cpus: 1 });
  const target = {
    kernel: sys.kernel,
    buddy: null,
    fs: sys.fs,
    slabs: [],
    reserved: 0,
    kthreads: new Map<number, string>(),
  };

  it.each([
    ["vmrs", /vmrs: usage: vmrs <pid>/],
    ["vmrs x1", /vmrs: "x1" is not a pid/],
    ["vmrs 0", /pid 0 is the kernel/],
    ["pte 1", /pte: usage: pte <pid> <addr>/],
    ["pte 1 0x800000000000", /not a user address/],
    ["handles 42", /handles: no process 42/],
    ["mm", /unknown inspector "mm"; try: ps, free, buddyinfo/],
    ["buddyinfo", /has no orders/],
  ])("%j answers with a message", (cmd, msg) => {
    expect(inspect(target, cmd)).toMatch(msg);
  });

  it("pte walks level by level down to a present 4 KiB page", () => {
    const sh = [...sys.kernel.processes.values()].find((p) => p.image === "/bin/sh")!;
    const stackPage = 0x7fff_ffff_e000; // argv strings: written by the loader
    const report = inspect(target, `pte ${sh.pid} 0x${stackPage.toString(16)}`);
    const lines = report.split("\n");
    expect(lines[1]).toMatch(/^ {2}PML4 +\[255\] .*PML4E → table/);
    expect(lines[2]).toMatch(/^ {2}PDPT +\[511\] .*PDPTE → table/);
    expect(lines[3]).toMatch(/^ {2}PD +\[511\] .*PDE → table/);
    expect(lines[4]).toMatch(/^ {2}PT +\[510\] .*PTE → 4KiB page 0x[0-9a-f]+ \[P RW US/);
    expect(lines[5]).toContain("[stack]");
  });
});

describe("programs are found by path in the file system", () => {
  it("exec/spawn refuse what is not an executable inode, and an unlinked program is gone", () => {
    let out = "";
    const sys = LunaixSystem.boot({
      output: (t) => {
        out += t;
      },
      cpus: 1,
    });
    sys.runScript([
      "echo data > /tmp/f",
      "/tmp/f",
      "/bin",
      "/dev/ttyS0",
      "rm /bin/echo",
      "echo hi",
      "ls /bin",
    ]);
    expect(out).toContain("$ /tmp/f\nsh: /tmp/f: ENOEXEC\n");
    expect(out).toContain("$ /bin\nsh: /bin: EACCES\n");
    expect(out).toContain("$ /dev/ttyS0\nsh: /dev/ttyS0: EACCES\n");
    expect(out).toContain("$ echo hi\nsh: echo: command not found\n");
    expect(out).toMatch(/\$ ls \/bin\ncat {2}crash {2}deadlock {2}forkcow/); // echo is no longer listed
    expect(sys.summary().leaks).toEqual([]);
  });
});

describe("file descriptors closed by exit", () => {
  it("a file a child still had open at exit is released, so rm frees it at once", () => {
    let out = "";
    const sys = LunaixSystem.boot({
      output: (t) => {
        out += t;
      },
      cpus: 2,
    });
    const before = sys.fs.usage();
    // echo's stdout is the file: its descriptor is closed by exit, not by close().
    sys.runScript(["echo some bytes > /tmp/a", "rm /tmp/a", "free"]);
    expect(out).toMatch(/ramfs: \d+ inodes, 0 bytes of file data in 0 frames \(0 KiB\)\n/);
    expect(out).not.toContain("unlinked but open");
    expect(before.orphans).toBe(0);
    expect(sys.summary().leaks).toEqual([]);
  });
});

describe("an unlinked file lives while open", () => {
  it("is freed by the kernel at its last close, at once (no sweep, no kernel thread)", () => {
    let out = "";
    const sys = LunaixSystem.boot({
      output: (t) => {
        out += t;
      },
      cpus: 1,
    });
    // fsdemo unlinks its file while open, reads it and fstats it (st_nlink 0), then closes it;
    // `free` runs next and reports the ramfs: no orphan left, no frame of file data held.
    sys.runScript(["fsdemo", "free"]);
    expect(out).toContain("fstat(fd): links and size -> st_nlink 0, st_size 26");
    expect(out).toMatch(/ramfs: \d+ inodes, 0 bytes of file data in 0 frames \(0 KiB\)\n/);
    expect(out).not.toContain("unlinked but open");
    expect(sys.summary().leaks).toEqual([]);
  });
});

describe("a deadlock", () => {
  it("is reported when every user thread is blocked for good, and the machine shuts down cleanly", () => {
    let out = "";
    const sys = LunaixSystem.boot({
      output: (t) => {
        out += t;
      },
    });
    expect(sys.runScript(["deadlock", "echo never typed"])).toBe("hung");
    expect(out).toContain(
      "hung: every user thread is blocked or stopped and nothing can wake them; shutting down",
    );
    expect(out).toMatch(/tid \d+ blocked \(futex\)/);
    expect(out).not.toContain("never typed");
    expect(sys.summary().leaks).toEqual([]);
  });
});
