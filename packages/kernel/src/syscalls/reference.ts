/**
 * The generated reference page of a system-call table (markdown).
 *
 * The third thing derived from a declaration, after the stubs and the dispatcher: a summary table
 * of every call by number, then one section per call with its prototype, its arguments and the
 * checks the dispatcher applies to them, and the errors it may return. Because the page is
 * generated, it cannot drift from the code; a test regenerates `docs/syscalls-posix.md` and fails
 * when the checked-in copy differs.
 *
 * Related: `table.ts`, `../../scripts/gen-syscall-docs.ts` (writes the file).
 */
import type { ArgSpec } from "./decl.js";
import { NSIG, SIZE_MAX_ARG } from "./decl.js";
import type { SyscallTable } from "./table.js";

function cType(a: ArgSpec<unknown>): string {
  switch (a.kind) {
    case "ptr":
      return a.access === "in" ? "const void *" : "void *";
    case "addr":
    case "code":
      return "uintptr_t";
    case "size":
      return "size_t";
    case "pid":
      return "pid_t";
    case "handle":
      return `handle<${a.objectType}>`;
    case "flags":
      return "unsigned";
    default:
      return "int";
  }
}

/** The rule the dispatcher applies to an argument, in words, with the errno it returns. */
export function describeArgCheck(a: ArgSpec<unknown>): string {
  switch (a.kind) {
    case "int":
      return `integer in [${a.min}, ${a.max}], else EINVAL`;
    case "size":
      return `integer in [0, ${SIZE_MAX_ARG}], else EINVAL`;
    case "fd":
      return "integer >= 0, else EBADF (the handler returns EBADF when it is not open)";
    case "pid":
      return "32-bit integer, else EINVAL";
    case "signal":
      return `integer in [0, ${NSIG - 1}], else EINVAL`;
    case "flags": {
      const names = Object.entries(a.flagNames ?? {})
        .map(([k, v]) => `${k}=0x${v.toString(16)}`)
        .join(", ");
      return `bits among ${names || "(none)"}, else EINVAL`;
    }
    case "ptr": {
      const len = typeof a.len === "string" ? `\`${a.len}\`` : `${a.len}`;
      const dir = a.access === "in" ? "read" : a.access === "out" ? "written" : "read and written";
      return `${len} bytes ${dir} by the kernel; range inside user space${a.nullable ? " or NULL" : ""}, else EFAULT (an unmapped page gives EFAULT when the kernel copies)`;
    }
    case "addr":
      if (a.hint === true) return "any address (the call says what one outside user space means)";
      return `user address${a.aligned ? ", 4 KiB aligned" : ""}, else EINVAL`;
    case "code":
      return "non-zero user code address, else EFAULT";
    case "handle":
      return `handle to a ${a.objectType} with rights 0x${(a.rights ?? 0).toString(16)}; invalid or wrong type EBADF, missing rights EPERM`;
  }
}

/**
 * Render the reference page of a table as markdown.
 *
 * @param title the page title (default: `System calls: <table name>`).
 * @example
 * ```ts
 * const md = syscallReference(posixSyscalls);
 * md.startsWith("# System calls: posix"); // true
 * ```
 */
export function syscallReference(table: SyscallTable, title = `System calls: ${table.name}`): string {
  const out: string[] = [];
  out.push(`# ${title}`, "");
  out.push(
    "<!-- Generated from the table declaration by packages/kernel/scripts/gen-syscall-docs.ts; do not edit. -->",
    "",
  );
  out.push(
    "Every call returns a non-negative result on success and `-errno` on failure. The checks listed per",
    "argument run in the dispatcher before the handler, in argument order (scalars first, then pointers).",
    "An unknown number returns ENOSYS; a wrong argument count returns EINVAL.",
    "",
  );
  out.push("| nr | call | returns | blocks |", "| ---: | --- | --- | --- |");
  for (const e of table.entries) {
    out.push(
      `| ${e.decl.nr} | [\`${e.name}\`](#${e.name}) | ${e.decl.result} | ${e.decl.blocks ? "yes" : ""} |`,
    );
  }
  out.push("");
  for (const e of table.entries) {
    const d = e.decl;
    const proto = d.args.map((a) => `${cType(a)} ${a.name}`).join(", ");
    out.push(`## ${e.name}`, "");
    out.push("```c", `${d.result} ${e.name}(${proto || "void"}); // nr ${d.nr}`, "```", "");
    out.push(d.doc, "");
    if (d.args.length > 0) {
      out.push("| argument | meaning | checked |", "| --- | --- | --- |");
      for (const a of d.args) out.push(`| \`${a.name}\` | ${a.doc} | ${describeArgCheck(a)} |`);
      out.push("");
    }
    const errs = Object.entries(d.errors ?? {});
    if (errs.length > 0) {
      out.push("Errors:", "");
      for (const [k, v] of errs) out.push(`- ${k}: ${v}`);
      out.push("");
    }
  }
  return out.join("\n");
}
