#!/usr/bin/env bash
# Benchmark 7's CER half: raw resampled points vs Bezier curve features, each trained for the same wall-time
# budget on the same UNIPEN split and scored on the same held-out writers (greedy CER). The timing half
# (sequence length, lines/s) is `python bench/run.py --only ink_features`.
#
#   scripts/compare_ink_features.sh [UNIPEN_ROOT] [MINUTES=30]
#
# Both runs use configs/handwriting-cpu.yaml. Bezier gives ~2x fewer steps than the recipe's points, so it
# runs without the x2 conv subsampling: both encoders then see about the same number of frames per line
# and the comparison is of the features, not of the encoder length. Runs in parallel (one core each).
# Environment: DATA (prepared folder, default data/unipen), RUNS (default runs/ink-features).
set -euo pipefail
cd "$(dirname "$0")/.."
UNIPEN=${1:-../shared/data/unipen}
MINUTES=${2:-30}
DATA=${DATA:-data/unipen}
RUNS=${RUNS:-runs/ink-features}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

mkdir -p "$RUNS"
[ -f "$DATA/train.jsonl" ] || suite prepare unipen "$UNIPEN" --out "$DATA" --valid-writers 0.12 --seed 0

common=(--set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl"
        --set train.max_minutes="$MINUTES" --set train.early_stop_patience=100)
suite train configs/handwriting-cpu.yaml --out "$RUNS/points" "${common[@]}" > "$RUNS/points.log" 2>&1 &
points=$!
suite train configs/handwriting-cpu.yaml --out "$RUNS/bezier" "${common[@]}" \
  --set features.kind=bezier --set model.subsample=1 > "$RUNS/bezier.log" 2>&1 &
bezier=$!
failed=0
wait $points || { echo "error: points training failed, see $RUNS/points.log" >&2; failed=1; }
wait $bezier || { echo "error: bezier training failed, see $RUNS/bezier.log" >&2; failed=1; }
[ $failed = 0 ] || exit 1

for kind in points bezier; do
  echo "$kind: $(suite evaluate "$RUNS/$kind/model.pt" --manifest "$DATA/valid.jsonl" --json)" | tee "$RUNS/$kind.json"
done
