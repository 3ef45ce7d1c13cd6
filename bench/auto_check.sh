#!/usr/bin/env bash
# Does --conv auto pick well? For each network, `ffcnn bench` with auto, every layer on im2col,
# and every layer on FFT, in alternating rounds (so a slow spell of a shared machine hits all
# three), then the median of each and auto against the faster forced path. ffcnn only.
#
#   bench/auto_check.sh                 native kernels
#   ISA=avx2 FFCNN=build-avx2/ffcnn bench/auto_check.sh   as on an AVX2 machine (see compare.sh)
#
# Environment: ROUNDS (default 3), THREADS (2), BATCH (50), FFCNN (build/ffcnn).
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
BATCH=${BATCH:-50}
FFCNN=${FFCNN:-build/ffcnn}
case "${ISA:-native}" in
  native) ;;
  avx2) export FFCNN_KERNELS=avx2 OPENBLAS_CORETYPE=Haswell ;;
  *) echo "ISA must be native or avx2" >&2; exit 2 ;;
esac
echo "# --conv auto against forced paths: $("$FFCNN" version | tr '\n' ' '), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| network | auto paths | train auto | train im2col | train fft | auto vs best | infer auto | infer im2col | infer fft | auto vs best |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# filters kernel steps infer-images
for cfg in "128 7 4 80" "64 7 15 300" "32 5 60 1500" "16 5 100 2000"; do
  read -r C K N M <<<"$cfg"
  results=$(mktemp)
  for r in $(seq "$ROUNDS"); do
    for P in auto im2col fft; do
      line=$("$FFCNN" bench --filters "$C" --kernel "$K" --batch "$BATCH" --threads "$THREADS" \
        --steps "$N" --infer-images "$M" --conv "$P" --json 2>/dev/null | tail -n 1)
      echo "$P $line" >>"$results"
    done
  done
  python3 - "$results" "$C" "$K" <<'PY'
import json, statistics, sys
runs = {}
paths = "n/a"
for line in open(sys.argv[1]):
    mode, _, js = line.partition(" ")
    try:
        d = json.loads(js)
    except Exception:
        continue
    runs.setdefault(mode, []).append(d)
    if mode == "auto":
        paths = ",".join(d["conv"])
cells = [f"3 × {sys.argv[2]}, {sys.argv[3]}×{sys.argv[3]}", paths]
for key in ("train_images_per_s", "infer_goodness_images_per_s"):
    med = {m: statistics.median(d[key] for d in runs.get(m, [])) if runs.get(m) else None
           for m in ("auto", "im2col", "fft")}
    cells += ["n/a" if med[m] is None else f"{med[m]:.1f}" for m in ("auto", "im2col", "fft")]
    best = max(v for v in (med["im2col"], med["fft"]) if v is not None)
    cells.append(f"{100 * (med['auto'] / best - 1):+.0f} %" if med["auto"] else "n/a")
print("| " + " | ".join(cells) + " |")
PY
  rm -f "$results"
done
echo
echo "Medians of $ROUNDS alternating rounds, images/s, $THREADS threads, batch $BATCH."
