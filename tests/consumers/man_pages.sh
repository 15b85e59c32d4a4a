#!/usr/bin/env bash
# The section 3 pages against filelock.h: every function the header exports is named
# in the NAME line of some page, and every fl_* name a page mentions exists in the
# header (a NAME line names functions only). Also each page formats without warnings.
#   man_pages.sh SOURCE_DIR
set -euo pipefail
src=$(cd "${1:?usage: man_pages.sh SOURCE_DIR}" && pwd)
fail=0
header=$src/filelock.h
pages=("$src"/docs/man3/*.3)
functions=$(sed -n 's/^FL_API [^(]*[ *]\(fl_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u)
[ -n "$functions" ] || { echo "FAIL no FL_API functions found in $header" >&2; exit 1; }
header_names=$(grep -o '\bfl_[a-z0-9_]*' "$header" | sort -u)
named=$(for page in "${pages[@]}"; do
          sed -n '/^\.SH NAME$/{n;s/ \\-.*//;s/, /\n/g;p}' "$page"
        done | sort)
for f in $functions; do
  grep -qx "$f" <<<"$named" || { echo "FAIL $f (filelock.h) is in no NAME line of docs/man3/" >&2; fail=1; }
done
for n in $(sort -u <<<"$named"); do
  grep -qx "$n" <<<"$functions" || { echo "FAIL a NAME line names $n, which filelock.h does not export" >&2; fail=1; }
done
dups=$(uniq -d <<<"$named")
[ -z "$dups" ] || { echo "FAIL named on more than one page: $dups" >&2; fail=1; }
for page in "${pages[@]}"; do
  for n in $(grep -o '\bfl_[a-z0-9_]*' "$page" | sort -u); do
    grep -qx "$n" <<<"$header_names" ||
      { echo "FAIL $(basename "$page") mentions $n, which filelock.h does not declare" >&2; fail=1; }
  done
  if command -v man >/dev/null; then
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null || true)
    [ -z "$warnings" ] || { echo "FAIL $(basename "$page"): $warnings" >&2; fail=1; }
  fi
done
[ "$fail" -eq 0 ] || exit 1
echo "man3: $(wc -w <<<"$functions") functions of filelock.h on ${#pages[@]} pages, none unknown"
