/**
 * `j6_thread_create`, `j6_thread_exit`, `j6_thread_sleep`. A thread runs in a process; the
 * process handle needs create_thread (our EXECUTE) to start one there.
 *
 * **The entry is a program.** jsix's thread_create takes an address in the target space, where
 * srv.init has loaded an ELF image. Our programs are generators, so the entry is the index of a
 * program in the boot image (`JsixState.programs`, the initrd's list): the first thread of an
 * empty process loads that program's text and stack and runs its main with argv
 * `[name, String(arg)]` (`Lifecycle.startEmpty`); a further thread must name the same program
 * and runs its main again, with its own argument, in the same space (no stack of its own: our
 * user stacks are the generators').
 *
 * The creator gets a handle to the thread (wait on `terminated`, kill with MANAGE).
 *
 * Related: `process.ts`, `@osbricks/kernel` lifecycle.ts.
 */
import {
  addressesIn,
  Errno,
  type Process,
  type ProcessStart,
  SYSCALL_NORETURN,
  type Thread,
  type UserFunction,
} from "@osbricks/kernel";
import { J6Status } from "../abi.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

/** The thread handlers. */
export function threadCalls(
  s: JsixState,
): Pick<Handlers, "j6_thread_create" | "j6_thread_exit" | "j6_thread_sleep"> {
  const k = s.k;

  function another(p: Process, name: string, arg: number): Thread | number {
    const image = k.programs.lookup(name)!;
    if (k.threads.size >= k.ipc.maxThreads) return -Errno.ENOMEM;
    const kstack = k.stacks.alloc();
    if (kstack === null) return -Errno.ENOMEM;
    const main = image.main as unknown as UserFunction;
    const start: ProcessStart = {
      argv: [name, String(arg)],
      envp: [],
      argvPtr: 0,
      envpPtr: 0,
      addressOf: addressesIn(p.text),
    };
    return k.life.createThread(p, main, [start], p.text.addressOf(main), 0, kstack);
  }

  return {
    j6_thread_create(t, target, entry, arg) {
      const p = target as Process;
      if (p.phase !== "live" || p.exiting) return -J6Status.err_not_ready;
      const name = s.programs[entry];
      const image = name === undefined ? undefined : k.programs.lookup(name);
      if (name === undefined || image === undefined || image === null) return -J6Status.err_invalid_arg;
      if (!p.emptyImage && p.image !== name) return -J6Status.err_invalid_arg;
      const table = t.process.handleTable;
      if (table.size >= table.capacity) return -J6Status.err_insufficient;
      const th = p.emptyImage ? k.life.startEmpty(p, image, [name, String(arg)]) : another(p, name, arg);
      if (typeof th === "number") return -J6Status.err_insufficient;
      const h = table.create(th, k.threadType.defaultRights);
      s.created("thread");
      // Room was checked above; a table can only fill between the check and here on a kernel bug.
      return h.kind === "ok" ? h.handle : -J6Status.err_unexpected;
    },
    j6_thread_exit(t) {
      k.life.exitThread(t, 0);
      return SYSCALL_NORETURN;
    },
    j6_thread_sleep(t, cycles) {
      return cycles === 0 ? 0 : k.sleepThread(t, cycles);
    },
  };
}
