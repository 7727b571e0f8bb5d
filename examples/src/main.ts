// The README's main command (`pnpm start`). For now it runs the hw-x86 walkthrough; the Lunaix-like
// kernel replaces it as the main program once it boots.
import { hwWalkthrough } from "./hw-walkthrough.js";

hwWalkthrough((line) => console.log(line));
