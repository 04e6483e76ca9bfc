#!/usr/bin/env bash
# `suite train --init` against training from scratch at the same budget, on a corpus of another kind than
# the bundle's: speech-digits (FSDD: 8 kHz, 4 speakers, one microphone) fine-tuned on AN4's connected-digit
# utterances (16 kHz census recordings of 67 other speakers, "oh" for zero), tested on AN4's test speakers.
#
#   scripts/finetune_vs_scratch.sh [AN4_PREPARED_DIR=data/an4] [MINUTES=8]
# Needs `suite prepare an4 ../shared/data/an4 --out data/an4` first. Both trainings run at the same time,
# one core each, so they share the machine's conditions.
set -euo pipefail
cd "$(dirname "$0")/.."
AN4=${1:-data/an4}
MINUTES=${2:-8}
OUT=${OUT:-runs/finetune-an4-digits}
DATA=data/an4-digits
export OMP_NUM_THREADS=1
mkdir -p "$DATA" "$OUT"
python - "$AN4" "$DATA" <<'PY'
import json, sys
from pathlib import Path
src, dst = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
digits = set("zero one two three four five six seven eight nine oh".split())
for split in ("train", "valid", "test"):
    rows = [json.loads(l) for l in open(src / f"{split}.jsonl")]
    keep = [{**r, "audio": str(src / r["audio"])} for r in rows if set(r["text"].split()) <= digits]
    (dst / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in keep))
    print(split, len(keep), "connected-digit utterances")
PY
common=(--set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl" --set train.max_minutes="$MINUTES")
suite evaluate speech-digits --manifest "$DATA/test.jsonl" --json --workers 0 > "$OUT/zero-shot.json"
suite train configs/speech-cpu.yaml --init speech-digits --out "$OUT/init" "${common[@]}" > "$OUT/init.log" 2>&1 &
a=$!
suite train configs/speech-cpu.yaml --out "$OUT/scratch" "${common[@]}" > "$OUT/scratch.log" 2>&1 &
b=$!
wait $a || echo "init run exited $?"
wait $b || echo "scratch run exited $?"
for run in init scratch; do
  suite evaluate "$OUT/$run/model.pt" --manifest "$DATA/test.jsonl" --json --workers 0 > "$OUT/$run.json"
done
echo "test: AN4 connected digits of 10 unseen speakers"
for r in zero-shot init scratch; do echo "$r $(cat "$OUT/$r.json")"; done
