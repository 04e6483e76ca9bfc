#!/usr/bin/env bash
# Train the bundled `handwriting-en` model on UNIPEN lines with a writer-disjoint validation split, evaluate
# it on the held-out writers (greedy, and beam search with a word list from the TRAINING text only), and copy
# the bundle to handwriting/models/handwriting-en.pt.
#   scripts/train_handwriting_en.sh ../shared/data/unipen [--set train.max_minutes=50 ...]
# Environment: DATA (prepared data folder), RUN (run folder), CONFIG (recipe).
set -euo pipefail
UNIPEN=${1:-../shared/data/unipen}
shift || true
DATA=${DATA:-data/unipen}
RUN=${RUN:-runs/handwriting-en}
CONFIG=${CONFIG:-configs/handwriting-cpu.yaml}
PY=${PY:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # the machine is shared: one thread per process

if [ ! -f "$DATA/train.jsonl" ]; then
  suite prepare unipen "$UNIPEN" --out "$DATA" --valid-writers 0.12 --seed 0
fi
"$PY" -m handwriting.wordlist "$DATA/train.jsonl" --out "$DATA/words.txt"

start=$(date +%s)
# the bundle was trained with dropout 0.15, no word re-ordering and no cool-down (the recipe now has dropout
# 0.35, augment.word_order 0.5 and train.cooldown 0.1 for small corpora; docs/own-data.md)
suite train "$CONFIG" --set model.dropout=0.15 --set augment.word_order=0 --set train.cooldown=0 --set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl" --out "$RUN" "$@"
echo "training wall time: $(( ($(date +%s) - start) / 60 )) min"

suite evaluate "$RUN/model.pt" --manifest "$DATA/valid.jsonl" --json | tee "$RUN/eval_greedy.json"
suite evaluate "$RUN/model.pt" --manifest "$DATA/valid.jsonl" --json --decoder beam \
  --lexicon "$DATA/words.txt" | tee "$RUN/eval_beam_words.json"
mkdir -p handwriting/models
cp "$RUN/model.pt" handwriting/models/handwriting-en.pt
ls -la handwriting/models/handwriting-en.pt
