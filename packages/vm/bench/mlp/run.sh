#!/usr/bin/env bash
# Why the COW fork's writes trail C (vm README, "Speed: copy-on-write fork"): two experiments, in
# C and JavaScript, on this machine. Needs gcc and ../shared/baselines (or BASELINES=...), as
# `pnpm run bench:baselines` does. Takes about a minute. Prints JSON lines.
#
# 1. spaced-loads.{c,ts}: independent random loads from a 540 MiB buffer with N serial
#    multiply-adds between them. The more instructions between two loads, the fewer of their
#    cache misses the CPU overlaps (its reorder window); the same work is more instructions in V8.
# 2. cowfork.c padded with N `nop`s after each copy-on-write page copy (each nop takes a
#    reorder-buffer slot and almost no time): the padding alone costs C much of its lead, because
#    the next write's first misses no longer start while the current page is still being copied.
#
#   bash packages/vm/bench/mlp/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
baselines="${BASELINES:-$root/../shared/baselines}"
[ -f "$baselines/c/cowfork.c" ] || { echo "run.sh: no baselines at $baselines (set BASELINES=...)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gcc -O2 -o "$work/spaced-loads" "$here/spaced-loads.c"
"$work/spaced-loads"
(cd "$root" && pnpm -s tsx packages/vm/bench/mlp/spaced-loads.ts)

cp "$baselines/c/cowfork.c" "$baselines/c/common.h" "$work/"
line='memcpy(mem + ((uint64_t)nf << 12), mem + t, 4096);'
grep -qF "$line" "$work/cowfork.c" || { echo "run.sh: cowfork.c has no COW page copy line to pad" >&2; exit 2; }
for n in 0 256 512 1024; do
  awk -v n="$n" -v pat="$line" '{
    if (index($0, pat)) print $0 " __asm__ volatile(\".rept " n "\\n\\tnop\\n\\t.endr\");"
    else print
  }' "$work/cowfork.c" > "$work/cowfork-$n.c"
  gcc -O2 -I"$work" -o "$work/cowfork-$n" "$work/cowfork-$n.c"
done
for run in 1 2; do
  for n in 0 256 512 1024; do
    ops=$("$work/cowfork-$n" | sed -n 's/.*"cow_fork":{[^}]*"ops_per_s":\([0-9.]*\).*/\1/p')
    echo "{\"impl\":\"c\",\"bench\":\"cowfork\",\"nops_after_each_page_copy\":$n,\"run\":$run,\"cow_fork_ops_per_s\":$ops}"
  done
done
