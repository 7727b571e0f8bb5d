// What the POSIX rule tests share (posix-rules.test.ts, posix-signals.test.ts): a program must exit
// 0 with every process gone; each check inside it exits 100 + its number when it fails.
import { expect } from "vitest";
import {
  type ExecutableImage,
  libc,
  type ProcessStart,
  type UserCode,
  WEXITSTATUS,
  WIFEXITED,
} from "../src/index.js";
import { boot, check } from "./boot-init.js";

export const PAGE = 4096;
export const bit = (sig: number): number => 1 << sig;

/**
 * The parent's side of the pipe-write tests: read `fd` to end of file (4 KiB at a time), print
 * `read N`, reap `child`, which must have exited 0. Returns init's status: 0, or 2 when a read
 * failed (101..: a failed check).
 */
export function* readAllThenReap(fd: number, child: number): UserCode<number> {
  let total = 0;
  for (;;) {
    const c = yield* libc.read(fd, 4096);
    if (!(c instanceof Uint8Array)) return 2;
    if (c.length === 0) break;
    total += c.length;
  }
  yield* libc.write(1, `read ${total}`);
  const st = (yield* libc.waitpid(child)).status;
  yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 3);
  return 0;
}

/** Boot `init` and expect it to exit 0 with every process gone. */
export function expectPasses(
  init: (s: ProcessStart) => UserCode<number | undefined>,
  extra: ExecutableImage[] = [],
  cpus = 1,
) {
  const r = boot(init, extra, { cpus });
  expect(r.outcome).toBe("all-exited");
  expect(WEXITSTATUS(r.status)).toBe(0);
  expect(r.status).toBe(0);
  return r;
}
