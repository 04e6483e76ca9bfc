#!/usr/bin/env bash
# "Train on my own small corpus in under 10 minutes on a CPU" — shown with one FSDD speaker.
#
#   scripts/demo_speech_own_corpus.sh [FSDD_RECORDINGS_DIR] [SPEAKER]
#
# Builds connected-digit utterances of ONE speaker (FSDD indices 10-49 train, 5-9 valid, 0-4 test, so
# test recordings are never heard in training), trains configs/speech-cpu.yaml with nothing but the two
# manifest paths set (the config's budget is 30 minutes; a corpus this small stops early, ~10 minutes on one
# core), and scores the held-out recordings.
set -euo pipefail
cd "$(dirname "$0")/.."
FSDD=${1:-../shared/data/fsdd/recordings}
SPEAKER=${2:-jackson}
DATA=${DATA:-data/own-$SPEAKER}
RUN=${RUN:-runs/own-$SPEAKER}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

suite prepare fsdd "$FSDD" --out "$DATA" --connected --speakers "$SPEAKER" --per-speaker 400 --eval-per-speaker 60 --seed 1
start=$(date +%s)
suite train configs/speech-cpu.yaml --set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl" --out "$RUN"
echo "training took $(( $(date +%s) - start )) s"
suite evaluate "$RUN/model.pt" --manifest "$DATA/test.jsonl" --json | tee "$RUN/test.json"
