// Process groups and sessions (src/posix/jobs.ts), one rule per test, as POSIX.1-2008 and Linux's
// kernel/sys.c and kernel/exit.c state them. Each program exits 0 when every rule held, else
// 100 + the number of the first failed check. The terminal's rules are in tty.test.ts.
import { describe, expect, it } from "vitest";
import {
  compute,
  Errno,
  groupMembers,
  libc,
  Sig,
  posixStubs as sys,
  type UserCode,
  WaitOptions,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WIFSTOPPED,
  WTERMSIG,
} from "../src/index.js";
import { boot, check } from "./boot-init.js";
import { expectPasses } from "./posix-expect.js";

/** A child that waits until killed (a long sleep, woken by nothing else). */
function* sleepForever(): UserCode<number> {
  for (;;) yield* sys.nanosleep(1e12);
}

describe("process groups and sessions", () => {
  it("init leads session 1 and group 1; fork inherits the group and session, exec keeps them", () => {
    expectPasses(
      function* () {
        yield* check((yield* sys.getpgrp()) === 1 && (yield* sys.getsid(0)) === 1, 1);
        const c = yield* sys.fork();
        if (c === 0) {
          const ok = (yield* sys.getpgid(0)) === 1 && (yield* sys.getsid(0)) === 1;
          if (!ok) return 1;
          yield* sys.setpgid(0, 0); // a group of its own, kept across the exec below
          return yield* libc.execv("show", ["show"]);
        }
        const st = (yield* libc.waitpid(c)).status;
        yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 2);
        return 0;
      },
      [
        {
          name: "show",
          *main() {
            const me = yield* sys.getpid();
            return (yield* sys.getpgrp()) === me && (yield* sys.getsid(0)) === 1 ? 0 : 9;
          },
        },
      ],
    );
  });

  it("spawn inherits the group and session; POSIX_SPAWN_SETPGROUP and SETSID change them in the child", () => {
    const probe = {
      name: "probe",
      *main() {
        // Exit with (pgid == pid) * 2 + (sid == pid): 0 inherited, 2 new group, 3 new session.
        const me = yield* sys.getpid();
        return ((yield* sys.getpgrp()) === me ? 2 : 0) + ((yield* sys.getsid(0)) === me ? 1 : 0);
      },
    };
    expectPasses(
      function* () {
        const codes: number[] = [];
        for (const attr of [{}, { pgroup: 0 }, { setsid: true }]) {
          const pid = yield* libc.spawnv("probe", ["probe"], attr);
          codes.push(WEXITSTATUS((yield* libc.waitpid(pid)).status));
        }
        yield* check(codes.join() === "0,2,3", 1);
        yield* check((yield* libc.spawnv("probe", ["probe"], { pgroup: -2 })) === -Errno.EINVAL, 2);
        yield* check((yield* libc.spawnv("probe", ["probe"], { pgroup: 77 })) === -Errno.EPERM, 3);
        yield* check(
          (yield* libc.spawnv("probe", ["probe"], { pgroup: 0, setsid: true })) === -Errno.EINVAL,
          4,
        );
        return 0;
      },
      [probe],
    );
  });

  it("POSIX_SPAWN_SETSIGDEF gives the child the default action of signals the parent ignores", () => {
    expectPasses(
      function* () {
        yield* sys.sigaction(Sig.SIGINT, 1, 0, 0); // SIG_IGN, inherited by a plain spawn
        const ignoring = yield* libc.spawnv("sleeper");
        const reset = yield* libc.spawnv("sleeper", ["sleeper"], { sigdefault: 1 << Sig.SIGINT });
        for (const pid of [ignoring, reset]) yield* sys.kill(pid, Sig.SIGINT);
        yield* compute(100_000);
        yield* check((yield* sys.waitpid(reset, 0, WaitOptions.WNOHANG)) === reset, 1);
        yield* check((yield* sys.waitpid(ignoring, 0, WaitOptions.WNOHANG)) === 0, 2);
        yield* sys.kill(ignoring, Sig.SIGKILL);
        yield* libc.waitpid(ignoring);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("setpgid(0, 0) makes the caller a group leader; pgid 0 means pid; a child may join the parent's group", () => {
    expectPasses(function* () {
      const c = yield* sys.fork();
      if (c === 0) {
        const me = yield* sys.getpid();
        if ((yield* sys.setpgid(0, 0)) !== 0 || (yield* sys.getpgrp()) !== me) return 1;
        yield* compute(200_000); // the parent moves it back meanwhile
        return (yield* sys.getpgrp()) === 1 ? 0 : 2;
      }
      yield* compute(50_000);
      yield* check((yield* sys.getpgid(c)) === c, 1);
      yield* check((yield* sys.setpgid(c, 1)) === 0, 2); // back into init's group, same session
      const st = (yield* libc.waitpid(c)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 3);
      return 0;
    });
  });

  it("setpgid: ESRCH for a process that is neither the caller nor its child (a grandchild, the parent, no process)", () => {
    expectPasses(function* () {
      const [rd, wr] = yield* libc.pipe();
      const c = yield* sys.fork();
      if (c === 0) {
        const g = yield* sys.fork();
        if (g === 0) {
          yield* compute(200_000);
          return 0;
        }
        yield* libc.write(wr, String(g));
        if ((yield* sys.setpgid(1, 0)) !== -Errno.ESRCH) return 1; // its parent
        yield* libc.waitpid(g);
        return 0;
      }
      const got = yield* libc.read(rd, 16);
      const grandchild = got instanceof Uint8Array ? Number(new TextDecoder().decode(got)) : -1;
      yield* check(grandchild > 0, 1);
      yield* check((yield* sys.setpgid(grandchild, 0)) === -Errno.ESRCH, 2);
      yield* check((yield* sys.setpgid(4242, 0)) === -Errno.ESRCH, 3);
      const st = (yield* libc.waitpid(c)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 4);
      return 0;
    });
  });

  it("setpgid: EACCES for a child that has exec'd, or was spawned (fork + exec)", () => {
    expectPasses(
      function* () {
        const spawned = yield* libc.spawnv("sleeper");
        yield* check((yield* sys.setpgid(spawned, 0)) === -Errno.EACCES, 1);
        const forked = yield* sys.fork();
        if (forked === 0) return yield* libc.execv("sleeper", ["sleeper"]);
        yield* compute(50_000); // it has exec'd by now
        yield* check((yield* sys.setpgid(forked, 0)) === -Errno.EACCES, 2);
        yield* check((yield* sys.getpgid(forked)) === 1 && (yield* sys.getpgid(spawned)) === 1, 3);
        for (const pid of [spawned, forked]) yield* sys.kill(pid, Sig.SIGKILL);
        for (const pid of [spawned, forked]) yield* libc.waitpid(pid);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("setpgid: EPERM for a session leader, a child in another session, or a group of another session; EINVAL for pgid < 0", () => {
    expectPasses(function* () {
      yield* check((yield* sys.setpgid(0, 0)) === -Errno.EPERM, 1); // init leads session 1
      const c = yield* sys.fork();
      if (c === 0) {
        if ((yield* sys.setsid()) !== (yield* sys.getpid())) return 1;
        yield* compute(300_000);
        return 0;
      }
      yield* compute(50_000); // the child is in its own session now
      yield* check((yield* sys.setpgid(c, 0)) === -Errno.EPERM, 2);
      const d = yield* sys.fork();
      if (d === 0) {
        yield* compute(300_000);
        return 0;
      }
      yield* check((yield* sys.setpgid(d, c)) === -Errno.EPERM, 3); // c's group is in c's session
      yield* check((yield* sys.setpgid(d, 999)) === -Errno.EPERM, 4); // no such group
      yield* check((yield* sys.setpgid(d, -5)) === -Errno.EINVAL, 5);
      yield* check((yield* sys.getpgid(d)) === 1, 6); // every refused call left it where it was
      for (const pid of [c, d]) yield* check(WEXITSTATUS((yield* libc.waitpid(pid)).status) === 0, 7);
      return 0;
    });
  });

  it("setsid: EPERM for a group leader; otherwise a new session and group named by the caller, without a terminal", () => {
    expectPasses(function* () {
      yield* check((yield* sys.setsid()) === -Errno.EPERM, 1); // init leads group 1
      const c = yield* sys.fork();
      if (c === 0) {
        const me = yield* sys.getpid();
        if ((yield* sys.setsid()) !== me) return 1;
        if ((yield* sys.getsid(0)) !== me || (yield* sys.getpgrp()) !== me) return 2;
        return (yield* sys.setsid()) === -Errno.EPERM ? 0 : 3; // a group leader now
      }
      const st = (yield* libc.waitpid(c)).status;
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 0, 2);
      yield* check((yield* sys.getsid(0)) === 1, 3);
      return 0;
    });
  });

  it("getpgid and getsid: pid 0 is the caller; ESRCH for no such process; another session's process answers (Linux, no EPERM)", () => {
    expectPasses(function* () {
      yield* check((yield* sys.getpgid(0)) === 1 && (yield* sys.getsid(1)) === 1, 1);
      yield* check((yield* sys.getpgid(321)) === -Errno.ESRCH, 2);
      yield* check((yield* sys.getsid(321)) === -Errno.ESRCH, 3);
      const c = yield* sys.fork();
      if (c === 0) {
        yield* sys.setsid();
        // init is in another session now: POSIX lets getsid refuse with EPERM, Linux answers.
        const ok = (yield* sys.getsid(1)) === 1 && (yield* sys.getpgid(1)) === 1;
        return ok ? 0 : 1;
      }
      yield* check(WEXITSTATUS((yield* libc.waitpid(c)).status) === 0, 4);
      return 0;
    });
  });

  it("kill(-pgid) signals every member of the group and no one else; ESRCH for a group with no member", () => {
    expectPasses(
      function* () {
        const a = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        const b = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: a });
        const other = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        yield* check((yield* sys.kill(-a, Sig.SIGTERM)) === 0, 1);
        for (const pid of [a, b]) {
          const st = (yield* libc.waitpid(pid)).status;
          yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGTERM, 2);
        }
        yield* check((yield* sys.waitpid(other, 0, WaitOptions.WNOHANG)) === 0, 3);
        yield* check((yield* sys.kill(-a, 0)) === -Errno.ESRCH, 4); // all reaped: no group a
        yield* sys.kill(-other, Sig.SIGKILL);
        yield* libc.waitpid(other);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("kill(0, sig) signals the caller's own group, the caller included", () => {
    expectPasses(
      function* () {
        const leader = yield* sys.fork();
        if (leader === 0) {
          yield* sys.setpgid(0, 0);
          const a = yield* libc.spawnv("sleeper"); // inherits the new group
          yield* compute(10_000);
          if ((yield* sys.getpgid(a)) !== (yield* sys.getpid())) return 1;
          yield* sys.kill(0, Sig.SIGTERM); // a and itself
          return 2; // not reached
        }
        const outside = yield* libc.spawnv("sleeper"); // group 1: not hit
        const st = (yield* libc.waitpid(leader)).status;
        yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGTERM, 1);
        yield* check((yield* sys.waitpid(outside, 0, WaitOptions.WNOHANG)) === 0, 2);
        yield* sys.kill(outside, Sig.SIGKILL);
        yield* libc.waitpid(outside);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("kill(-1, sig) signals every process but init and the caller", () => {
    const r = boot(
      function* () {
        const victims = [
          yield* libc.spawnv("sleeper"),
          yield* libc.spawnv("sleeper", ["sleeper"], { setsid: true }),
        ];
        const killer = yield* sys.fork();
        if (killer === 0) {
          if ((yield* sys.kill(-1, Sig.SIGTERM)) !== 0) return 1;
          yield* compute(10_000);
          return 0; // it survived its own kill(-1)
        }
        yield* check(WEXITSTATUS((yield* libc.waitpid(killer)).status) === 0, 1);
        for (const v of victims) {
          const st = (yield* libc.waitpid(v)).status;
          yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGTERM, 2);
        }
        return 0; // init survived too (SIGTERM's default action is dropped for init)
      },
      [{ name: "sleeper", main: sleepForever }],
    );
    expect(r.outcome).toBe("all-exited");
    expect(r.status).toBe(0);
  });

  it("waitpid(-pgid) waits only for children in that group; ECHILD when none is", () => {
    expectPasses(
      function* () {
        const g = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        const quick = yield* sys.fork(); // in init's group
        if (quick === 0) return 5;
        const member = yield* sys.fork();
        if (member === 0) {
          yield* compute(100_000);
          return 6;
        }
        yield* check((yield* sys.setpgid(member, g)) === 0, 1);
        // quick exits first, but it is not in group g: the wait returns member.
        const r = yield* libc.waitpid(-g);
        yield* check(r.pid === member && WEXITSTATUS(r.status) === 6, 2);
        yield* check((yield* sys.waitpid(-g, 0, WaitOptions.WNOHANG)) === 0, 3); // g still runs
        yield* check((yield* sys.waitpid(-4321, 0, 0)) === -Errno.ECHILD, 4);
        yield* sys.kill(g, Sig.SIGKILL);
        yield* check((yield* libc.waitpid(-g)).pid === g, 5);
        yield* check((yield* libc.waitpid(quick)).pid === quick, 6);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("waitpid(0) waits for children in the caller's group only", () => {
    expectPasses(
      function* () {
        const away = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        const home = yield* sys.fork();
        if (home === 0) {
          yield* compute(50_000);
          return 3;
        }
        const r = yield* libc.waitpid(0);
        yield* check(r.pid === home && WEXITSTATUS(r.status) === 3, 1);
        yield* check((yield* sys.waitpid(0, 0, 0)) === -Errno.ECHILD, 2); // away is in its own group
        yield* sys.kill(away, Sig.SIGKILL);
        yield* libc.waitpid(away);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("waitpid(0) waits for the caller's group at the call, even when the caller moves to another while it waits (Linux's kernel_wait4)", () => {
    // P leads group P with child C1; C2 leads group C2. P's second thread moves P into group C2
    // while P's main thread waits in waitpid(0): C2 exits first, but only C1 is in group P.
    const r = boot(function* (s) {
      const p = yield* sys.fork();
      if (p === 0) {
        yield* sys.setpgid(0, 0);
        const c1 = yield* sys.fork();
        if (c1 === 0) {
          yield* compute(400_000);
          return 11;
        }
        const c2 = yield* sys.fork();
        if (c2 === 0) {
          yield* sys.setpgid(0, 0);
          yield* compute(200_000);
          return 22;
        }
        yield* sys.setpgid(c2, c2);
        const mover = s.addressOf(function* () {
          yield* compute(50_000);
          return yield* sys.setpgid(0, c2);
        });
        yield* sys.thread_create(mover, 0, 0, 0);
        const w = yield* libc.waitpid(0);
        yield* check((yield* sys.getpgrp()) === c2, 1); // it did move
        return w.pid === c1 ? 0 : w.pid === c2 ? 2 : 3; // 2 before: the group was read again at the wake-up
      }
      return WEXITSTATUS((yield* libc.waitpid(p)).status);
    });
    expect(r.outcome).toBe("all-exited");
    expect(WEXITSTATUS(r.status)).toBe(0);
  });

  it("an exit that orphans a group with a stopped member sends it SIGHUP then SIGCONT", () => {
    // The middle process leads a session: its job (a stopped group) has it as its only link to the
    // session. When it exits, the job's parent becomes init, outside the session: orphaned.
    expectPasses(
      function* () {
        const mid = yield* sys.fork();
        if (mid === 0) {
          yield* sys.setsid();
          const job = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
          yield* sys.kill(job, Sig.SIGSTOP);
          const st = (yield* libc.waitpid(job, WaitOptions.WUNTRACED)).status;
          return WIFSTOPPED(st) ? job : 0; // exit, leaving the stopped job behind
        }
        const job = WEXITSTATUS((yield* libc.waitpid(mid)).status);
        yield* check(job > 0, 1);
        const st = (yield* libc.waitpid(job)).status; // init reaps the orphan
        yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGHUP, 2);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("an exit that orphans a group with no stopped member sends nothing: a running orphan runs on", () => {
    expectPasses(
      function* () {
        const mid = yield* sys.fork();
        if (mid === 0) {
          yield* sys.setsid();
          return yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 }); // exit, leaving it running
        }
        const job = WEXITSTATUS((yield* libc.waitpid(mid)).status);
        yield* check(job > 0, 1);
        yield* compute(50_000);
        yield* check((yield* sys.waitpid(job, 0, WaitOptions.WNOHANG)) === 0, 2); // alive: no SIGHUP came
        yield* sys.kill(job, Sig.SIGKILL);
        yield* libc.waitpid(job);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("an exit that orphans its own group (it was the group's only link to the session) hangs up a stopped member", () => {
    // Session M: M (group M) → P (leads group P) → Q (group P, stopped). P's parent M is the
    // group's link; when P exits, Q's parent is init, outside the session: Linux's
    // kill_orphaned_pgrp(tsk, NULL) case. Q gets SIGHUP, SIGCONT, and dies of the SIGHUP.
    expectPasses(function* () {
      const m = yield* sys.fork();
      if (m === 0) {
        yield* sys.setsid();
        const p = yield* sys.fork();
        if (p === 0) {
          yield* sys.setpgid(0, 0);
          const q = yield* sys.fork();
          if (q === 0) return yield* sleepForever();
          yield* sys.kill(q, Sig.SIGSTOP);
          const st = (yield* libc.waitpid(q, WaitOptions.WUNTRACED)).status;
          return WIFSTOPPED(st) ? 0 : 1;
        }
        yield* libc.waitpid(p);
        yield* compute(50_000); // M stays in the session while Q is hung up
        return 0;
      }
      let hungUp = 0;
      for (let r = yield* libc.waitpid(-1); r.pid > 0; r = yield* libc.waitpid(-1))
        if (WIFSIGNALED(r.status) && WTERMSIG(r.status) === Sig.SIGHUP) hungUp++;
        else yield* check(WIFEXITED(r.status) && WEXITSTATUS(r.status) === 0, 1);
      yield* check(hungUp === 1, 2);
      return 0;
    });
  });

  it("an exit that leaves a stopped group with a parent in the session sends nothing", () => {
    expectPasses(
      function* () {
        const job = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        yield* sys.kill(job, Sig.SIGSTOP);
        const quick = yield* sys.fork(); // exits while init, the job's parent, stays in session 1
        if (quick === 0) return 0;
        yield* libc.waitpid(quick);
        yield* compute(50_000);
        const r = yield* sys.waitpid(job, 0, WaitOptions.WNOHANG | WaitOptions.WUNTRACED);
        yield* check(r === job, 1); // its stop is still there to report: no SIGCONT came
        yield* sys.kill(job, Sig.SIGKILL);
        yield* libc.waitpid(job);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
    );
  });

  it("zombies and init in group kills: a zombie-only group answers kill(-g) with 0 and keeps its pgid; kill(0) in init's group spares init", () => {
    expectPasses(function* () {
      const z = yield* sys.fork();
      if (z === 0) {
        yield* sys.setpgid(0, 0);
        return 5;
      }
      yield* compute(50_000); // z is a zombie now, not yet reaped
      yield* check((yield* sys.kill(-z, Sig.SIGTERM)) === 0, 1); // Linux: a zombie is still in its group
      yield* check((yield* sys.getpgid(z)) === z, 2);
      const st = (yield* libc.waitpid(-z)).status; // and waitpid(-g) finds it there
      yield* check(WIFEXITED(st) && WEXITSTATUS(st) === 5, 3);
      yield* check((yield* sys.kill(-z, 0)) === -Errno.ESRCH, 4); // reaped: the group is gone
      // A child in init's group sends SIGTERM to its whole group: it dies, init (default action) does not.
      const c = yield* sys.fork();
      if (c === 0) {
        yield* sys.kill(0, Sig.SIGTERM);
        return yield* sleepForever();
      }
      const cs = (yield* libc.waitpid(c)).status;
      yield* check(WIFSIGNALED(cs) && WTERMSIG(cs) === Sig.SIGTERM, 5);
      return 0;
    });
  });

  it("groupMembers lists a group's live and zombie members in pid order", () => {
    const r = boot(
      function* () {
        const a = yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: 0 });
        yield* libc.spawnv("sleeper", ["sleeper"], { pgroup: a });
        yield* compute(50_000);
        return 0;
      },
      [{ name: "sleeper", main: sleepForever }],
      { paranoid: false },
    );
    // init exited; its children live on under pid 0 in group 2.
    expect(groupMembers(r.k, 2).map((p) => p.pid)).toEqual([2, 3]);
    r.k.shutdown();
  });
});
