#!/usr/bin/env bash
# Train the bundled `speech-digits` model and measure it on a speaker it never heard.
#
#   scripts/train_speech_digits.sh [FSDD_RECORDINGS_DIR] [--set key=value ...]   (extra options go to suite train)
#
# 1. builds connected-digit utterances (3-7 digits of one speaker, random pauses) from FSDD,
#    holding one speaker out entirely (HOLDOUT, default jackson) as the test set;
# 2. trains configs/speech-cpu.yaml at 8 kHz on 13 MFCCs (the cepstrum drops the pitch harmonics that 40 log-mels
#    resolve at 8 kHz: speaker detail) with speed/VTLP/noise/gain/SpecAugment augmentation and a weight average;
# 3. evaluates on the held-out speaker with `suite evaluate ... --json` (greedy, and beam with a
#    digit word list);
# 4. copies the bundle to speech/models/speech-digits.pt.
# Environment: DATA (prepared corpus), RUN (run folder), HOLDOUT, EPOCHS, MINUTES, INSTALL=0 to skip step 4.
set -euo pipefail
cd "$(dirname "$0")/.."

FSDD=${1:-../shared/data/fsdd/recordings}
shift || true
HOLDOUT=${HOLDOUT:-jackson}
DATA=${DATA:-data/fsdd-connected-$HOLDOUT}  # per held-out speaker: a split made for another is never reused
RUN=${RUN:-runs/speech-digits}
EPOCHS=${EPOCHS:-40}
MINUTES=${MINUTES:-48}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # shared CPUs: one thread per process

if [ ! -f "$DATA/test.jsonl" ]; then
  suite prepare fsdd "$FSDD" --out "$DATA" --connected --test-speakers "$HOLDOUT" \
    --per-speaker 600 --eval-per-speaker 100 --seed 0
fi

start=$(date +%s)
suite train configs/speech-cpu.yaml --out "$RUN" \
  --set data.train="$DATA/train.jsonl" --set data.valid="$DATA/valid.jsonl" \
  --set features.sample_rate=8000 --set features.kind=mfcc --set features.n_mfcc=13 \
  --set train.batch_size=16 --set train.max_epochs="$EPOCHS" --set train.max_minutes="$MINUTES" \
  --set train.optim.lr=0.003 --set train.optim.warmup_steps=300 \
  --set augment.speed_prob=0.8 --set augment.speed_range='[0.85,1.15]' \
  --set augment.vtlp_prob=0.8 --set augment.vtlp_range='[0.85,1.15]' \
  --set augment.noise_prob=0.5 --set augment.snr_db='[10,40]' --set augment.gain_prob=0.5 \
  --set augment.freq_masks=1 --set augment.freq_mask_width=3 --set augment.time_masks=2 --set augment.time_mask_width=5 \
  --set model.layers=3 --set model.dropout=0.25 --set train.ema_decay=0.999 "$@"
echo "training took $(( $(date +%s) - start )) s"

printf '%s\n' zero one two three four five six seven eight nine > "$RUN/digits.txt"
echo "held-out speaker $HOLDOUT, greedy:"
suite evaluate "$RUN/model.pt" --manifest "$DATA/test.jsonl" --json | tee "$RUN/test-$HOLDOUT.json"
echo "held-out speaker $HOLDOUT, beam search over the digit words:"
suite evaluate "$RUN/model.pt" --manifest "$DATA/test.jsonl" --json --lexicon "$RUN/digits.txt" \
  | tee "$RUN/test-$HOLDOUT-lexicon.json"

if [ "${INSTALL:-1}" = 1 ]; then
  mkdir -p speech/models
  cp "$RUN/model.pt" speech/models/speech-digits.pt
  echo "installed speech/models/speech-digits.pt ($(du -h speech/models/speech-digits.pt | cut -f1))"
fi
