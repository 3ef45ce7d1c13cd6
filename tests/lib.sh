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
