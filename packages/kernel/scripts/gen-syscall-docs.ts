// Regenerates docs/syscalls-posix.md (at the repository root) from the POSIX table declaration.
// Run: pnpm tsx --conditions=@osbricks/source packages/kernel/scripts/gen-syscall-docs.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { posixSyscalls, syscallReference } from "../src/index.js";

const out = fileURLToPath(new URL("../../../docs/syscalls-posix.md", import.meta.url));
writeFileSync(out, `${syscallReference(posixSyscalls, "System calls: the POSIX personality")}\n`);
console.log(`wrote ${out}`);
