// The README's example, run: it must keep working as written.
import { buildBootMap } from "@osbricks/hw-x86";
import { BitmapAllocator } from "@osbricks/vm";
import { describe, expect, it } from "vitest";
import {
  FileMode,
  type FileOperations,
  FileType,
  Kernel,
  libc,
  mem,
  OpenFile,
  ProgramRegistry,
  replayCursor,
  posixStubs as sys,
  type UserCode,
  WEXITSTATUS,
} from "../src/index.js";

describe("README", () => {
  it("the example program forks, copies on write and exits 0", () => {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const va = yield* libc.sbrk(4096); // brk: grow the heap
        yield* mem.store32(va, 1); // a store trap: #PF → demand-zero page → retry
        const pid = yield* sys.fork(); // returns twice (see "fork by replay")
        if (pid === 0) {
          yield* mem.store32(va, 2); // copy-on-write: the parent still sees 1
          return 7; // main returning is exit_group(7)
        }
        const { status } = yield* libc.waitpid(pid);
        return WEXITSTATUS(status) === 7 && (yield* mem.load32(va)) === 1 ? 0 : 1;
      },
    });
    const k = new Kernel({ programs, cpus: 2, cow: "shadow", allocator: "buddy", paranoid: true });
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
  });

  it("a file kind of one's own (the Zero of 'Open files') reads zeros through read(2)", () => {
    class Zero implements FileOperations {
      readonly kind = "zero";
      read = (max: number) => new Uint8Array(max);
      write = (bytes: Uint8Array) => bytes.length;
      stat = () => ({ mode: FileType.S_IFCHR | 0o666, size: 0, ino: 0, nlink: 1 });
    }
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const got = yield* libc.read(3, 16);
        return typeof got !== "number" && got.length === 16 && got.every((b) => b === 0) ? 0 : 1;
      },
    });
    const k = new Kernel({ programs });
    const init = k.boot("init");
    const fd = init.files.install(new OpenFile(new Zero(), FileMode.READ_WRITE), /* cloexec */ false);
    expect(fd).toBe(3);
    k.run();
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
  });

  it("the boot-memory example: 98 frames reserved (the 640K–1M hole and frame 0)", () => {
    const programs = new ProgramRegistry();
    const memoryMap = buildBootMap(
      64 * 2 ** 20,
      [{ base: 0x9fc00, length: 0x100000 - 0x9fc00, type: "reserved" }],
      [{ base: 0xfd00_0000, length: 0x40_0000, type: "mmio" }],
    );
    const k = new Kernel({ programs, memoryMap, allocator: ({ frames }) => new BitmapAllocator({ frames }) });
    expect(k.reservedFrames).toBe(98);
    expect(k.frames.frameCount).toBe(16384);
  });

  it("silent replay: a stub of one's own (the README's myLoad) answers the child's replay without yielding", () => {
    let silent = 0; // counts the replay's answers (state outside the program, for the test only)
    function* myLoad(va: number): UserCode<number> {
      if (replayCursor.pending()) {
        silent++;
        return replayCursor.take() as number;
      }
      return (yield { kind: "load", va, size: 4 }) as number;
    }
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const va = yield* libc.sbrk(4096);
        yield* mem.store32(va, 41);
        let sum = 0;
        for (let i = 0; i < 5; i++) sum += yield* myLoad(va);
        const pid = yield* sys.fork();
        if (pid === 0) return sum === 5 * 41 ? 3 : 4;
        return WEXITSTATUS((yield* libc.waitpid(pid)).status) === 3 ? 0 : 1;
      },
    });
    const k = new Kernel({ programs });
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
    expect(silent).toBe(5); // the child's five loads came from the parent's history
  });
});
