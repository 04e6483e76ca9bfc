#!/usr/bin/env bash
# CTC vs attention vs joint CTC+attention at an equal budget (MINUTES of training on one core each, default 15, no
# step cap), on AN4 (speech, test set) and UNIPEN (handwriting, the held-out writers). See docs/attention.md.
# Usage: [MINUTES=35] [TAG=-35m] scripts/attention_compare.sh [RUN_NAME ...]   (default: all six, one after the other)
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
S=.venv/bin/suite
BUDGET=(--set train.max_minutes=${MINUTES:-15} --set train.max_steps=-1)
SPEECH=(configs/speech-cpu.yaml --set features.sample_rate=16000
        --set data.train=data/an4/train.jsonl --set data.valid=data/an4/valid.jsonl)
HW=(configs/handwriting-cpu.yaml --set data.train=data/unipen/train.jsonl --set data.valid=data/unipen/valid.jsonl)
ATT=(--set objective=attention)
JOINT=(--set objective=attention --set model.ctc_weight=0.3 --set decode.ctc_weight=0.3)

run() {  # name test-manifest train-args...
  local name=$1 test=$2; shift 2
  local out=runs/attn-$name${TAG:-}
  echo "== $name $(date -u +%T)"
  $S train "$@" "${BUDGET[@]}" --out "$out" > "$out.train.log" 2>&1
  echo "train exit $? $(date -u +%T)"
  $S evaluate "$out/model.pt" --manifest "$test" --json --workers 1 > "$out.eval-greedy.json" 2>/dev/null
  .venv/bin/python scripts/decode_speed.py "$out/model.pt" --manifest "$test" --decoder greedy > "$out.speed-greedy.json"
  if [ "$name" != "${name%ctc}" ]; then return; fi  # CTC: greedy (its recipes' decoder)
  $S evaluate "$out/model.pt" --manifest "$test" --json --workers 1 --decoder beam --beam-size 8 > "$out.eval-beam8.json" 2>/dev/null
  .venv/bin/python scripts/decode_speed.py "$out/model.pt" --manifest "$test" --decoder beam --beam-size 8 > "$out.speed-beam8.json"
}

ALL="speech-ctc speech-att speech-joint hw-ctc hw-att hw-joint"
for name in ${@:-$ALL}; do
  case $name in
    speech-ctc)   run $name data/an4/test.jsonl "${SPEECH[@]}" ;;
    speech-att)   run $name data/an4/test.jsonl "${SPEECH[@]}" "${ATT[@]}" ;;
    speech-joint) run $name data/an4/test.jsonl "${SPEECH[@]}" "${JOINT[@]}" ;;
    hw-ctc)       run $name data/unipen/valid.jsonl "${HW[@]}" ;;
    hw-att)       run $name data/unipen/valid.jsonl "${HW[@]}" "${ATT[@]}" ;;
    hw-joint)     run $name data/unipen/valid.jsonl "${HW[@]}" "${JOINT[@]}" ;;
  esac
done
echo "== done $(date -u +%T)"
