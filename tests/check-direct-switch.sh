#!/usr/bin/env bash
# check-direct-switch.sh — the per-item blocking calls reach the stack
# switch themselves, with no frame of agen's in between: after a switch
# every return up a frame is mispredicted (docs/design.md, "Few frames
# around a switch"), and the figures in docs/performance.md depend on it.
#
# usage: check-direct-switch.sh LIBAGEN_SO
set -euo pipefail

lib=$1
echo "1..1"

if ! command -v objdump > /dev/null 2>&1; then
  echo "ok 1 /Agen/DirectSwitch # SKIP objdump not found"
  exit 0
fi

disassembly=$(objdump -d --no-show-raw-insn "$lib")
if ! grep -q "<agen_switch_swap>:" <<< "$disassembly"; then
  echo "ok 1 /Agen/DirectSwitch # SKIP no assembly switch in this build (ucontext)"
  exit 0
fi

missing=()
# The typed yields and reads of agen-values.h too: they are per-item
# calls as well.
typed="int uint int64 double boolean string object pointer"
for fn in agen_generator_next agen_generator_send agen_generator_throw \
          agen_generator_close agen_generator_yield \
          $(for t in $typed; do echo "agen_generator_yield_$t agen_generator_next_$t"; done) \
          agen_generator_take_string agen_generator_take_object \
          agen_generator_yield_boxed agen_generator_next_boxed; do
  body=$(awk "/<$fn>:/,/^\$/" <<< "$disassembly")
  if ! grep -q "call.*<agen_switch_swap>" <<< "$body"; then
    missing+=("$fn")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "# these call the switch through another function: ${missing[*]}"
  echo "not ok 1 /Agen/DirectSwitch"
  exit 1
fi
echo "ok 1 /Agen/DirectSwitch"
