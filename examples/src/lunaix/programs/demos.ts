/**
 * The demo programs: each shows one mechanism of the design and prints the facts it observed, so
 * a reader (and the tests) can check them.
 *
 * | program    | shows                                                                            |
 * | ---------- | -------------------------------------------------------------------------------- |
 * | `forkcow`  | fork shares private pages copy-on-write: the child's writes copy only its pages  |
 * | `forkloop` | sysrate.c's fork loop, as in C or with a checkpoint per turn (`forks` shows the cost) |
 * | `prodcons` | pthreads (`@osbricks/runtime`): a bounded buffer with a mutex and two condvars   |
 * | `memdemo`  | mmap, munmap splitting an area, mprotect, SIGSEGV children, guard page, hints    |
 * | `fsdemo`   | the file system: mkdir, open, write, lseek, read, readdir, unlink while open     |
 * | `sigdemo`  | signals: a handler for SIGUSR1 (from itself and a child), SIGTERM, SIGKILL rules |
 * | `crash`    | a program with a bug (a JavaScript exception): the kernel kills it, all else runs |
 * | `deadlock` | two threads, two mutexes, opposite orders: the run loop reports the hang          |
 *
 * Results are fixed by the program (sums, page counts, statuses), never by the interleaving, so a
 * run with another seed or policy prints the same lines.
 *
 * Related: `sh.ts` (runs them), `../../../scripts/demo.sh` (the demo script).
 */
import {
  checkpoint,
  errorName,
  MapFlags,
  mem,
  type ProcessStart,
  Prot,
  SaFlags,
  Sig,
  signalName,
  USER_STACK_TOP,
  type UserCode,
  WEXITSTATUS,
  Whence,
  WIFSIGNALED,
  WTERMSIG,
} from "@osbricks/kernel";
import {
  condBroadcast,
  condInit,
  condSignal,
  condWait,
  mutexInit,
  mutexLock,
  mutexUnlock,
  type Pthread,
  pthreadMain,
} from "@osbricks/runtime";
import { OpenFlags } from "../fs/file.js";
import { lunaixStubs as sys } from "../personality.js";
import { describeStatus, UserIo } from "./ulib.js";

const PAGE = 4096;
/** Stack pages every program of /bin gets (kernel.ts registers them with this many). */
export const STACK_PAGES = 16;

/** `forkcow`: 16 private pages, a fork, the child writes 4 of them; both sides check. */
export function* forkcowMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const PAGES = 16;
  const WRITTEN = 4;
  const a = yield* sys.mmap(0, PAGES * PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  if (a < 0) return 1;
  for (let i = 0; i < PAGES; i++) yield* mem.store32(a + i * PAGE, 100 * i);
  yield* io.print(`forkcow: parent filled ${PAGES} private pages (page i holds 100*i)\n`);
  const pid = yield* sys.fork();
  if (pid < 0) return 1;
  if (pid === 0) {
    for (let i = 0; i < WRITTEN; i++) yield* mem.store32(a + i * PAGE, 9999);
    let changed = 0;
    let same = 0;
    for (let i = 0; i < PAGES; i++) {
      const v = yield* mem.load32(a + i * PAGE);
      if (v === 9999) changed++;
      else if (v === 100 * i) same++;
    }
    yield* io.print(
      `forkcow: child wrote ${WRITTEN} pages; it sees ${changed} changed and ${same} unchanged\n`,
    );
    return changed === WRITTEN && same === PAGES - WRITTEN ? 0 : 1;
  }
  const r = yield* io.waitpid(pid);
  let intact = 0;
  for (let i = 0; i < PAGES; i++) if ((yield* mem.load32(a + i * PAGE)) === 100 * i) intact++;
  yield* io.print(
    `forkcow: child ${describeStatus(r.status, signalName)}; parent still sees its own values in ${intact}/${PAGES} pages\n`,
  );
  return intact === PAGES && r.status === 0 ? 0 : 1;
}

/**
 * `forkloop [-c] [n]`: sysrate.c's loop, `for (i = 0; i < n; i++) { p = fork(); if (p == 0)
 * _exit(i); waitpid(p, &st, 0); }` (n = 40 by default, statuses checked). Fork rebuilds each child
 * by replaying the parent's history, so as written in C the i-th fork replays about 3i values;
 * with `-c` the loop declares a checkpoint at the top of each turn (its state: i and the count of
 * wrong statuses; n, the mode and the status word's address are constants of the closure) and
 * every fork replays 2. The shell's `forks` inspector shows the difference.
 */
export function* forkloopMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const args = start.argv.slice(1);
  const withCheckpoint = args[0] === "-c";
  const n = Number(args[withCheckpoint ? 1 : 0] ?? "40");
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    yield* io.print("forkloop: usage: forkloop [-c] [n] (1 <= n <= 1000)\n");
    return 2;
  }
  const st = yield* sys.mmap(0, PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0); // the `int st`
  if (st < 0) return 1;
  // The rest of the program is `turns`, so that with -c it can name itself as the continuation.
  // It uses no UserIo during the loop: a checkpoint's continuation is shared by parent and child,
  // and a UserIo keeps JavaScript state (its arena's top) that each process must have its own of.
  function* turns(i: number, bad: number): UserCode<number> {
    for (; i < n; i++) {
      if (withCheckpoint) yield* checkpoint(turns, i, bad);
      const pid = yield* sys.fork();
      if (pid < 0) return 1;
      if (pid === 0) return i & 0x7f; // the child: main returning is exit
      yield* sys.waitpid(pid, st, 0);
      if (WEXITSTATUS(yield* mem.load32(st)) !== (i & 0x7f)) bad++;
    }
    const out = yield* UserIo.create();
    const how = withCheckpoint ? "with a checkpoint per turn" : "as written in C";
    yield* out.print(
      `forkloop: ${n} forks ${how}; ${bad === 0 ? "every child's status right" : `${bad} wrong statuses`}\n`,
    );
    return bad === 0 ? 0 : 1;
  }
  return yield* turns(0, 0);
}

// The shared state of prodcons, in one anonymous page (every byte of it in simulated memory).
const MUTEX = 0;
const NOT_EMPTY = 32;
const NOT_FULL = 64;
const COUNT = 96;
const HEAD = 100;
const TAIL = 104;
const RING = 128;
const SLOTS = 8;
const ITEMS = 50;
const PRODUCERS = 2;
const CONSUMERS = 2;

/** Put `v` in the ring, waiting while it is full. */
function* put(self: Pthread, b: number, v: number): UserCode<void> {
  yield* mutexLock(self, b + MUTEX);
  while ((yield* mem.load32(b + COUNT)) === SLOTS) yield* condWait(self, b + NOT_FULL, b + MUTEX);
  const tail = yield* mem.load32(b + TAIL);
  yield* mem.store32(b + RING + 4 * tail, v);
  yield* mem.store32(b + TAIL, (tail + 1) % SLOTS);
  yield* mem.store32(b + COUNT, (yield* mem.load32(b + COUNT)) + 1);
  yield* condSignal(b + NOT_EMPTY);
  yield* mutexUnlock(self, b + MUTEX);
}

/** Take a value from the ring, waiting while it is empty. */
function* take(self: Pthread, b: number): UserCode<number> {
  yield* mutexLock(self, b + MUTEX);
  while ((yield* mem.load32(b + COUNT)) === 0) yield* condWait(self, b + NOT_EMPTY, b + MUTEX);
  const head = yield* mem.load32(b + HEAD);
  const v = yield* mem.load32(b + RING + 4 * head);
  yield* mem.store32(b + HEAD, (head + 1) % SLOTS);
  yield* mem.store32(b + COUNT, (yield* mem.load32(b + COUNT)) - 1);
  yield* condSignal(b + NOT_FULL);
  yield* mutexUnlock(self, b + MUTEX);
  return v;
}

/** `prodcons`: 2 producers × 50 items through an 8-slot ring to 2 consumers; 0 ends a consumer. */
export const prodconsMain = pthreadMain(function* prodcons(self: Pthread): UserCode<number> {
  const io = yield* UserIo.create();
  const b = yield* sys.mmap(0, PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  if (b < 0) return 1;
  yield* mutexInit(b + MUTEX);
  yield* condInit(b + NOT_EMPTY);
  yield* condInit(b + NOT_FULL);
  const consumers: number[] = [];
  for (let i = 0; i < CONSUMERS; i++) {
    const c = yield* self.create(function* consumer(t: Pthread) {
      let sum = 0;
      let n = 0;
      for (;;) {
        const v = yield* take(t, b);
        if (v === 0) return sum * 1000 + n; // two results in one exit value
        sum += v;
        n++;
        yield* sys.sched_yield(); // let the others in: more interleaving, same result
      }
    });
    if (c.error !== 0) return 1;
    consumers.push(c.thread);
  }
  const producers: number[] = [];
  for (let i = 0; i < PRODUCERS; i++) {
    const p = yield* self.create(function* producer(t: Pthread) {
      for (let v = 1; v <= ITEMS; v++) yield* put(t, b, v);
      return 0;
    });
    if (p.error !== 0) return 1;
    producers.push(p.thread);
  }
  for (const p of producers) yield* self.join(p);
  for (let i = 0; i < CONSUMERS; i++) yield* put(self, b, 0);
  yield* condBroadcast(b + NOT_EMPTY);
  let sum = 0;
  let items = 0;
  for (const c of consumers) {
    const r = yield* self.join(c);
    sum += Math.floor(r.value / 1000);
    items += r.value % 1000;
  }
  const expected = (PRODUCERS * ITEMS * (ITEMS + 1)) / 2;
  yield* io.print(
    `prodcons: ${PRODUCERS} producers x ${ITEMS} items through a ring of ${SLOTS} slots (mutex + 2 condition variables)\n`,
  );
  yield* io.print(`prodcons: consumers took ${items} items, sum ${sum} (expected ${expected})\n`);
  return sum === expected && items === PRODUCERS * ITEMS ? 0 : 1;
});

/** The lines of `vmrs <pid>` whose area overlaps [lo, hi) (neighbouring anonymous areas may have merged). */
function* areasIn(io: UserIo, pid: number, lo: number, hi: number): UserCode<string[]> {
  const report = yield* io.lunadbg(`vmrs ${pid}`);
  return report
    .split("\n")
    .filter((l) => /^[0-9a-f]{10}-/.test(l))
    .filter((l) => {
      const [start, end] = l
        .split(" ")[0]!
        .split("-")
        .map((h) => Number.parseInt(h, 16)) as [number, number];
      return start < hi && end > lo;
    });
}

/** Fork a child that runs `body`; the child's wait status. */
function* inChild(io: UserIo, body: () => UserCode<void>): UserCode<number> {
  const pid = yield* sys.fork();
  if (pid === 0) {
    yield* body();
    return -1; // unreachable when the body faults as intended
  }
  return (yield* io.waitpid(pid)).status;
}

/**
 * `memdemo`: mmap 4 pages, munmap the second (a split), mprotect the last two, fault on purpose
 * (read-only page, the hole, the stack's guard page), and hinted placement.
 */
export function* memdemoMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const pid = yield* sys.getpid();
  const a = yield* sys.mmap(0, 4 * PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  if (a < 0) return 1;
  for (let i = 0; i < 4; i++) yield* mem.store32(a + i * PAGE, i + 1);
  const hex = (v: number) => `0x${v.toString(16)}`;
  yield* io.print(`memdemo: mmap 4 pages at ${hex(a)}, each written once\n`);
  yield* io.print(`${(yield* areasIn(io, pid, a, a + 4 * PAGE)).map((l) => `  ${l}`).join("\n")}\n`);
  yield* sys.munmap(a + PAGE, PAGE);
  const split = yield* areasIn(io, pid, a, a + 4 * PAGE);
  yield* io.print(`memdemo: munmap of page 1 split the area in ${split.length}\n`);
  const r = yield* sys.mprotect(a + 2 * PAGE, 2 * PAGE, Prot.PROT_READ);
  const areas = yield* areasIn(io, pid, a, a + 4 * PAGE);
  yield* io.print(`memdemo: mprotect(pages 2-3, PROT_READ) = ${r}; areas now:\n`);
  yield* io.print(`${areas.map((l) => `  ${l}`).join("\n")}\n`);
  const still = yield* mem.load32(a + 2 * PAGE);
  yield* io.print(`memdemo: reading the read-only page still works: ${still}\n`);
  const w = yield* inChild(io, function* () {
    yield* mem.store32(a + 2 * PAGE, 7); // a write to a read-only page: SEGV_ACCERR
  });
  yield* io.print(`memdemo: child writing the read-only page: ${describeStatus(w, signalName)}\n`);
  const h = yield* inChild(io, function* () {
    yield* mem.load32(a + PAGE); // the hole munmap left: SEGV_MAPERR
  });
  yield* io.print(`memdemo: child reading the unmapped hole: ${describeStatus(h, signalName)}\n`);
  // Every stack has an unmapped guard page below it: running off the bottom faults there.
  const g = yield* inChild(io, function* () {
    yield* mem.store32(USER_STACK_TOP - (STACK_PAGES + 1) * PAGE, 1);
  });
  yield* io.print(
    `memdemo: child touching the page below its stack (the guard): ${describeStatus(g, signalName)}\n`,
  );
  // Hinted placement (Lunaix's): the hint when it is free, else the first fit above it.
  const HINT = 0x2000_0000_00;
  const h1 = yield* sys.mmap(HINT, PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  const h2 = yield* sys.mmap(HINT, PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  yield* io.print(
    `memdemo: mmap(hint ${hex(HINT)}) = ${hex(h1)}; the same hint again = ${hex(h2)} (first fit above)\n`,
  );
  const ok = split.length === 2 && r === 0 && still === 3 && h1 === HINT && h2 > HINT;
  const segv = (s: number) => WIFSIGNALED(s) && WTERMSIG(s) === 11;
  return ok && segv(w) && segv(h) && segv(g) ? 0 : 1;
}

const enc = new TextEncoder();

/** `fsdemo`: the file-system calls, step by step, with the answers the kernel gave. */
export function* fsdemoMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const say = (s: string) => io.print(`fsdemo: ${s}\n`);
  let failures = 0;
  const expect = function* (what: string, got: number | string, want: number | string): UserCode<void> {
    const shown = typeof got === "number" && got < 0 ? errorName(got) : String(got);
    yield* say(`${what} -> ${shown}`);
    if (got !== want) failures++;
  };
  yield* expect("mkdir /tmp/demo", yield* io.pathCall("mkdir", "/tmp/demo"), 0);
  const fd = yield* io.open("/tmp/demo/notes.txt", OpenFlags.O_RDWR | OpenFlags.O_CREAT);
  yield* expect("open /tmp/demo/notes.txt O_RDWR|O_CREAT", fd >= 0 ? "fd" : fd, "fd");
  yield* expect("write 'hello, lunaix\\n'", yield* io.write(fd, "hello, lunaix\n"), 14);
  yield* expect("lseek(fd, 7, SEEK_SET)", yield* sys.lseek(fd, 7, Whence.SEEK_SET), 7);
  const six = yield* io.read(fd, 6);
  yield* expect("read 6 bytes", typeof six === "number" ? six : new TextDecoder().decode(six), "lunaix");
  yield* expect("lseek(fd, 0, SEEK_END)", yield* sys.lseek(fd, 0, Whence.SEEK_END), 14);
  yield* io.write(fd, enc.encode("second line\n"));
  const list = yield* io.readdir("/tmp/demo");
  const names = typeof list === "number" ? errorName(list) : list.map((e) => e.name).join(" ");
  yield* expect("readdir /tmp/demo", names, ". .. notes.txt");
  yield* expect("mkdir /tmp/demo again", yield* io.pathCall("mkdir", "/tmp/demo"), -17);
  yield* expect("rmdir /tmp/demo (not empty)", yield* io.pathCall("rmdir", "/tmp/demo"), -39);
  yield* expect("unlink notes.txt while open", yield* io.pathCall("unlink", "/tmp/demo/notes.txt"), 0);
  yield* sys.lseek(fd, 0, Whence.SEEK_SET);
  const all = yield* io.readAll(fd);
  yield* expect("read it all through the open fd", typeof all === "number" ? all : all.length, 26);
  const st = yield* io.fstat(fd);
  yield* expect(
    "fstat(fd): links and size",
    typeof st === "number" ? st : `st_nlink ${st.nlink}, st_size ${st.size}`,
    "st_nlink 0, st_size 26",
  );
  yield* expect("open it by name now", yield* io.open("/tmp/demo/notes.txt", OpenFlags.O_RDONLY), -2);
  yield* sys.close(fd); // the last descriptor: the kernel releases the file, and its frames go
  yield* expect("rmdir /tmp/demo", yield* io.pathCall("rmdir", "/tmp/demo"), 0);
  yield* say(failures === 0 ? "all answers as POSIX specifies" : `${failures} unexpected answers`);
  return failures === 0 ? 0 : 1;
}

/** Where sigdemo keeps its counter: one page mapped MAP_FIXED, so the handler knows the address. */
const SIG_PAGE = 0x3000_0000_00;

/** sigdemo's SIGUSR1 handler: count the delivery in memory (handlers run as user code, on the thread). */
function* onUsr1(_sig: number): UserCode<void> {
  yield* mem.store32(SIG_PAGE, (yield* mem.load32(SIG_PAGE)) + 1);
}

/** `sigdemo`: a handler, a signal from a child, default actions, and what cannot be caught. */
export function* sigdemoMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const rw = Prot.PROT_READ | Prot.PROT_WRITE;
  const flags = MapFlags.MAP_PRIVATE | MapFlags.MAP_ANONYMOUS | MapFlags.MAP_FIXED;
  if ((yield* sys.mmap(SIG_PAGE, PAGE, rw, flags, -1, 0)) !== SIG_PAGE) return 1;
  // SA_RESTART: a waitpid interrupted by the handler starts again instead of failing with EINTR.
  yield* sys.sigaction(Sig.SIGUSR1, start.addressOf(onUsr1), 0, SaFlags.SA_RESTART);
  yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
  yield* io.print(`sigdemo: SIGUSR1 to itself: the handler ran ${yield* mem.load32(SIG_PAGE)} time(s)\n`);
  const child = yield* sys.fork();
  if (child === 0) {
    yield* sys.kill(yield* sys.getppid(), Sig.SIGUSR1);
    return 0;
  }
  yield* io.waitpid(child);
  yield* io.print(
    `sigdemo: SIGUSR1 from a child: the handler has run ${yield* mem.load32(SIG_PAGE)} time(s)\n`,
  );
  const sleeper = yield* sys.fork();
  if (sleeper === 0) {
    for (;;) yield* sys.nanosleep(1_000_000); // until someone ends it
  }
  yield* sys.kill(sleeper, Sig.SIGTERM);
  const st = yield* io.waitpid(sleeper);
  yield* io.print(`sigdemo: SIGTERM to a sleeping child: ${describeStatus(st.status, signalName)}\n`);
  const r = yield* sys.sigaction(Sig.SIGKILL, start.addressOf(onUsr1), 0, 0);
  yield* io.print(`sigdemo: sigaction(SIGKILL, handler) -> ${errorName(r)} (SIGKILL cannot be caught)\n`);
  const count = yield* mem.load32(SIG_PAGE);
  return count === 2 && WTERMSIG(st.status) === Sig.SIGTERM && r < 0 ? 0 : 1;
}

/**
 * `deadlock`: two threads take two mutexes in opposite orders (the classic ABBA deadlock). Every
 * user thread ends up blocked for good; the kernel's run loop notices that nothing can wake them,
 * reports it and shuts the machine down. Not in the demo script, since it ends the session.
 */
export const deadlockMain = pthreadMain(function* deadlock(self: Pthread): UserCode<number> {
  const io = yield* UserIo.create();
  const m = yield* sys.mmap(0, PAGE, Prot.PROT_READ | Prot.PROT_WRITE, 0x22, -1, 0);
  if (m < 0) return 1;
  const A = m;
  const B = m + 32;
  yield* io.print("deadlock: thread 1 takes A then B, thread 2 takes B then A\n");
  const taker = (first: number, second: number) =>
    function* (t: Pthread): UserCode<number> {
      yield* mutexLock(t, first);
      yield* sys.sched_yield(); // let the other thread take its first mutex
      yield* sys.nanosleep(20_000);
      yield* mutexLock(t, second); // never returns
      return 0;
    };
  const t1 = yield* self.create(taker(A, B));
  const t2 = yield* self.create(taker(B, A));
  yield* self.join(t1.thread);
  yield* self.join(t2.thread);
  return 0;
});

/** `crash`: a program with a bug. The kernel reports it, kills the process, and runs on. */
export function* crashMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  yield* io.print("crash: about to dereference a broken pointer\n");
  const table: Record<string, { length: number }> = {};
  const broken = table.missing as { length: number };
  return broken.length; // TypeError: a bug in user code, not in the kernel
}
