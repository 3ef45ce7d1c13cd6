#!/usr/bin/env bash
# Speed comparison: ffcnn vs the PyTorch anchor (bench/torch_ff.py), same FF recipe.
#
#   bench/compare.sh           full run (each run roughly 20-60 s on a quiet 2-core machine)
#   bench/compare.sh quick     smoke test (tiny step counts; the numbers mean nothing)
#
# Environment: THREADS (default 2), BATCH (50), FFCNN (build/ffcnn), PYTHON (/usr/bin/python3,
# Debian's python3-torch), FFCNN_ARGS (extra flags for `ffcnn bench`), TORCH_ARGS (extra flags
# for torch_ff.py), TIMEOUT (seconds per run, default 900), LOGDIR (where each run's full output
# is kept; default a fresh mktemp directory).
# Run it on a quiet machine: anything else running skews both sides.
set -u
cd "$(dirname "$0")/.." || exit 1

MODE=${1:-full}
THREADS=${THREADS:-2}
BATCH=${BATCH:-50}
FFCNN=${FFCNN:-build/ffcnn}
PY=${PYTHON:-/usr/bin/python3}
FFCNN_ARGS=${FFCNN_ARGS:-}
TORCH_ARGS=${TORCH_ARGS:-}
TIMEOUT=${TIMEOUT:-900}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/ffcnn-compare.XXXXXX)}
mkdir -p "$LOGDIR"

# filters kernel steps warmup infer-images
# Full counts aim at 20-60 s per PyTorch run at the rates measured here (2 threads):
# 128x7x7 ~16 train / 8 infer img/s, 64x7x7 ~66 / 36, 32x5x5 ~331 / 228.
case "$MODE" in
  quick) CONFIGS=("128 7 2 1 20" "64 7 2 1 20" "32 5 2 1 20") ;;
  full|"") CONFIGS=("128 7 8 1 160" "64 7 30 2 600" "32 5 120 3 3000") ;;
  *) echo "usage: $0 [quick]" >&2; exit 2 ;;
esac
LAYERS=3

echo "# ffcnn vs PyTorch: Forward-Forward CNN training and goodness inference"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- nproc: $(nproc)"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//')"
echo "- torch: $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'not found')"
FFV=$("$FFCNN" version 2>/dev/null | head -1)
echo "- ffcnn: $FFCNN ${FFV:-(version: not available)}"
echo "- threads $THREADS, batch $BATCH, $LAYERS layers, mode $MODE; logs in $LOGDIR"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

ROWS=()
for cfg in "${CONFIGS[@]}"; do
  read -r C K N W M <<<"$cfg"
  tag="${LAYERS}x${C}_k${K}"
  echo "running $tag: ffcnn ($N steps, $M inference images) ..." >&2
  # shellcheck disable=SC2086
  timeout "$TIMEOUT" "$FFCNN" bench --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
    --threads "$THREADS" --steps "$N" --infer-images "$M" --json $FFCNN_ARGS \
    >"$LOGDIR/ffcnn_$tag.log" 2>"$LOGDIR/ffcnn_$tag.err" || echo "  ffcnn bench failed (exit $?), see $LOGDIR/ffcnn_$tag.{log,err}" >&2
  echo "running $tag: PyTorch ($W warm-up + $N steps, $M inference images) ..." >&2
  # shellcheck disable=SC2086
  timeout "$TIMEOUT" "$PY" bench/torch_ff.py --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
    --threads "$THREADS" --steps "$N" --warmup "$W" --infer-images "$M" --json $TORCH_ARGS \
    >"$LOGDIR/torch_$tag.log" 2>"$LOGDIR/torch_$tag.err" || echo "  torch_ff.py failed (exit $?), see $LOGDIR/torch_$tag.{log,err}" >&2
  ROWS+=("$(
    "$PY" -c '
import json, sys
def last_json(path):
    try:
        lines = [l for l in open(path) if l.strip()]
        return json.loads(lines[-1])
    except Exception:
        return {}
f, t = last_json(sys.argv[1]), last_json(sys.argv[2])
def num(d, k):
    try: return float(d[k])
    except Exception: return None
def fmt(v): return "n/a" if v is None else f"{v:.1f}"
def ratio(a, b): return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"
cells = [f"3 × {sys.argv[3]}, {sys.argv[4]}×{sys.argv[4]}"]
for k in ("train_images_per_s", "infer_goodness_images_per_s"):
    a, b = num(f, k), num(t, k)
    cells += [fmt(a), fmt(b), ratio(a, b)]
cells += [fmt(num(f, "peak_rss_mb")), fmt(num(t, "peak_rss_mb"))]
print("| " + " | ".join(cells) + " |")
' "$LOGDIR/ffcnn_$tag.log" "$LOGDIR/torch_$tag.log" "$C" "$K"
  )")
done

echo "| network | ffcnn train img/s | PyTorch train img/s | ratio | ffcnn infer img/s | PyTorch infer img/s | ratio | ffcnn peak MB | PyTorch peak MB |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "One training image = its positive + negative (+ the neutral image for the linear classifier);"
echo "inference = goodness inference, all 10 labels superimposed. ratio = ffcnn / PyTorch."
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
