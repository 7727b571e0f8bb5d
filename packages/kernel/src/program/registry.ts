/**
 * The program registry: executable images by name, the simulated `/bin`.
 *
 * `exec` and `posix_spawn` copy a path string out of user memory and look it up here; the boot
 * code looks up `init`. Names are unique; registering twice is a host mistake.
 *
 * Related: `image.ts` (what an image holds).
 */
import { ProgramError } from "../errors.js";
import { type ExecutableImage, imageLayout } from "./image.js";

/** Longest program name exec accepts (Linux's PATH_MAX is 4096; ours is smaller and explicit). */
export const MAX_PROGRAM_NAME = 255;

/**
 * Programs by name.
 * @example
 * ```ts
 * const bin = new ProgramRegistry();
 * bin.register({ name: "true", main: function* () { return 0; } });
 * bin.lookup("true")?.name; // "true"
 * ```
 */
export class ProgramRegistry {
  private readonly images = new Map<string, ExecutableImage>();

  /**
   * Add an image.
   * @throws ProgramError for a duplicate or malformed name, or a malformed layout.
   */
  register(image: ExecutableImage): this {
    if (image.name.length === 0 || image.name.length > MAX_PROGRAM_NAME || image.name.includes("\0")) {
      throw new ProgramError(
        `register(${JSON.stringify(image.name)}): names are 1..${MAX_PROGRAM_NAME} bytes, no NUL`,
      );
    }
    if (this.images.has(image.name)) throw new ProgramError(`register(${image.name}): already registered`);
    imageLayout(image); // validates sizes now rather than at the first exec
    this.images.set(image.name, image);
    return this;
  }

  /** The image named `name`, or `null` (exec then returns ENOENT). */
  lookup(name: string): ExecutableImage | null {
    return this.images.get(name) ?? null;
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.images.keys()].sort();
  }
}
