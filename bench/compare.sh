#!/usr/bin/env bash
# Speed comparison: ffcnn vs the PyTorch anchors, same recipes: Forward-Forward (`ffcnn bench`
# vs bench/torch_ff.py) and the backpropagation baseline (`ffcnn bench --algo bp` vs
# bench/torch_bp.py), on the same networks.
#
#   bench/compare.sh           full run (each run roughly 20-60 s on a quiet 2-core machine)
#   bench/compare.sh quick     smoke test (tiny step counts; the numbers mean nothing)
#
# ISA=avx2 makes an AVX-512 machine stand in for an AVX2 one, on both sides: ffcnn runs its
# AVX2 kernels (FFCNN_KERNELS=avx2; give FFCNN=build-avx2/ffcnn, built with
# -DFFCNN_NATIVE=OFF -DCMAKE_C_FLAGS=-march=x86-64-v3, so the rest of ffcnn has no AVX-512
# either), OpenBLAS its Haswell kernels, PyTorch's oneDNN AVX2 (ONEDNN_MAX_CPU_ISA=AVX2,
# checked from ONEDNN_VERBOSE) and ATen its AVX2 kernels. PATHS=1 also times ffcnn with each
# convolution path forced (--conv im2col, --conv fft), to check that auto picks well.
#
# Environment: THREADS (default 2), BATCH (50), FFCNN (build/ffcnn), PYTHON (/usr/bin/python3,
# Debian's python3-torch), FFCNN_ARGS (extra flags for `ffcnn bench`), TORCH_ARGS (extra flags
# for torch_ff.py and torch_bp.py), TIMEOUT (seconds per run, default 900), LOGDIR (where each
# run's full output is kept; default a fresh mktemp directory), ALGOS (which tables run: "ff bp"
# by default, or "ff" or "bp"). PATHS applies to the FF table only.
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
ISA=${ISA:-native}
PATHS=${PATHS:-0}
ALGOS=${ALGOS:-ff bp}
for a in $ALGOS; do
  case "$a" in ff|bp) ;; *) echo "ALGOS must list ff and/or bp" >&2; exit 2 ;; esac
done
want() { case " $ALGOS " in *" $1 "*) return 0 ;; esac; return 1; }
want ff || want bp || { echo "ALGOS must list ff and/or bp" >&2; exit 2; }
mkdir -p "$LOGDIR"
case "$ISA" in
  native) ;;
  avx2) export FFCNN_KERNELS=avx2 OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 ;;
  *) echo "ISA must be native or avx2" >&2; exit 2 ;;
esac

# filters kernel steps warmup infer-images
# Full counts aim at 20-60 s per PyTorch run at the rates measured here (2 threads):
# FF: 128x7x7 ~16 train / 8 infer img/s, 64x7x7 ~66 / 36, 32x5x5 ~331 / 228, 16x5x5 ~650 / 390.
# BP (one forward per inferred image, not ten): 128x7x7 ~24 train / 118 infer img/s,
# 64x7x7 ~93 / 358, 32x5x5 ~340 / 1090, 16x5x5 ~880 / 3500.
case "$MODE" in
  quick) CONFIGS=("128 7 2 1 20" "64 7 2 1 20" "32 5 2 1 20" "16 5 2 1 20")
         BP_CONFIGS=("128 7 2 1 50" "64 7 2 1 50" "32 5 2 1 50" "16 5 2 1 50") ;;
  full|"") CONFIGS=("128 7 8 1 160" "64 7 30 2 600" "32 5 120 3 3000" "16 5 200 3 4000")
           BP_CONFIGS=("128 7 8 1 1200" "64 7 30 2 4000" "32 5 100 3 12000" "16 5 250 3 30000") ;;
  *) echo "usage: $0 [quick]" >&2; exit 2 ;;
esac
want ff || CONFIGS=()
want bp || BP_CONFIGS=()
LAYERS=3

# Where OpenBLAS does not know this CPU, ffcnn restarts itself with OPENBLAS_CORETYPE naming
# fast kernels (ffcnn version says so); PyTorch's BLAS (the linear head) gets the same.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core=$("$FFCNN" version 2>/dev/null | sed -n 's/^blas: OpenBLAS, \(.*\) kernels (OPENBLAS_CORETYPE)$/\1/p')
  [ -n "$core" ] && export OPENBLAS_CORETYPE="$core"
fi

if want ff && want bp; then
  echo "# ffcnn vs PyTorch: Forward-Forward and backpropagation CNN training and inference"
elif want ff; then
  echo "# ffcnn vs PyTorch: Forward-Forward CNN training and goodness inference"
else
  echo "# ffcnn vs PyTorch: backpropagation CNN training and inference"
fi
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- nproc: $(nproc)"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//')"
echo "- torch: $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'not found')"
FFV=$("$FFCNN" version 2>/dev/null | tr '\n' ';' | sed 's/;$//; s/;/; /g')
echo "- ffcnn: $FFCNN ${FFV:-(version: not available)}"
echo "- CPU vector extensions: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512vl|avx512bw)$' | tr '\n' ' ')"
echo "- ISA mode: $ISA${FFCNN_KERNELS:+ (FFCNN_KERNELS=$FFCNN_KERNELS ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA ATEN_CPU_CAPABILITY=$ATEN_CPU_CAPABILITY)}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} for both"
echo "- PyTorch oneDNN: $(ONEDNN_VERBOSE=1 "$PY" -c 'import torch; torch.nn.functional.conv2d(torch.ones(2,16,28,28), torch.ones(16,16,5,5), padding=2)' 2>/dev/null | grep -m1 'info,cpu,isa' | sed 's/.*isa://')"
echo "- threads $THREADS, batch $BATCH, $LAYERS layers, mode $MODE; logs in $LOGDIR"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

ROWS=()
PROWS=()
for cfg in "${CONFIGS[@]}"; do
  read -r C K N W M <<<"$cfg"
  tag="${LAYERS}x${C}_k${K}"
  echo "running $tag: ffcnn ($N steps, $M inference images) ..." >&2
  # shellcheck disable=SC2086
  timeout "$TIMEOUT" "$FFCNN" bench --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
    --threads "$THREADS" --steps "$N" --infer-images "$M" --json $FFCNN_ARGS \
    >"$LOGDIR/ffcnn_$tag.log" 2>"$LOGDIR/ffcnn_$tag.err" || echo "  ffcnn bench failed (exit $?), see $LOGDIR/ffcnn_$tag.{log,err}" >&2
  if [ "$PATHS" = 1 ]; then
    for P in im2col fft; do
      echo "running $tag: ffcnn --conv $P ..." >&2
      # shellcheck disable=SC2086
      timeout "$TIMEOUT" "$FFCNN" bench --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
        --threads "$THREADS" --steps "$N" --infer-images "$M" --json --conv $P $FFCNN_ARGS \
        >"$LOGDIR/ffcnn_${tag}_$P.log" 2>&1 || echo "  ffcnn bench --conv $P failed" >&2
    done
  fi
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
cells += [fmt(num(f, "train_peak_rss_mb")), fmt(num(t, "train_peak_rss_mb"))]
cells += [fmt(num(f, "peak_rss_mb")), fmt(num(t, "peak_rss_mb"))]
g, peak = num(f, "fft_product_gflops"), num(f, "sgemm_peak_gflops")
cells += [",".join(f.get("conv", [])) or "n/a",
          "n/a" if not g or g < 0 or not peak else f"{g:.0f} ({100 * g / peak:.0f} % of {peak:.0f})"]
print("| " + " | ".join(cells) + " |")
' "$LOGDIR/ffcnn_$tag.log" "$LOGDIR/torch_$tag.log" "$C" "$K"
  )")
  [ "$PATHS" = 1 ] && PROWS+=("$(
    "$PY" -c '
import json, sys
def last_json(path):
    try:
        return json.loads([l for l in open(path) if l.strip()][-1])
    except Exception:
        return {}
a, i, f = (last_json(p) for p in sys.argv[1:4])
cells = [f"3 × {sys.argv[4]}, {sys.argv[5]}×{sys.argv[5]}", ",".join(a.get("conv", [])) or "n/a"]
for k in ("train_images_per_s", "infer_goodness_images_per_s"):
    v = [d.get(k) for d in (a, i, f)]
    cells += ["n/a" if x is None else f"{x:.1f}" for x in v]
    best = max((x for x in v[1:] if x), default=None)
    cells.append("n/a" if not v[0] or not best else f"{100 * (v[0] / best - 1):+.0f} %")
print("| " + " | ".join(cells) + " |")
' "$LOGDIR/ffcnn_$tag.log" "$LOGDIR/ffcnn_${tag}_im2col.log" "$LOGDIR/ffcnn_${tag}_fft.log" "$C" "$K"
  )")
done

if want ff; then
want bp && { echo "## Forward-Forward"; echo; }
echo "| network | ffcnn train img/s | PyTorch train img/s | ratio | ffcnn infer img/s | PyTorch infer img/s | ratio | ffcnn training peak MB | PyTorch training peak MB | ffcnn peak MB (with inference) | PyTorch peak MB (with inference) | ffcnn paths (auto) | FFT products GFLOP/s (share of sgemm peak) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
if [ "$PATHS" = 1 ]; then
  echo
  echo "ffcnn's --conv auto against each path forced (img/s; auto vs the faster forced path):"
  echo
  echo "| network | auto paths | train auto | train im2col | train fft | auto vs best | infer auto | infer im2col | infer fft | auto vs best |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${PROWS[@]}"
fi
echo
echo "One training image = its positive + negative (+ the neutral image for the linear classifier);"
echo "inference = goodness inference, all 10 labels superimposed. ratio = ffcnn / PyTorch."
fi

BROWS=()
for cfg in "${BP_CONFIGS[@]}"; do
  read -r C K N W M <<<"$cfg"
  tag="${LAYERS}x${C}_k${K}"
  echo "running $tag: ffcnn --algo bp ($N steps, $M inference images) ..." >&2
  # shellcheck disable=SC2086
  timeout "$TIMEOUT" "$FFCNN" bench --algo bp --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
    --threads "$THREADS" --steps "$N" --infer-images "$M" --json $FFCNN_ARGS \
    >"$LOGDIR/ffcnn_bp_$tag.log" 2>"$LOGDIR/ffcnn_bp_$tag.err" || echo "  ffcnn bench --algo bp failed (exit $?), see $LOGDIR/ffcnn_bp_$tag.{log,err}" >&2
  echo "running $tag: PyTorch BP ($W warm-up + $N steps, $M inference images) ..." >&2
  # shellcheck disable=SC2086
  timeout "$TIMEOUT" "$PY" bench/torch_bp.py --filters "$C" --kernel "$K" --layers "$LAYERS" --batch "$BATCH" \
    --threads "$THREADS" --steps "$N" --warmup "$W" --infer-images "$M" --json $TORCH_ARGS \
    >"$LOGDIR/torch_bp_$tag.log" 2>"$LOGDIR/torch_bp_$tag.err" || echo "  torch_bp.py failed (exit $?), see $LOGDIR/torch_bp_$tag.{log,err}" >&2
  BROWS+=("$(
    "$PY" -c '
import json, sys
def last_json(path):
    try:
        lines = [l for l in open(path) if l.startswith("{")]
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
for kf, kt in (("train_images_per_s", "train_images_per_s"), ("infer_linear_images_per_s", "infer_images_per_s")):
    a, b = num(f, kf), num(t, kt)
    cells += [fmt(a), fmt(b), ratio(a, b)]
cells += [fmt(num(f, "train_peak_rss_mb")), fmt(num(t, "train_peak_rss_mb"))]
print("| " + " | ".join(cells) + " |")
' "$LOGDIR/ffcnn_bp_$tag.log" "$LOGDIR/torch_bp_$tag.log" "$C" "$K"
  )")
done

if want bp; then
  want ff && { echo; echo "## Backpropagation"; echo; }
  echo "| network | ffcnn BP train img/s | PyTorch BP train img/s | ratio | ffcnn BP infer img/s | PyTorch BP infer img/s | ratio | ffcnn BP train peak MB | PyTorch BP train peak MB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${BROWS[@]}"
  echo
  echo "BP: one training image = one forward + backward through every layer and the linear head;"
  echo "inference = one forward + argmax of the logits. Peak MB = peak RSS right after training."
  echo "ratio = ffcnn / PyTorch."
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
