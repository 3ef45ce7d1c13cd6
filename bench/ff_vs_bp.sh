#!/usr/bin/env bash
# FF against BP on the same networks under (about) equal wall-clock budgets: each pair trains on
# the full MNIST training split (50k images) for the epochs that fit the pair's budget, then
# evaluates on the 10k test images. Writes one row per run to $LOGDIR/ff_vs_bp.tsv and keeps
# each run's log (its per-epoch lines give validation accuracy against training time).
#
#   bench/ff_vs_bp.sh             all pairs (about an hour on a quiet 2-core machine)
#   PAIRS="16" bench/ff_vs_bp.sh  one pair (16, 64, 128; 128p: FF at the paper's rate on 3 x 128)
#
# FF uses the default preset's recipe on every network (lr 1e-3, head 1e-4, label set 1,
# K = 0.35, layer 1 frozen); BP the paper's baseline recipe (Adam 1e-3, batch 50). Both use the
# linear cool-down of docs/method.md §5 over their own epoch count. Run it on a quiet machine.
set -u
cd "$(dirname "$0")/.." || exit 1
FFCNN=${FFCNN:-build/ffcnn}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/ffcnn-ffbp.XXXXXX)}
PAIRS=${PAIRS:-"16 64 128"}
mkdir -p "$LOGDIR"
TSV=$LOGDIR/ff_vs_bp.tsv
[ -f "$TSV" ] || printf 'run\talgo\tnet\tepochs\ttrain_s\ttrain_img_s\tpeak_rss_mb\ttest_goodness\ttest_linear\n' >"$TSV"

json_field() { # key, file: the value of "key" in the last JSON line of the file
  grep '^{' "$2" | tail -1 | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

run() { # name algo net epochs [more train flags]
  local name=$1 algo=$2 net=$3 epochs=$4
  shift 4
  echo "$(date -u +%H:%M:%S) $name: --algo $algo --net \"$net\" --epochs $epochs $*" >&2
  /usr/bin/time -f 'maxrss_kb %M' "$FFCNN" train --algo "$algo" --net "$net" --epochs "$epochs" \
    "$@" --final-eval none --out "$LOGDIR/$name.ffm" --json >"$LOGDIR/$name.train.log" 2>&1 ||
    { echo "$name: training failed (see $LOGDIR/$name.train.log)" >&2; return 1; }
  "$FFCNN" eval --model "$LOGDIR/$name.ffm" --split test --json >"$LOGDIR/$name.test.log" 2>&1 ||
    { echo "$name: evaluation failed" >&2; return 1; }
  local rss
  rss=$(sed -n 's/^maxrss_kb //p' "$LOGDIR/$name.train.log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\n' "$name" "$algo" "$net" "$epochs" \
    "$(json_field seconds "$LOGDIR/$name.train.log")" \
    "$(json_field images_per_s "$LOGDIR/$name.train.log")" "$((rss / 1024))" \
    "$(json_field accuracy_goodness "$LOGDIR/$name.test.log")" \
    "$(json_field accuracy_linear "$LOGDIR/$name.test.log")" >>"$TSV"
}

for p in $PAIRS; do
  case $p in
    # epochs per algorithm chosen from measured speeds so that both take about the same time
    16) run ff16 ff "c16k5 c16k5 c16k5" 12; run bp16 bp "c16k5 c16k5 c16k5" 15 ;;
    64) run ff64 ff "c64k7 c64k7 c64k7" 3; run bp64 bp "c64k7 c64k7 c64k7" 3 ;;
    128) run ff128 ff "c128k7 c128k7 c128k7" 1; run bp128 bp "c128k7 c128k7 c128k7" 1 ;;
    # the default recipe's rate kills the 128-filter FF layers in epoch 1; the paper's rate
    # (5e-5, the head at the same rate) is the FF recipe made for this network
    128p) run ff128p ff "c128k7 c128k7 c128k7" 1 --lr 5e-5 --classifier-lr 0 ;;
    *) echo "unknown pair $p (16, 64, 128, 128p)" >&2; exit 2 ;;
  esac
done
column -t -s $'\t' "$TSV"
echo "logs: $LOGDIR"
