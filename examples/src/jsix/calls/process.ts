/**
 * `j6_process_create`, `j6_process_kill`, `j6_process_exit`, `j6_process_give_handle`. A jsix
 * process is a handle table and an address space; it is created *empty* and built from outside
 * by its creator (srv.init), which maps VMAs into it, gives it handles, then starts a thread in it:
 *
 * ```
 *   p  = j6_process_create()                  empty space, table = { self }, no thread
 *   j6_vma_map(vma, p, addr)                  memory, the very frames the creator has
 *   j6_process_give_handle(p, mailbox)        the handle as p will see it (p finds it by j6_handle_list)
 *   j6_thread_create(p, entry, arg)           loads program `entry`, starts it
 *   j6_object_wait(p, terminated, -1)         until it exits
 *   j6_handle_close(p)                        the process object ends (it has exited, no handle left)
 * ```
 *
 * `kill` needs the process handle's kill capability (our MANAGE); giving a handle needs transfer
 * on the process, and clone and transfer on the handle given (the receiver gets a copy, a child
 * of it in the derivation tree, with the same capabilities: `@osbricks/objects`' share). srv.init (pid 1) cannot be killed, as init cannot.
 *
 * Related: `thread.ts` (starting it), `@osbricks/kernel` lifecycle.ts (spawnEmpty, startEmpty,
 * exitProcess).
 */
import { exitedStatus, type Process, Sig, SYSCALL_NORETURN, signaledStatus } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { J6Status } from "../abi.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

/** The process handlers. */
export function processCalls(
  s: JsixState,
): Pick<Handlers, "j6_process_create" | "j6_process_kill" | "j6_process_exit" | "j6_process_give_handle"> {
  const k = s.k;
  return {
    j6_process_create(t) {
      const table = t.process.handleTable;
      if (table.size >= table.capacity) return -J6Status.err_insufficient;
      const p = k.life.spawnEmpty(t.process, "(empty)");
      if (typeof p === "number") return -J6Status.err_insufficient;
      s.adopt(p);
      const h = table.create(p, k.processType.defaultRights);
      if (h.kind !== "ok") {
        k.life.exitProcess(p, exitedStatus(0));
        return -J6Status.err_insufficient;
      }
      s.created("process");
      return h.handle;
    },
    j6_process_kill(t, target) {
      const p = target as Process;
      if (p.phase !== "live") return -J6Status.err_not_ready;
      if (p.unkillable) return -J6Status.err_denied;
      k.life.exitProcess(p, signaledStatus(Sig.SIGKILL, false));
      return p === t.process ? SYSCALL_NORETURN : 0;
    },
    j6_process_exit(t, result) {
      k.life.exitProcess(t.process, exitedStatus(result & 0xff));
      return SYSCALL_NORETURN;
    },
    j6_process_give_handle(t, target, h) {
      const p = target as Process;
      if (p.phase !== "live" || p.exiting) return -J6Status.err_not_ready;
      const table = t.process.handleTable;
      const r = table.lookup(h, null, Right.DUPLICATE | Right.TRANSFER);
      if (r.kind !== "ok") return s.refusal(r.kind);
      if (p === t.process) return -J6Status.err_invalid_arg;
      const given = table.share(h, p.handleTable, r.rights);
      return given.kind === "ok" ? given.handle : s.refusal(given.kind);
    },
  };
}
