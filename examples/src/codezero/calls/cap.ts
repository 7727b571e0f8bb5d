/**
 * `l4_capability_control`: a task can only use what it holds a capability to, and capabilities
 * only flow from those who hold them, with the same or fewer rights. The handle tables and the
 * machine-wide derivation tree are `@osbricks/objects`'; this file is the rules of the call.
 *
 * ```
 *   op               args            rule                                           result
 *   ───────────────  ──────────────  ─────────────────────────────────────────────  ─────────────
 *   CREATE_ENDPOINT  —               any task may make endpoints (a root capability)  handle
 *   DERIVE           h, rights       rights ⊆ h's, h has DUPLICATE; child of h        handle
 *   GRANT            h, task, rights rights ⊆ h's, h has DUPLICATE+TRANSFER, task      handle in task
 *                                    handle has MANAGE; child of h, in task's table
 *   REVOKE           h               closes everything derived from h, in every      count closed
 *                                    table; h stays (seL4 revoke)
 *   CLOSE            h               closes h; its children move up to h's parent     0
 *   FIND             index           the index-th endpoint handle held, slot order     handle
 *   RIGHTS           h               what h carries                                   rights
 * ```
 *
 * Endpoint rights: WRITE sends and calls, READ receives (and makes its holder the server of a
 * task whose pager the endpoint is), DUPLICATE derives, TRANSFER grants. A client granted
 * `WRITE` alone can call the server and do nothing else with the capability.
 *
 * Worked example (the demo): root creates the kv endpoint `K` (root of the tree) and derives
 * `C = DERIVE(K, WRITE|DUPLICATE|TRANSFER)` for the clients; `GRANT(C, client, WRITE)` puts a
 * child of C in the client's table; `REVOKE(C)` later closes that child and every other grant made
 * from C, while `K` and the server's own `GRANT(K, kv, READ)` survive.
 *
 * Errors: EINVAL (bad op, rights outside the type's, a grant to oneself, a split that leaves
 * nothing), ECAP (no such handle), EPERM (a right missing), ENOENT (task not live, FIND past the
 * end), ENOMEM (table full). A refusal changes no table.
 *
 * Related: `../abi.ts` (CapOp), `@osbricks/objects` slot-table.ts and derivation.ts.
 */

import { EndpointObject } from "@osbricks/ipc";
import type { SyscallHandlers, Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { CapOp, type codezeroSyscalls, L4Error } from "../abi.js";
import type { CodezeroState } from "../personality.js";
import { taskOf } from "./thread.js";

type Handlers = SyscallHandlers<Thread, typeof codezeroSyscalls.decls>;

/** Every right an endpoint capability can carry (what CREATE_ENDPOINT gives). */
export const ENDPOINT_RIGHTS = Right.READ | Right.WRITE | Right.DUPLICATE | Right.TRANSFER;

/** L4 error of a refused table operation. */
function refusal(s: CodezeroState, kind: string): number {
  switch (kind) {
    case "bad-handle":
    case "wrong-type":
      return s.refused(-L4Error.ECAP);
    case "access-denied":
      return s.refused(-L4Error.EPERM);
    case "table-full":
      return -L4Error.ENOMEM;
    default:
      return -L4Error.EINVAL; // invalid-rights
  }
}

/** The `l4_capability_control` handler. */
export function capabilityCalls(s: CodezeroState): Pick<Handlers, "l4_capability_control"> {
  const k = s.k;
  return {
    l4_capability_control(t, op, h, a, b) {
      const table = t.process.handleTable;
      switch (op) {
        case CapOp.CREATE_ENDPOINT: {
          if (table.size >= table.capacity) return -L4Error.ENOMEM;
          const ep = new EndpointObject(k.objects, s.endpointType, k.ipc);
          const r = table.create(ep, ENDPOINT_RIGHTS);
          return r.kind === "ok" ? r.handle : -L4Error.ENOMEM;
        }
        case CapOp.DERIVE: {
          if ((a & ~ENDPOINT_RIGHTS) !== 0 || a === 0) return -L4Error.EINVAL;
          const r = table.duplicate(h, a);
          return r.kind === "ok" ? r.handle : refusal(s, r.kind);
        }
        case CapOp.GRANT: {
          if ((b & ~ENDPOINT_RIGHTS) !== 0 || b === 0) return -L4Error.EINVAL;
          const task = taskOf(s, t, a);
          if (typeof task === "number") return task;
          if (task === t.process) return -L4Error.EINVAL;
          if (task.phase !== "live") return -L4Error.ENOENT;
          const r = table.share(h, task.handleTable, b);
          return r.kind === "ok" ? r.handle : refusal(s, r.kind);
        }
        case CapOp.REVOKE: {
          const r = table.revoke(h);
          return r.kind === "ok" ? r.revoked : refusal(s, r.kind);
        }
        case CapOp.CLOSE: {
          const r = table.close(h);
          return r.kind === "ok" ? 0 : refusal(s, r.kind);
        }
        case CapOp.FIND: {
          if (h < 0) return -L4Error.EINVAL;
          let i = 0;
          for (const info of table.list()) {
            if (info.type !== s.endpointType.name) continue;
            if (i++ === h) return info.handle;
          }
          return -L4Error.ENOENT;
        }
        case CapOp.RIGHTS: {
          const r = table.lookup(h, null, 0);
          return r.kind === "ok" ? r.rights : refusal(s, r.kind);
        }
        default:
          return -L4Error.EINVAL;
      }
    },
  };
}
