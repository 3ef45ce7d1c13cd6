# Shared by the shell tests: usage `source lib.sh FFCNN [DATA]`. Sets FFCNN, DATA, a temporary
# folder $tmp (removed on exit), and counters reported by `summary` as "N passed, M failed".
set -u
FFCNN="$1"
DATA="${2:-../data/mnist}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
summary() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}
# expect_error STATUS NEEDLE -- ARGS...: ffcnn ARGS exits with STATUS and prints exactly one line
# on stderr that contains NEEDLE.
expect_error() {
  local want=$1 needle=$2; shift 3
  local out status
  out=$("$FFCNN" "$@" 2>&1 >/dev/null); status=$?
  if [ "$status" = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == *"$needle"* ]]; then ok
  else bad "ffcnn $* -> status $status, message '$out' (wanted $want, '$needle')"; fi
}
# PNG_CHECK: tests/png_check.c, which prints "W H COLOURS" of a PNG (the scripts set it when given).
PNG_CHECK="${PNG_CHECK:-}"
# png_size PNG: "W H COLOURS" by png_check; fails if cairo cannot read the file.
png_size() { "$PNG_CHECK" "$1"; }
# png_ok PNG W H: the PNG is W x H and not blank (more than 10 colours); without png_check only
# the size in its IHDR chunk is checked.
png_ok() {
  local w h colours
  if [ -n "$PNG_CHECK" ]; then read -r w h colours < <("$PNG_CHECK" "$1")
  else read -r w h < <(od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*2^24+$2*2^16+$3*2^8+$4, $5*2^24+$6*2^16+$7*2^8+$8 }')
    colours=99; echo "$(basename "$0"): no png_check given; $1 is not checked for blankness" >&2
  fi
  [ "$w $h" = "$2 $3" ] && [ "${colours:-0}" -gt 10 ]
}
