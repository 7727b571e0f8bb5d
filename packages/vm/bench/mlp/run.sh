#!/usr/bin/env bash
# Why the COW fork's writes trail C (vm README, "Speed: copy-on-write fork"): three experiments, in
# C and JavaScript, on this machine. Needs gcc and ../shared/baselines (or BASELINES=...), as
# `pnpm run bench:baselines` does. Takes about two minutes. Prints JSON lines.
#
# 1. page-copy.{c,ts}: the 4 KiB page copy alone, from cold random frames. C's inline copy, glibc's
#    memmove (what V8's copyWithin ends in) and copyWithin cost about the same: the copy itself is
#    not where the writes lose.
# 2. spaced-loads.{c,ts}: independent random loads from a 540 MiB buffer with N serial
#    multiply-adds between them. The more instructions between two loads, the fewer of their
#    cache misses the CPU overlaps (its reorder window); the same work is more instructions in V8.
# 3. the baseline's cowfork.c with its COW page copy changed, one change per program:
#    - N `nop`s after the copy (each nop takes a reorder-buffer slot and almost no time): the
#      padding alone costs C much of its lead, because the next write's first misses no longer
#      start while the current page is still being copied;
#    - an `lfence` just before or just after the copy (nothing later starts until everything before
#      has finished): which side of the copy C overlaps with other work, and how much that is worth;
#    - the copy through glibc's memmove, called through a pointer, instead of gcc's inline copy:
#      the routine V8 uses, no slower.
#
#   bash packages/vm/bench/mlp/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
baselines="${BASELINES:-$root/../shared/baselines}"
[ -f "$baselines/c/cowfork.c" ] || { echo "run.sh: no baselines at $baselines (set BASELINES=...)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gcc -O2 -o "$work/page-copy" "$here/page-copy.c"
"$work/page-copy"
(cd "$root" && pnpm -s tsx packages/vm/bench/mlp/page-copy.ts)

gcc -O2 -o "$work/spaced-loads" "$here/spaced-loads.c"
"$work/spaced-loads"
(cd "$root" && pnpm -s tsx packages/vm/bench/mlp/spaced-loads.ts)

cp "$baselines/c/cowfork.c" "$baselines/c/common.h" "$work/"
line='memcpy(mem + ((uint64_t)nf << 12), mem + t, 4096);'
grep -qF "$line" "$work/cowfork.c" || { echo "run.sh: cowfork.c has no COW page copy line to change" >&2; exit 2; }
# variant NAME REPLACEMENT: cowfork.c with the COW page copy line replaced, built as cowfork-NAME.
variant() {
  # (through ENVIRON, not -v: awk would turn the \n of an asm string into a newline)
  PAT="$line" REP="$2" awk '{ if (index($0, ENVIRON["PAT"])) print ENVIRON["REP"]; else print }' \
    "$work/cowfork.c" > "$work/cowfork-$1.c"
  gcc -O2 -I"$work" -o "$work/cowfork-$1" "$work/cowfork-$1.c"
}
variant as-is "$line"
for n in 256 512 1024; do
  variant "nop$n" "$line __asm__ volatile(\".rept $n\\n\\tnop\\n\\t.endr\");"
done
variant lfence-before "__asm__ volatile(\"lfence\" ::: \"memory\"); $line"
variant lfence-after "$line __asm__ volatile(\"lfence\" ::: \"memory\");"
variant glibc-memmove "{ void *(*volatile mv)(void *, const void *, size_t) = memmove; mv(mem + ((uint64_t)nf << 12), mem + t, 4096); }"
for run in 1 2 3; do
  for v in as-is nop256 nop512 nop1024 lfence-before lfence-after glibc-memmove; do
    ops=$("$work/cowfork-$v" | sed -n 's/.*"cow_fork":{[^}]*"ops_per_s":\([0-9.]*\).*/\1/p')
    echo "{\"impl\":\"c\",\"bench\":\"cowfork\",\"page_copy\":\"$v\",\"run\":$run,\"cow_fork_ops_per_s\":$ops}"
  done
done
