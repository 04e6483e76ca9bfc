"""Speech commands: `suite transcribe` and `suite lm-tune`."""
from __future__ import annotations

import argparse
import json

from suite.cli_tools import add_predict_command, example_epilog
from suite.errors import SuiteError


def _transcribe_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("speech")
    g.add_argument("--timestamps", action="store_true", help="print start/end time (s) of every word")
    g.add_argument("--plot", metavar="PNG",
                   help="draw the spectrogram over the per-frame character posteriors (one PNG per file)")
    g.add_argument("--max-seconds", type=float, default=30.0,
                   help="files longer than this are transcribed in chunks (default 30)")
    g.add_argument("--split", choices=["pause", "overlap"], default="pause",
                   help="cut long files at the quietest point near each limit (pause, default) "
                        "or into fixed overlapping windows (overlap)")
    g.add_argument("--overlap", type=float, default=2.0, help="overlap of windows in seconds with --split overlap")


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def add_commands(sub) -> None:
    add_predict_command(
        sub, "transcribe", "speech", "transcribe audio files (WAV/FLAC/OGG/MP3, any rate and channel count)",
        "suite transcribe examples/speech/*.wav --timestamps", extra_args=_transcribe_args)

    p = sub.add_parser(
        "lm-tune", help="grid-search LM weight and word score for beam decoding on a validation manifest",
        description="Decode a validation manifest with every (LM weight, word score) pair and print the best.",
        epilog=example_epilog("suite lm-tune runs/speech/model.pt --manifest data/valid.jsonl --lm lm.arpa"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="bundle path or bundled model name")
    p.add_argument("--manifest", required=True, help="JSONL manifest with transcripts")
    p.add_argument("--lm", help="KenLM model (binary or ARPA)")
    p.add_argument("--lexicon", help="word list restricting the search to its words")
    p.add_argument("--lm-weights", type=_floats, default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0],
                   help="comma-separated LM weights to try (default 0,0.25,0.5,0.75,1,1.5,2)")
    p.add_argument("--word-scores", type=_floats, default=[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0],
                   help="comma-separated word scores to try (default -2,-1,-0.5,0,0.5,1,2); write --word-scores=-1,0,1 when the list starts with a minus")
    p.add_argument("--beam-size", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="auto")
    p.add_argument("--allow-outside-paths", action="store_true", help="allow manifest paths outside its folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run_lm_tune)


def _run_lm_tune(args) -> int:
    from .lm_tune import tune

    if not args.lm and not args.lexicon:
        raise SuiteError("lm-tune needs --lm and/or --lexicon")
    if not args.lm_weights or not args.word_scores:
        raise SuiteError("--lm-weights and --word-scores need at least one value each")
    result = tune(args.model, args.manifest, lm=args.lm, lexicon=args.lexicon, lm_weights=args.lm_weights,
                  word_scores=args.word_scores, beam_size=args.beam_size, batch_size=args.batch_size,
                  device=args.device, allow_outside=args.allow_outside_paths, quiet=args.json)
    if args.json:
        print(json.dumps(result))
        return 0
    for row in result["grid"]:
        print(f"lm_weight {row['lm_weight']:6.2f}  word_score {row['word_score']:6.2f}  wer {row['wer']:.4f}")
    best = result["best"]
    print(f"greedy wer {result['greedy_wer']:.4f} on {result['samples']} samples")
    print(f"best: --lm-weight {best['lm_weight']} --word-score {best['word_score']}  (wer {best['wer']:.4f})")
    return 0
