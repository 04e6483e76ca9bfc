#!/usr/bin/env bash
# Train the bundled `speech-en` model on CMU AN4 and measure it on AN4's test speakers.
#
#   scripts/train_speech_en.sh [AN4_ROOT] [--set key=value ...]   (extra options go to suite train)
#
# 1. prepares AN4 (speaker-disjoint train/valid from the training speakers, test = AN4's 130 test files) and a
#    word trigram LM + word list from the training transcripts;
# 2. trains configs/speech-en.yaml on one CPU thread (its budget: 100 minutes);
# 3. chooses the beam-search LM weight and word score on valid (`suite lm-tune`);
# 4. evaluates on test, greedy and beam+LM with the chosen weights (the test set gives the final figures only);
# 5. installs the bundle as speech/models/speech-en.pt with its word list (and the LM, if valid gave it a weight)
#    beside it, decoding with what valid chose by default.
# Environment: DATA (prepared corpus), RUN (run folder), INSTALL=0 to skip step 5, SKIP_TRAIN=1 to reuse RUN.
set -euo pipefail
cd "$(dirname "$0")/.."

AN4=${1:-../shared/data/an4}
shift || true
DATA=${DATA:-data/an4}
RUN=${RUN:-runs/speech-en}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # the recipe is sized for one core

if [ ! -f "$DATA/test.jsonl" ]; then
  suite prepare an4 "$AN4" --out "$DATA"
fi
if [ ! -f "$DATA/words.arpa" ]; then
  suite lm-build "$DATA/train.jsonl" --unit word --out "$DATA/words.arpa" --words "$DATA/words.txt"
fi

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  start=$(date +%s)
  suite train configs/speech-en.yaml --out "$RUN" \
    --set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl" "$@"
  echo "training took $(( $(date +%s) - start )) s"
fi

suite lm-tune "$RUN/model.pt" --manifest "$DATA/valid.jsonl" --lm "$DATA/words.arpa" --lexicon "$DATA/words.txt" \
  --lm-weights 0,0.5,1,1.5,2,3 --word-scores=-2,-1,0,1,2 --json | tee "$RUN/lm-tune-valid.json"
read -r LMW WS < <(python -c "import json,sys; b=json.load(open(sys.argv[1]))['best']; print(b['lm_weight'], b['word_score'])" \
  "$RUN/lm-tune-valid.json")
echo "chosen on valid: lm_weight=$LMW word_score=$WS"

echo "AN4 test, greedy:"
suite evaluate "$RUN/model.pt" --manifest "$DATA/test.jsonl" --json | tee "$RUN/test-greedy.json"
echo "AN4 test, beam search with the word LM:"
suite evaluate "$RUN/model.pt" --manifest "$DATA/test.jsonl" --json --decoder beam --lm "$DATA/words.arpa" \
  --lexicon "$DATA/words.txt" --lm-weight "$LMW" --word-score "$WS" | tee "$RUN/test-beam-lm.json"

if [ "${INSTALL:-1}" = 1 ]; then
  out=speech/models/speech-en.pt
  cp "$RUN/model.pt" "$out"
  cp "$DATA/words.txt" speech/models/speech-en.words.txt
  decode=(--decode decoder=beam --decode lexicon=speech-en.words.txt --decode word_score="$WS")
  rm -f speech/models/speech-en.words.arpa
  if python -c "import sys; sys.exit(float(sys.argv[1]) == 0)" "$LMW"; then  # the LM ships only if valid chose it
    cp "$DATA/words.arpa" speech/models/speech-en.words.arpa
    decode+=(--decode lm=speech-en.words.arpa --decode lm_weight="$LMW")
  fi
  score() { python -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
  python scripts/set_bundle_info.py "$out" \
    --description "English census speech of CMU AN4 (16 kHz): spelled letters, digits and numbers, about 100 \
command words; not general English" \
    --score "AN4 test WER (default: beam, word list, LM weight $LMW)=$(score "$RUN/test-beam-lm.json" wer)" \
    --score "AN4 test CER (default: beam, word list, LM weight $LMW)=$(score "$RUN/test-beam-lm.json" cer)" \
    --score "AN4 test WER (greedy)=$(score "$RUN/test-greedy.json" wer)" \
    "${decode[@]}"
  echo "installed $out ($(du -h "$out" | cut -f1)) with its word list (and LM when chosen) beside it"
fi
