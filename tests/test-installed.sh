#!/usr/bin/env bash
# test-installed.sh — install the library into a scratch prefix and build a
# third-party program against it with nothing but pkg-config, as a user
# would: the installed headers, agen-1.pc and libagen-1.so must suffice.
#
# usage: test-installed.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

source_dir=$1
build_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "1..1"

# A fresh configure with the scratch prefix, so the .pc file points there.
meson setup "$scratch/build" "$source_dir" --prefix="$scratch/prefix" \
  --libdir=lib -Dtests=false -Dexamples=false -Dbenchmarks=false >"$scratch/setup.log" 2>&1 ||
  { cat "$scratch/setup.log"; echo "not ok 1 - configure"; exit 1; }
meson install -C "$scratch/build" >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log"; echo "not ok 1 - install"; exit 1; }

export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
cc -o "$scratch/consumer" "$source_dir/tests/installed/consumer.c" \
  $(pkg-config --cflags --libs agen-1) ||
  { echo "not ok 1 - compile against the installed prefix"; exit 1; }

LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/consumer" >"$scratch/run.log" 2>&1 ||
  { sed 's/^/# /' "$scratch/run.log"; echo "not ok 1 - run"; exit 1; }
sed 's/^/# /' "$scratch/run.log"

echo "ok 1 /Agen/Installed/pkg-config-consumer"
