// The README's main command (`pnpm start`): boot the Lunaix-like kernel and run its demo script
// (scripts/demo.sh), exactly as `pnpm run boot --script scripts/demo.sh` would. Extra arguments
// are passed on (`pnpm start -- --cpus 4 --policy cfs --trace run.json`).
import { bootMain, DEMO_SCRIPT } from "./boot.js";

const extra = process.argv.slice(2).filter((a) => a !== "--");
bootMain(["--script", DEMO_SCRIPT, ...extra]).then((code) => {
  process.exitCode = code;
});
