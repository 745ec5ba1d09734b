#!/usr/bin/env bash
# per-item.sh — instructions (callgrind) or heap allocations (memcheck) per
# item of a benchmark program, from two runs of N and 2N items: the
# difference cancels start-up, warm-up and tear-down, which a single run
# would smear over the items.
#
# usage: per-item.sh [-o OPTION] [-m ITEMS_PER_UNIT] instr|allocs N PROGRAM [ARGS...]
#
#   instr   valgrind --tool=callgrind, total instructions (Ir)
#   allocs  valgrind --tool=memcheck, "total heap usage" allocs, with
#           G_SLICE=always-malloc so that GLib's slice allocations count too
#
# PROGRAM runs as `PROGRAM ARGS --once OPTION N` (OPTION defaults to
# --iterations); pass --variant NAME in ARGS to measure one variant. When
# one unit of OPTION is several items (b6-pipes: --items K counts per
# pipe), -m gives the items per unit (the number of pipes).
#
# Example:
#   bench/per-item.sh instr 20000 build-bench/bench/b1-async-next --variant agen
set -euo pipefail

option=--iterations
per_unit=1
while getopts "o:m:" opt; do
  case $opt in
    o) option=$OPTARG ;;
    m) per_unit=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [ $# -lt 3 ]; then
  sed -n '2,20s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi

mode=$1 n=$2 program=$3
shift 3

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Prints the count for one run of n units.
measure () {
  local units=$1

  case $mode in
    instr)
      valgrind --tool=callgrind --callgrind-out-file="$scratch/cg.$units" \
        "$program" "$@" --once "$option" "$units" >"$scratch/out.$units" 2>&1 ||
        { cat "$scratch/out.$units" >&2; exit 1; }
      # "summary: N" (or "totals: N" in older versions) is the Ir total.
      sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$scratch/cg.$units" | head -n 1
      ;;
    allocs)
      G_SLICE=always-malloc valgrind --tool=memcheck \
        "$program" "$@" --once "$option" "$units" >"$scratch/out.$units" 2>&1 ||
        { cat "$scratch/out.$units" >&2; exit 1; }
      sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$scratch/out.$units" | tr -d ,
      ;;
    *)
      echo "mode must be instr or allocs" >&2
      exit 2
      ;;
  esac
}

one=$(measure "$n" "$@")
two=$(measure $((2 * n)) "$@")
items=$((n * per_unit))

awk -v one="$one" -v two="$two" -v items="$items" -v mode="$mode" 'BEGIN {
  printf "%s: %d at N, %d at 2N, N = %d items: %.1f per item\n",
         mode, one, two, items, (two - one) / items
}'
