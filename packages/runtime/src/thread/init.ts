/**
 * A threaded process's start: what the dynamic loader and libc's init do before `main` — map the
 * runtime area (stack cache, key table, their lock) and the main thread's control block, mark the
 * main thread joinable on the loader's stack — and the wrapper that turns a threaded
 * `main(self, start)` into a program entry point any POSIX kernel runs.
 *
 * ```
 *   kernel exec ─▶ pthreadMain(main) ─▶ initRuntime(start)                  ─▶ main(self, start)
 *                                        mmap area + TCB (one anonymous run)
 *                                        area.MAGIC, tcb.TID = gettid(), tcb.JOIN = JOINABLE
 *                                        self = Pthread(sp = argv − 8)
 * ```
 *
 * A file of its own because it runs once per process, before any thread exists, and a reader
 * looks for "how does a threaded program start" apart from the thread life cycle of `pthread.ts`.
 *
 * Related: `pthread.ts` (`Pthread`, `PthreadLibrary`), `../api.ts` (`AreaLayout`, `TcbLayout`),
 * `stack.ts`, `keys.ts`.
 */
import {
  MapFlags,
  mem,
  type ProcessStart,
  type ProgramMain,
  Prot,
  posixStubs as sys,
  type UserCode,
} from "@osbricks/kernel";
import { AreaLayout as A, AREA_BYTES, AREA_MAGIC, JoinState, TcbLayout as T, TCB_BYTES } from "../api.js";
import { RuntimeArgumentError } from "../errors.js";
import { Pthread, PthreadLibrary } from "./pthread.js";

/** What `main` of a threaded program is: the main thread's context and the process start. */
export type PthreadMain = (self: Pthread, start: ProcessStart) => UserCode<unknown>;

/**
 * Set up the library in a fresh process (what the dynamic loader and libc's init do before
 * `main`): the runtime area and the main thread's control block, both fresh anonymous pages.
 * @returns the main thread's context.
 */
export function* initRuntime(start: ProcessStart): UserCode<Pthread> {
  const area = yield* sys.mmap(
    0,
    AREA_BYTES + TCB_BYTES,
    Prot.PROT_READ | Prot.PROT_WRITE,
    MapFlags.MAP_PRIVATE | MapFlags.MAP_ANONYMOUS,
    -1,
    0,
  );
  if (area < 0) throw new RuntimeArgumentError(`initRuntime: mmap of the runtime area failed (${area})`);
  yield* mem.store32(area + A.MAGIC, AREA_MAGIC);
  const tcb = area + AREA_BYTES;
  const tid = yield* sys.gettid();
  yield* mem.store32(tcb + T.TID, tid);
  yield* mem.store32(tcb + T.JOIN, JoinState.JOINABLE); // not DEFAULT_STACK: the loader's stack stays
  // The main thread's stack is the loader's (guard page below it); rsp was at argc.
  return new Pthread(new PthreadLibrary(start, area), tcb, tid, start.argvPtr - 8);
}

/**
 * Turn a threaded `main(self, start)` into a program entry point: the library is initialised
 * first, then `main` runs as the main thread. Any kernel with the POSIX personality (the default) runs it.
 * @example
 * ```ts
 * new ProgramRegistry().register({ name: "init", main: pthreadMain(function* (self) { return 0; }) });
 * ```
 */
export function pthreadMain(main: PthreadMain): ProgramMain {
  return function* pthreadStartMain(start: ProcessStart): UserCode<number> {
    const self = yield* initRuntime(start);
    const r = yield* main(self, start);
    return typeof r === "number" ? r : 0;
  };
}
