#!/usr/bin/env bash
# test-installed.sh — install the library into a scratch prefix and use it
# from there as a user would, with nothing but what README.md names ("Using
# an installed agen"):
#
#   1. a C program built with pkg-config alone: the installed headers,
#      agen-1.pc and libagen-1.so must suffice;
#   2. the introspection data and the vapi are installed where the tools
#      look for them: Agen-1.0.typelib, Agen-1.0.gir, agen-1.vapi and
#      agen-1.deps (if BUILD_DIR generated them, as the scratch build then
#      does too);
#   3. Python (Debian's /usr/bin/python3 with python3-gi) imports Agen with
#      only GI_TYPELIB_PATH and LD_LIBRARY_PATH set, and drives a generator
#      made with Agen.Generator.new_driven;
#   4. the same from GJS (gjs -c);
#   5. a Vala program built with valac --vapidir --pkg agen-1 and
#      PKG_CONFIG_PATH, which must compile without a warning, and runs; and
#      built again with XDG_DATA_DIRS instead of --vapidir;
#   6. a `gjs -m` script (tests/installed/consumer-gjs.js) that gets the
#      override (bindings/gjs) from the prefix through XDG_DATA_DIRS: for
#      await over a C generator, and C code pulling from a JS one;
#   7. the same in Python (tests/python/check-installed.py), the override
#      from PREFIX/lib/python3/dist-packages through PYTHONPATH.
#
# A part whose tool is missing (python3-gi, gjs, valac), or whose files the
# build did not generate, is skipped (TAP SKIP).
#
# usage: test-installed.sh SOURCE_DIR BUILD_DIR

# The parts are functions that part() calls by name.
# shellcheck disable=SC2317
set -euo pipefail

source_dir=$1
build_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "1..7"

# A fresh configure with the scratch prefix, so the .pc file points there.
meson setup "$scratch/build" "$source_dir" --prefix="$scratch/prefix" \
  --libdir=lib -Dtests=false -Dexamples=false -Dbenchmarks=false >"$scratch/setup.log" 2>&1 ||
  { sed 's/^/# /' "$scratch/setup.log"; echo "Bail out! configure"; exit 1; }
meson install -C "$scratch/build" >"$scratch/install.log" 2>&1 ||
  { sed 's/^/# /' "$scratch/install.log"; echo "Bail out! install"; exit 1; }

prefix=$scratch/prefix
libdir=$prefix/lib
typelib=$libdir/girepository-1.0/Agen-1.0.typelib
gir=$prefix/share/gir-1.0/Agen-1.0.gir
vapidir=$prefix/share/vala/vapi

# Each part runs in a subshell, its output shown as TAP comments; its
# status is that of its function, which must return non-zero on any failure
# itself (set -e does not apply inside an `if` condition). All parts run.
status=0
# part N NAME FUNCTION
part() {
  local n=$1 name=$2 fn=$3 log=$scratch/part-$1.log out
  if ("$fn") >"$log" 2>&1; then
    sed 's/^/# /' "$log"
    echo "ok $n $name"
  else
    out=$?
    sed 's/^/# /' "$log"
    echo "not ok $n $name # exit status $out"
    status=1
  fi
}

# The environment of a user who sets only the variables README.md names
# (and PATH, from which the tools themselves come).
clean_env() {
  env -i PATH=/usr/bin:/bin "$@"
}

c_consumer() {
  # shellcheck disable=SC2046 # word splitting of pkg-config output is intended
  cc -o "$scratch/consumer" "$source_dir/tests/installed/consumer.c" \
    $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs agen-1) || return
  clean_env LD_LIBRARY_PATH="$libdir" "$scratch/consumer"
}
part 1 /Agen/Installed/pkg-config-consumer c_consumer

# What the build directory of this run generated is what the scratch
# build, configured the same way on the same machine, must install.
gi_built=0 vapi_built=0
[ -f "$build_dir/agen/Agen-1.0.typelib" ] && gi_built=1
[ -f "$build_dir/agen/agen-1.vapi" ] && vapi_built=1

installed_files() {
  local f missing=0 expected=("$typelib" "$gir")
  if [ "$vapi_built" -eq 1 ]; then
    expected+=("$vapidir/agen-1.vapi" "$vapidir/agen-1.deps")
  fi
  for f in "${expected[@]}"; do
    if [ -f "$f" ]; then
      echo "installed: ${f#"$prefix"/}"
    else
      echo "missing: ${f#"$prefix"/}"
      missing=1
    fi
  done
  # valac reads the packages the vapi needs from the .deps file.
  if [ "$vapi_built" -eq 1 ] && ! grep -qx 'gio-2.0' "$vapidir/agen-1.deps"; then
    echo "agen-1.deps does not name gio-2.0"
    missing=1
  fi
  return "$missing"
}
if [ $gi_built -eq 1 ]; then
  part 2 /Agen/Installed/introspection-files installed_files
else
  echo "ok 2 /Agen/Installed/introspection-files # SKIP introspection was not built"
fi

python_import() {
  clean_env GI_TYPELIB_PATH="$libdir/girepository-1.0" LD_LIBRARY_PATH="$libdir" \
    /usr/bin/python3 -c '
import gi
gi.require_version("Agen", "1.0")
from gi.repository import Agen

assert Agen.Generator is not None
assert Agen.StepKind.NEXT is not None

# A driven generator: the step function answers a yield, then a return.
steps = []
def step(gen, kind, value, thrown, cancellable):
    steps.append(kind)
    if len(steps) == 1:
        gen.answer_yield(42)
    else:
        gen.answer_return(None)
    return True

gen = Agen.Generator.new_driven(step)
first = gen.next(None)
second = gen.next(None)
assert tuple(first) == (True, 42), first
assert tuple(second) == (False, None), second
assert steps == [Agen.StepKind.NEXT, Agen.StepKind.NEXT], steps
assert gen.get_state() == Agen.GeneratorState.CLOSED
print("python3: next gave", tuple(first), "then", tuple(second))
'
}
if [ $gi_built -eq 0 ]; then
  echo "ok 3 /Agen/Installed/python-gi # SKIP introspection was not built"
elif ! /usr/bin/python3 -c 'import gi' 2>/dev/null; then
  echo "ok 3 /Agen/Installed/python-gi # SKIP python3-gi is not installed"
else
  part 3 /Agen/Installed/python-gi python_import
fi

gjs_import() {
  # shellcheck disable=SC2016 # a JavaScript template literal, not for bash
  clean_env GI_TYPELIB_PATH="$libdir/girepository-1.0" LD_LIBRARY_PATH="$libdir" \
    "$gjs" -c '
imports.gi.versions.Agen = "1.0";
const Agen = imports.gi.Agen;

if (Agen.Generator === undefined || Agen.StepKind.NEXT === undefined)
    throw new Error("Agen.Generator or Agen.StepKind.NEXT is missing");

let steps = 0;
const gen = Agen.Generator.new_driven((g, kind, value, thrown, cancellable) => {
    steps++;
    if (steps === 1)
        g.answer_yield(42);
    else
        g.answer_return(null);
    return true;
});
const [ok1, v1] = gen.next(null);
const [ok2, v2] = gen.next(null);
if (ok1 !== true || v1 !== 42 || ok2 !== false || v2 !== null ||
    gen.get_state() !== Agen.GeneratorState.CLOSED)
    throw new Error(`unexpected: ${ok1} ${v1} ${ok2} ${v2}`);
print(`gjs: next gave ${ok1}, ${v1} then ${ok2}, ${v2}`);
'
}
gjs=$(command -v gjs || true)
if [ $gi_built -eq 0 ]; then
  echo "ok 4 /Agen/Installed/gjs # SKIP introspection was not built"
elif [ -z "$gjs" ]; then
  echo "ok 4 /Agen/Installed/gjs # SKIP gjs is not installed"
else
  part 4 /Agen/Installed/gjs gjs_import
fi

vala_consumer() {
  local log=$scratch/valac.log
  # valac runs pkg-config agen-1 for the C compiler's flags; agen-1.deps
  # brings in gio-2.0. Its C is compiled without -w: no warning allowed.
  (cd "$scratch" &&
    clean_env PKG_CONFIG_PATH="$libdir/pkgconfig" \
      valac --vapidir="$vapidir" --pkg agen-1 \
        -o "$scratch/vala-consumer" "$source_dir/tests/installed/consumer.vala") >"$log" 2>&1 ||
    { cat "$log"; return 1; }
  cat "$log"
  if grep -q 'warning:' "$log"; then
    echo "valac or the C compiler warned"
    return 1
  fi
  clean_env LD_LIBRARY_PATH="$libdir" "$scratch/vala-consumer" || return
  # Instead of --vapidir: valac also looks in share/vala/vapi under each
  # directory of XDG_DATA_DIRS.
  (cd "$scratch" &&
    clean_env PKG_CONFIG_PATH="$libdir/pkgconfig" \
      XDG_DATA_DIRS="$prefix/share:/usr/local/share:/usr/share" \
      valac --pkg agen-1 -o "$scratch/vala-consumer-xdg" \
        "$source_dir/tests/installed/consumer.vala") ||
    { echo "valac found no agen-1.vapi through XDG_DATA_DIRS"; return 1; }
  echo "valac found agen-1.vapi through XDG_DATA_DIRS too"
}
if [ $vapi_built -eq 0 ]; then
  echo "ok 5 /Agen/Installed/vala-consumer # SKIP the vapi was not built"
elif ! command -v valac >/dev/null 2>&1; then
  echo "ok 5 /Agen/Installed/vala-consumer # SKIP valac is not installed"
else
  part 5 /Agen/Installed/vala-consumer vala_consumer
fi

gjs_override() {
  clean_env GI_TYPELIB_PATH="$libdir/girepository-1.0" LD_LIBRARY_PATH="$libdir" \
    XDG_DATA_DIRS="$prefix/share:/usr/local/share:/usr/share" \
    "$gjs" -m "$source_dir/tests/installed/consumer-gjs.js"
}
if [ $gi_built -eq 0 ]; then
  echo "ok 6 /Agen/Installed/gjs-override # SKIP introspection was not built"
elif [ -z "$gjs" ]; then
  echo "ok 6 /Agen/Installed/gjs-override # SKIP gjs is not installed"
else
  part 6 /Agen/Installed/gjs-override gjs_override
fi

# The Python override from the prefix, with the variables docs/python.md
# names: async for, and C consuming a Python-made generator.
python_override() {
  clean_env GI_TYPELIB_PATH="$libdir/girepository-1.0" LD_LIBRARY_PATH="$libdir" \
    PYTHONPATH="$prefix/lib/python3/dist-packages" \
    /usr/bin/python3 "$source_dir/tests/python/check-installed.py" "$prefix"
}
if [ $gi_built -eq 0 ]; then
  echo "ok 7 /Agen/Installed/python-override # SKIP introspection was not built"
elif ! /usr/bin/python3 -c 'import gi' 2>/dev/null; then
  echo "ok 7 /Agen/Installed/python-override # SKIP python3-gi is not installed"
else
  part 7 /Agen/Installed/python-override python_override
fi

exit $status
