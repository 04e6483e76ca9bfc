"""The `suite` command line. Core commands here; each domain adds its own (transcribe, read, label, ...)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from .cli_tools import add_decode_options, decode_overrides, example_epilog
from .errors import SuiteError


def _parser_kwargs(help: str, example: str) -> dict:
    return dict(help=help, description=help, epilog=example_epilog(example),
                formatter_class=argparse.RawDescriptionHelpFormatter)


def cmd_train(args) -> int:
    from pathlib import Path

    if not Path(args.config).is_file():  # before importing the trainer (Lightning): a typo answers at once
        raise SuiteError("config file not found", args.config)
    from .train import train

    train(args.config, args.set or [], args.out, resume=args.resume, init=args.init)
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate
    from .inference import load_predictor

    predictor = load_predictor(args.model, device=args.device, **decode_overrides(args))
    result = evaluate(predictor, args.manifest, allow_outside=args.allow_outside_paths,
                      batch_size=args.batch_size, num_workers=args.workers, quiet=args.json, views=args.views)
    pairs = result.pop("_pairs", None)
    result.pop("_ids", None)
    matrix = result.pop("_confusion", None)
    per_class = result.pop("_per_class", None)
    if per_class:  # accuracy of each class present in the manifest (classification), and where errors went
        from .tasks.classify import confused

        result["per_class"] = per_class
        result["confused"] = confused(matrix, predictor.labels)  # {true: {predicted: count}}
    if args.confusion:
        if matrix is None:
            raise SuiteError("--confusion applies to classification models")
        from .plots import plot_confusion

        plot_confusion(matrix, predictor.labels, args.confusion)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
        if pairs and args.show_errors:
            for ref, hyp in pairs:
                if ref != hyp:
                    print(f"  ref: {ref}\n  hyp: {hyp}")
    return 0


def cmd_lm_build(args) -> int:
    from .ngram_lm import build_lm

    info = build_lm(args.texts, args.out, unit=args.unit, order=args.order, field=args.field,
                    lowercase=args.lowercase, words_out=args.words)
    kind = {"char": "character", "word": "word"}[info["unit"]]
    print(f"{info['order']}-gram {kind} LM from {info['sentences']} lines ({info['tokens']} tokens, "
          f"{sum(info['ngrams'])} n-grams) -> {info['out']}")
    if args.words:
        print(f"{info['words']} words -> {info['words_out']}")
    if args.unit == "word" and not args.words:
        print("a word LM scores whole words: decode with it and --lexicon WORDS.txt (--words writes one)")
    return 0


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def cmd_lm_tune(args) -> int:
    from .lm_tune import tune

    result = tune(args.model, args.manifest, lm=args.lm, lexicon=args.lexicon, lm_weights=args.lm_weights,
                  word_scores=args.word_scores, beam_size=args.beam_size, batch_size=args.batch_size,
                  num_workers=args.workers, device=args.device, quiet=args.json)
    if args.json:
        print(json.dumps(result))
        return 0
    for row in result["grid"]:
        print(f"lm_weight {row['lm_weight']:6.2f}  word_score {row['word_score']:6.2f}  wer {row['wer']:.4f}")
    best = result["best"]
    print(f"greedy wer {result['greedy_wer']:.4f} on {result['samples']} samples")
    print(f"best: --lm-weight {best['lm_weight']} --word-score {best['word_score']}  (wer {best['wer']:.4f})")
    return 0


def cmd_tune(args) -> int:
    from .tune import run_cli  # optuna is imported by this command only

    return run_cli(args)


def cmd_models(args) -> int:
    from .catalog import format_card, list_models

    cards = list_models(args.models)
    for card in cards:
        print(json.dumps(card, ensure_ascii=False) if args.json else format_card(card))
    return 1 if any("error" in c for c in cards) else 0


def cmd_prepare(args) -> int:
    path = args.prepare_run(args)
    if path:
        print(path)
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole command tree. Parts only one command needs (the dataset formats of `prepare`, which import
    their domain's readers) are built only when that command is asked for, so `suite --help` stays fast."""
    from .registry import domains

    argv = sys.argv[1:] if argv is None else argv
    asked = next((a for a in argv if not a.startswith("-")), None)

    parser = argparse.ArgumentParser(
        prog="suite", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sequence Suite: turn sequences (speech, video, online handwriting) into labels.",
        epilog="examples:\n  suite transcribe examples/speech/*.wav\n  suite train configs/speech-cpu.yaml "
               "--set data.train=data/train.jsonl --set data.valid=data/valid.jsonl --out runs/speech\n"
               "  suite evaluate runs/speech/model.pt --manifest data/test.jsonl --json")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"sequence-suite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", **_parser_kwargs(
        "train a model from a recipe config; writes RUN/model.pt",
        "suite train configs/speech-cpu.yaml --set data.train=d/train.jsonl --set data.valid=d/valid.jsonl --out runs/s"))
    p.add_argument("config", help="recipe YAML (see configs/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key (repeatable)")
    p.add_argument("--out", metavar="RUN", help="run folder (default runs/<config name>)")
    p.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints/last.ckpt")
    p.add_argument("--init", metavar="MODEL", help="fine-tune a bundled model (name) or a model.pt on this data: its "
                   "features and architecture are kept, new symbols/classes get fresh outputs")
    p.epilog += ("\n\nexit codes: 0 trained; 2 a user error (bad config, manifest, file); 3 trained but the model "
                 "learned nothing (no better than an empty transcript / chance): model.pt is written, the verdict says why")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", **_parser_kwargs(
        "score a model on a manifest (WER/CER or accuracy)",
        "suite evaluate speech-digits --manifest data/test.jsonl --json"))
    p.add_argument("model", help="bundle path or bundled model name")
    p.add_argument("--manifest", required=True, help="JSONL manifest with targets")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="data loading processes")
    p.add_argument("--device", default="auto")
    p.add_argument("--allow-outside-paths", action="store_true", help="allow manifest paths outside its folder")
    p.add_argument("--views", type=int, metavar="N",
                   help="views of each input whose scores are averaged, for domains that sample several (a video's "
                        "staggered clips); default: the model's own setting, as its inference uses")
    p.add_argument("--confusion", metavar="PNG", help="draw the confusion matrix (classification)")
    p.add_argument("--show-errors", action="store_true", help="print reference/hypothesis pairs that differ")
    add_decode_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("lm-build", **_parser_kwargs(
        "build a character or word n-gram LM (ARPA, interpolated Kneser-Ney) from training texts for beam search",
        "suite lm-build data/train.jsonl --out data/chars.arpa && "
        "suite evaluate MODEL --manifest data/valid.jsonl --lm data/chars.arpa --lm-weight 0.5\n"
        "  suite lm-build data/train.jsonl --unit word --out data/words.arpa --words data/words.txt && "
        "suite evaluate MODEL --manifest data/valid.jsonl --lm data/words.arpa --lexicon data/words.txt"))
    p.add_argument("texts", nargs="+", metavar="TEXT", help="JSONL manifests (their 'text') or text files, one line each")
    p.add_argument("--out", required=True, metavar="ARPA", help="ARPA file to write")
    p.add_argument("--unit", choices=["char", "word"], default="char",
                   help="char: for lexicon-free beam search (default); word: for search with --lexicon")
    p.add_argument("--order", type=int, default=None, help="n-gram order (default 6 for char, 3 for word)")
    p.add_argument("--words", metavar="TXT", help="also write the texts' words, one per line (a --lexicon)")
    p.add_argument("--field", default="text", help="manifest field holding the text (default 'text')")
    p.add_argument("--lowercase", action="store_true", help="lowercase the text first (for lowercase models)")
    p.set_defaults(func=cmd_lm_build)

    p = sub.add_parser("lm-tune", **_parser_kwargs(
        "grid-search the LM weight and word score of beam decoding on a validation manifest (any CTC model)",
        "suite lm-tune runs/speech/model.pt --manifest data/valid.jsonl --lm data/words.arpa --lexicon data/words.txt"))
    p.add_argument("model", help="bundle path or bundled model name")
    p.add_argument("--manifest", required=True, help="JSONL manifest with transcripts")
    p.add_argument("--lm", help="KenLM model (binary or ARPA), e.g. from suite lm-build")
    p.add_argument("--lexicon", help="word list restricting the search to its words")
    p.add_argument("--lm-weights", type=_floats, default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0],
                   help="comma-separated LM weights to try (default 0,0.25,0.5,0.75,1,1.5,2)")
    p.add_argument("--word-scores", type=_floats, default=[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0],
                   help="comma-separated word scores to try (default -2,-1,-0.5,0,0.5,1,2); "
                        "write --word-scores=-1,0,1 when the list starts with a minus")
    p.add_argument("--beam-size", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="data loading processes")
    p.add_argument("--device", default="auto")
    p.add_argument("--allow-outside-paths", action="store_true", help=argparse.SUPPRESS)  # no effect: accepted always
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_lm_tune)

    p = sub.add_parser("tune", **_parser_kwargs(
        "search a recipe's hyperparameters with Optuna (TPE, pruning); each trial is a run folder OUT/trial-NNN",
        "suite tune configs/speech-cpu.yaml --space examples/tune/speech-cpu.yaml --set data.train=d/train.jsonl "
        "--set data.valid=d/valid.jsonl --trials 12 --minutes 60"))
    p.add_argument("config", help="recipe YAML (see configs/)")
    p.add_argument("--space", required=True, metavar="SPACE.yaml",
                   help="keys to search, e.g. 'train.optim.lr: {type: float, low: 1e-4, high: 1e-2, log: true}'")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key in every trial (repeatable)")
    p.add_argument("--out", metavar="OUT", help="study folder: study.db, trial-NNN/, best.yaml, trials.csv/png "
                   "(default runs/tune-<config name>); the same command again resumes the study")
    p.add_argument("--trials", type=int, default=20, help="finished trials the study should hold (default 20)")
    p.add_argument("--minutes", type=float, help="wall-time cap of this command; no trial trains longer than what is left")
    p.add_argument("--pruner", choices=["median", "hyperband", "none"], default="median",
                   help="stop trials whose validations trail the others' (default median)")
    p.add_argument("--seed", type=int, default=0, help="TPE sampler seed (default 0)")
    p.add_argument("--startup-trials", type=int, default=3, help="median pruner: trials run to the end first (default 3)")
    p.add_argument("--warmup-validations", type=int, default=2,
                   help="validations a trial always gets before it may be pruned (default 2)")
    p.add_argument("--no-baseline", action="store_true",
                   help="do not start a new study with the recipe's own values as trial 0")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep each trial's checkpoints/ (model.pt is kept)")
    p.add_argument("--verbose", action="store_true", help="show the trials' training output (default: trial-NNN/train.log)")
    p.epilog += "\n\nexit codes: 0 done; 2 a user error (bad space, config); 3 no trial learned anything"
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("models", **_parser_kwargs(
        "list the bundled models (and any given model files): what each knows and its measured scores",
        "suite models\n  suite models runs/speech/model.pt --json"))
    p.add_argument("models", nargs="*", metavar="MODEL", help="model files (or bundled names) to describe as well")
    p.add_argument("--json", action="store_true", help="one JSON object per model")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("prepare", **_parser_kwargs(
        "convert a dataset into DIR/manifest.jsonl", "suite prepare fsdd ~/fsdd/recordings --out data/fsdd"))
    formats = p.add_subparsers(dest="format", metavar="FORMAT")
    p.set_defaults(func=lambda args, p=p: p.print_help() or 2)
    for dom in domains().values() if asked == "prepare" else ():
        for fmt, (add_args, run) in (dom.prepare_formats() if dom.prepare_formats else {}).items():
            fp = formats.add_parser(fmt, help=f"{dom.name}: {fmt}", description=f"{dom.name} dataset format '{fmt}'")
            fp.add_argument("source", metavar="SOURCE")
            fp.add_argument("--out", required=True, metavar="DIR")
            add_args(fp)
            fp.set_defaults(func=cmd_prepare, prepare_run=run)

    from .serve.cli import add_serve_command  # fastapi/uvicorn are imported only when serving

    add_serve_command(sub)

    synth = sub.add_parser("synth", help="generate synthetic training data",
                           description="Generate synthetic training data for a domain.")
    kinds = synth.add_subparsers(dest="synth_kind", metavar="KIND")
    synth.set_defaults(func=lambda args, p=synth: p.print_help() or 2)
    add_domain_commands(sub, kinds, argv)
    return parser


def add_domain_commands(sub, kinds, argv: list[str]) -> None:
    """Each domain's commands. A domain that declares its commands builds them only when one of them is
    asked for; otherwise they are listed from the declaration (so `suite --help` imports no domain code)."""
    from .registry import domains

    words = [a for a in argv if not a.startswith("-")]
    asked = " ".join(words[:2]) if words[:1] == ["synth"] else (words[0] if words else None)
    for dom in domains().values():
        if not dom.add_commands:
            continue
        if not dom.commands or asked in dom.commands:
            dom.add_commands(sub, kinds)
            continue
        for name, text in dom.commands.items():
            group, _, kind = name.rpartition(" ")
            (kinds if group == "synth" else sub).add_parser(kind, help=text, description=text)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return getattr(err, "exit_code", 2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
