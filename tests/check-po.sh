#!/usr/bin/env bash
# check-po.sh — po/agen.pot holds exactly the messages xgettext finds in
# the files of po/POTFILES.in, and every language of po/LINGUAS
# translates all of them (no missing, untranslated or fuzzy entry) with
# valid format strings. After changing a message: `meson compile -C build
# agen-pot agen-update-po`, then translate what is new.
#
# usage: check-po.sh SOURCE_DIR
set -euo pipefail

cd "$1"
mapfile -t languages < <(grep -v '^#' po/LINGUAS | tr ' ' '\n' | grep -v '^$')
echo "1..$((1 + ${#languages[@]}))"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The same options as meson's i18n preset 'glib' (its --keyword list).
xgettext --from-code=UTF-8 --add-comments --files-from=po/POTFILES.in \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
  --flag=g_print:1:c-format --flag=g_printerr:1:c-format \
  --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format \
  --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
  -o "$tmp/current.pot" 2> "$tmp/xgettext.err" || { cat "$tmp/xgettext.err" | sed 's/^/# /'; }

msgids () {
  msgcat --no-location --no-wrap --sort-output "$1" | grep -A1 '^msgid' | grep -v '^--$' || true
}

n=1
if [ -s "$tmp/xgettext.err" ] || ! diff <(msgids po/agen.pot) <(msgids "$tmp/current.pot") > "$tmp/diff"; then
  sed 's/^/# /' "$tmp/xgettext.err" "$tmp/diff"
  echo "# po/agen.pot is out of date: meson compile -C build agen-pot agen-update-po"
  echo "not ok $n /Agen/Po/pot-current"
  failed=1
else
  echo "ok $n /Agen/Po/pot-current"
fi

for lang in "${languages[@]}"; do
  n=$((n + 1))
  : > "$tmp/cmp"; : > "$tmp/fmt"
  # msgcmp: every message of the sources is in the catalog, translated and
  # not fuzzy; msgfmt --check: the format strings agree.
  if msgcmp "po/$lang.po" "$tmp/current.pot" > "$tmp/cmp" 2>&1 &&
     msgfmt --check -o /dev/null "po/$lang.po" > "$tmp/fmt" 2>&1 &&
     ! msgattrib --only-fuzzy --no-obsolete "po/$lang.po" | grep -q '^msgid'; then
    echo "ok $n /Agen/Po/$lang-complete"
  else
    sed 's/^/# /' "$tmp/cmp" "$tmp/fmt"
    echo "not ok $n /Agen/Po/$lang-complete"
    failed=1
  fi
done

exit "${failed:-0}"
