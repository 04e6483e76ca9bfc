"""Decoding speed of a bundle on one core: utterances/s of model forward + decoding over a manifest's inputs.

Inputs are loaded (and featurised by `domain.load`) before the clock starts; the model's frontend runs inside
the timing, as in `suite transcribe/read`. Prints one JSON line.

  OMP_NUM_THREADS=1 python scripts/decode_speed.py MODEL --manifest M.jsonl [--limit 300] [--decoder beam --beam-size 8]
"""
from __future__ import annotations

import argparse
import json
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--limit", type=int, default=300, help="first N rows")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--decoder", choices=["greedy", "beam"])
    ap.add_argument("--beam-size", type=int)
    args = ap.parse_args()
    torch.set_num_threads(1)

    from suite.inference import load_predictor
    from suite.manifest import read_manifest

    p = load_predictor(args.model, device="cpu", decoder=args.decoder, beam_size=args.beam_size)
    rows = read_manifest(args.manifest, p.domain.input_key, p.domain.target_key)[:args.limit]
    inputs = [p.load_file(r.path) for r in rows]
    order = sorted(range(len(inputs)), key=lambda i: inputs[i].shape[0])  # as evaluate's length buckets
    t0 = time.perf_counter()
    for s in range(0, len(order), args.batch_size):
        chunk = [inputs[i] for i in order[s:s + args.batch_size]]
        out, lengths = p.run(chunk)
        p.results(out, lengths)
    seconds = time.perf_counter() - t0
    print(json.dumps({"model": args.model, "task": p.task.name, "decoder": p.config.decode.decoder,
                      "beam_size": getattr(p.config.decode, "beam_size", None), "utterances": len(inputs),
                      "seconds": round(seconds, 2), "utt_per_s": round(len(inputs) / seconds, 1)}))


if __name__ == "__main__":
    main()
