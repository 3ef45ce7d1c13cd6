#!/usr/bin/env bash
# A/B speed check of two ffcnn binaries: `ffcnn bench` on the same networks, the two binaries
# alternating run by run (so a slow spell of a shared machine hits both), ROUNDS rounds; prints
# the median train and inference img/s of each and the ratio B / A.
#
#   bench/ab.sh OLD_FFCNN NEW_FFCNN        e.g. bench/ab.sh /tmp/old/build/ffcnn build/ffcnn
#
# Environment: ROUNDS (3), THREADS (2), CONV (im2col,fft,fft: forced, so that both binaries run
# the same paths; "auto" lets each choose), NETS (the networks, "filters kernel steps infer"
# each), FFCNN_KERNELS / OPENBLAS_CORETYPE as for any run (ISA=avx2 sets both for an AVX2
# stand-in, as bench/compare.sh does). Run it on a quiet machine.
set -u
A=${1:?usage: bench/ab.sh OLD_FFCNN NEW_FFCNN} B=${2:?usage: bench/ab.sh OLD_FFCNN NEW_FFCNN}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONV=${CONV:-im2col,fft,fft}
NETS=${NETS:-"16 5 100 2000;32 5 60 1500;64 7 15 300;128 7 4 80"}
[ "${ISA:-native}" = avx2 ] && export FFCNN_KERNELS=avx2 OPENBLAS_CORETYPE=Haswell
PY=${PYTHON:-python3}
echo "# A = $A"
echo "# B = $B"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernels ${FFCNN_KERNELS:-best}, conv $CONV, $ROUNDS rounds"
echo "| network | A train img/s | B train img/s | B/A | A infer img/s | B infer img/s | B/A |"
echo "|---|---|---|---|---|---|---|"
IFS=';' read -r -a nets <<<"$NETS"
for net in "${nets[@]}"; do
  read -r C K N M <<<"$net"
  out=$(mktemp)
  for ((r = 0; r < ROUNDS; r++)); do
    for side in A B; do
      bin=$A; [ "$side" = B ] && bin=$B
      line=$("$bin" bench --filters "$C" --kernel "$K" --layers 3 --threads "$THREADS" \
        --steps "$N" --infer-images "$M" --conv "$CONV" --json 2>/dev/null | tail -1)
      echo "$side $line" >>"$out"
    done
  done
  "$PY" - "$out" "$C" "$K" <<'PYEOF'
import json, statistics, sys
runs = {"A": [], "B": []}
for line in open(sys.argv[1]):
    side, _, js = line.partition(" ")
    try:
        runs[side].append(json.loads(js))
    except ValueError:
        pass
def med(side, key):
    v = [r[key] for r in runs[side] if isinstance(r.get(key), (int, float))]
    return statistics.median(v) if v else None
cells = [f"3 × {sys.argv[2]}, {sys.argv[3]}×{sys.argv[3]}"]
for key in ("train_images_per_s", "infer_goodness_images_per_s"):
    a, b = med("A", key), med("B", key)
    cells += ["n/a" if a is None else f"{a:.1f}", "n/a" if b is None else f"{b:.1f}",
              "n/a" if not a or b is None else f"{b / a:.3f}"]
print("| " + " | ".join(cells) + " |")
PYEOF
  rm -f "$out"
done
