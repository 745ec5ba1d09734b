#!/usr/bin/env bash
# .ci/setup.sh — shared first step of .ci/test.sh and .ci/demo.sh.
#
# 1. Makes sure the Debian packages needed to build and check agen are
#    installed (installing the missing ones when we are root, so that a fresh
#    Debian 12 machine or CI needs nothing but a clone).
# 2. Configures a Meson build directory (reusing an existing one) and
#    compiles it.
#
# Environment:
#   AGEN_BUILD_DIR      build directory, relative to the repository root or
#                       absolute (default: build)
#   AGEN_MESON_OPTIONS  extra `meson setup` options, e.g.
#                       '-Db_sanitize=address,undefined' (split on spaces)
#   AGEN_EXTRA_PACKAGES Debian packages needed besides the usual ones, e.g.
#                       'gcovr' for .ci/coverage.sh (split on spaces)
#
# It can be run on its own: bash .ci/setup.sh
# With --packages-only it does step 1 and stops (the fuzzer's run.sh
# configures its own clang build).

set -euo pipefail

# Resolve everything from the repository root, so the scripts work from any
# working directory.
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${AGEN_BUILD_DIR:-build}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

# What the build, the tests and the checking commands in README.md need:
# valgrind also provides valgrind.pc, which turns on the fiber stack
# annotations; python3 (Debian's, /usr/bin/python3) parses the test log.
packages=(
  meson
  ninja-build
  pkg-config
  gcc
  libc6-dev
  libglib2.0-dev
  libglib2.0-bin
  gettext
  valgrind
  python3
  # Introspection (Agen-1.0.gir, .typelib), the vapi and the Vala example.
  gobject-introspection
  libgirepository1.0-dev
  valac
  # test-installed imports Agen from Python and from JavaScript.
  python3-gi
  gjs
  # The API reference (-Ddocs=true), built and checked by .ci/test.sh.
  gi-docgen
  # examples/gtk-demo, and its test under Xvfb (xvfb-run needs xauth).
  libgtk-4-dev
  gir1.2-gtk-4.0
  xvfb
  xauth
)
# Those of one command only (gcovr for .ci/coverage.sh): not installed for
# every test run.
extra_packages=()
read -r -a extra_packages <<< "${AGEN_EXTRA_PACKAGES:-}"
packages+=("${extra_packages[@]}")

missing=()
if command -v dpkg-query > /dev/null 2>&1; then
  for pkg in "${packages[@]}"; do
    # An unknown package makes dpkg-query fail: that also means "missing".
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null || true)
    if [ "$status" != "install ok installed" ]; then
      missing+=("$pkg")
    fi
  done
else
  # Not Debian: we cannot check; trust that the tools are there and let
  # Meson report what it cannot find.
  echo "setup: dpkg-query not found; not checking for packages" >&2
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them as root with:" >&2
    echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # Only touch apt when something is missing: keeps repeated runs fast and
  # offline-friendly. No stdin in CI, hence noninteractive and -y.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = --packages-only ]; then
  exit 0
fi

# Tools from Debian, not from whatever interpreter comes first on PATH.
export PATH=/usr/bin:/bin:$PATH

cd -- "$root"

# AGEN_MESON_OPTIONS holds several options: split it on whitespace (read -a
# does not expand globs, unlike an unquoted expansion).
options=()
read -r -a options <<< "${AGEN_MESON_OPTIONS:-}"

if [ -f "$build/meson-private/coredata.dat" ]; then
  # Configured before: reuse the directory, but configure again (about a
  # second). Meson re-runs configuration by itself only when a meson.build
  # changes, while tests/meson.build picks the test programs that exist
  # with fs.exists(), so a newly added test would otherwise go unbuilt and
  # unrun. This also applies AGEN_MESON_OPTIONS to an existing directory.
  meson setup --reconfigure "${options[@]}" "$build"
else
  # Fresh, or a setup that failed early (e.g. on a meson.build error since
  # fixed), which leaves no configuration behind.
  meson setup "${options[@]}" "$build"
fi

meson compile -C "$build"
