/** One named property of a law suite; `check()` throws on violation. */
export interface Law {
  readonly name: string;
  check(): void;
}
