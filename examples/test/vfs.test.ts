// The in-memory file system: unit rules, and a model-based test against a naive model (a map from
// absolute path to kind) with checkInvariants() after every step.

import { Errno, errorName } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Inode, NAME_MAX, type Vfs } from "../src/lunaix/fs/vfs.js";
import { ramFs } from "./ramfs.js";

describe("Vfs rules", () => {
  it("mkdir, create, lookup and readdir in name order with . and ..", () => {
    const { fs } = ramFs();
    expect(fs.mkdir("/tmp")).toBeInstanceOf(Inode);
    expect(fs.create("/tmp/b")).toBeInstanceOf(Inode);
    expect(fs.create("/tmp/a")).toBeInstanceOf(Inode);
    const tmp = fs.lookup("/tmp") as Inode;
    expect(fs.readdir(tmp).map((e) => e.name)).toEqual([".", "..", "a", "b"]);
    expect(fs.lookup("/tmp/../tmp/./a")).toBe(fs.lookup("/tmp/a"));
    fs.checkInvariants();
  });

  it("refuses with the POSIX errno and changes nothing", () => {
    const { fs } = ramFs();
    fs.mkdir("/d");
    fs.create("/d/f");
    expect(fs.mkdir("/d")).toBe(-Errno.EEXIST);
    expect(fs.create("/nope/f")).toBe(-Errno.ENOENT);
    expect(fs.create("/d/f/g")).toBe(-Errno.ENOTDIR);
    expect(fs.unlink("/d")).toBe(-Errno.EISDIR);
    expect(fs.rmdir("/d")).toBe(-Errno.ENOTEMPTY);
    expect(fs.rmdir("/d/f")).toBe(-Errno.ENOTDIR);
    expect(fs.rmdir("/")).toBe(-Errno.EBUSY);
    expect(fs.lookup(`/${"x".repeat(NAME_MAX + 1)}`)).toBe(-Errno.ENAMETOOLONG);
    expect(fs.lookup("")).toBe(-Errno.ENOENT);
    expect(fs.readdir(fs.lookup("/d") as Inode).map((e) => e.name)).toEqual([".", "..", "f"]);
    fs.checkInvariants();
  });

  it("path resolution as POSIX: a trailing slash or a '.' after a non-directory is ENOTDIR; '.' and '..' cannot be removed", () => {
    const { fs } = ramFs();
    fs.mkdir("/d");
    fs.create("/f");
    expect(fs.lookup("/f/")).toBe(-Errno.ENOTDIR); // XBD 4.13: a trailing slash needs a directory
    expect(fs.lookup("/f/.")).toBe(-Errno.ENOTDIR);
    expect(fs.lookup("/d/")).toBe(fs.lookup("/d"));
    expect(fs.lookup("/d/./")).toBe(fs.lookup("/d"));
    expect(fs.unlink("/f/")).toBe(-Errno.ENOTDIR); // and /f stays
    expect(fs.create("/g/")).toBe(-Errno.EISDIR); // a regular file cannot be named with a slash (Linux)
    expect(fs.lookup("/g")).toBe(-Errno.ENOENT);
    expect(fs.rmdir("/d/.")).toBe(-Errno.EINVAL); // POSIX rmdir: a final "." fails
    expect(fs.rmdir("/d/..")).toBe(-Errno.ENOTEMPTY); // Linux's answer for a final ".."
    expect(fs.unlink("/d/.")).toBe(-Errno.EISDIR);
    expect(fs.mkdir("/d/.")).toBe(-Errno.EEXIST);
    expect(fs.mkdir("/f/x")).toBe(-Errno.ENOTDIR);
    expect(fs.mkdir("/e/")).toBeInstanceOf(Inode); // mkdir may name its new directory with a slash
    expect(fs.lookup("/d")).toBeInstanceOf(Inode);
    expect(fs.lookup("/f")).toBeInstanceOf(Inode);
    fs.checkInvariants();
  });

  it("names the errors the kernel's table lacks", () => {
    expect(errorName(-Errno.ENOTEMPTY)).toBe("ENOTEMPTY");
    expect(errorName(-Errno.ENOENT)).toBe("ENOENT");
    expect(errorName(-999)).toBe("E999");
  });

  it("checkInvariants catches a wrong link count", () => {
    const { fs } = ramFs();
    const f = fs.create("/f") as Inode;
    f.links = 2;
    expect(() => fs.checkInvariants()).toThrow(/links=2 but 1 entries/);
  });
});

// ---- model-based test --------------------------------------------------------------------------

type Kind = "dir" | "file";
interface Model {
  paths: Map<string, Kind>;
}
const NAMES = ["a", "b", "c"];
const parentOf = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";

/** The path at index `i` modulo the model's directories, extended by `name`. */
function pick(m: Model, i: number, name: string): string {
  const dirs = ["/", ...[...m.paths].filter(([, k]) => k === "dir").map(([p]) => p)].sort();
  const d = dirs[i % dirs.length]!;
  return d === "/" ? `/${name}` : `${d}/${name}`;
}

/** What the model says the call returns, and the model after it. */
function expected(m: Model, op: "mkdir" | "create" | "unlink" | "rmdir", path: string): number {
  const kind = m.paths.get(path);
  const parent = parentOf(path);
  const parentKind = parent === "/" ? "dir" : m.paths.get(parent);
  if (op === "mkdir" || op === "create") {
    if (parentKind === undefined) return -Errno.ENOENT;
    if (parentKind !== "dir") return -Errno.ENOTDIR;
    if (kind !== undefined) return -Errno.EEXIST;
    m.paths.set(path, op === "mkdir" ? "dir" : "file");
    return 0;
  }
  if (parentKind === undefined) return -Errno.ENOENT;
  if (kind === undefined) return -Errno.ENOENT;
  if (op === "unlink") {
    if (kind === "dir") return -Errno.EISDIR;
    m.paths.delete(path);
    return 0;
  }
  if (kind !== "dir") return -Errno.ENOTDIR;
  if ([...m.paths.keys()].some((p) => p.startsWith(`${path}/`))) return -Errno.ENOTEMPTY;
  m.paths.delete(path);
  return 0;
}

class OpCommand implements fc.Command<Model, Vfs> {
  constructor(
    readonly op: "mkdir" | "create" | "unlink" | "rmdir",
    readonly dirIndex: number,
    readonly name: string,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, fs: Vfs): void {
    const path = pick(m, this.dirIndex, this.name);
    const want = expected(m, this.op, path);
    const r =
      this.op === "mkdir" ? fs.mkdir(path) : this.op === "create" ? fs.create(path) : fs[this.op](path);
    expect(typeof r === "number" ? r : 0).toBe(want);
    fs.checkInvariants();
    // The tree lists exactly the model's names.
    const listed: string[] = [];
    const walk = (dir: Inode, prefix: string): void => {
      for (const e of fs.readdir(dir).slice(2)) {
        const p = `${prefix}/${e.name}`;
        listed.push(`${p}:${e.node.kind}`);
        if (e.node.kind === "dir") walk(e.node, p);
      }
    };
    walk(fs.root, "");
    expect(listed.sort()).toEqual([...m.paths].map(([p, k]) => `${p}:${k}`).sort());
  }
  toString(): string {
    return `${this.op}(dir#${this.dirIndex}/${this.name})`;
  }
}

describe("Vfs against a naive model", () => {
  it("agrees on every answer and keeps its invariants", () => {
    const cmd = fc
      .tuple(
        fc.constantFrom("mkdir" as const, "create" as const, "unlink" as const, "rmdir" as const),
        fc.nat(20),
        fc.constantFrom(...NAMES),
      )
      .map(([op, i, n]) => new OpCommand(op, i, n));
    fc.assert(
      fc.property(fc.commands([cmd], { maxCommands: 60 }), (cmds) => {
        fc.modelRun(() => ({ model: { paths: new Map<string, Kind>() }, real: ramFs().fs }), cmds);
      }),
      { numRuns: 60 },
    );
  });
});
