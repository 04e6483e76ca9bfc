"""Helpers domains use to add their commands: inference over files with the shared options and output."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from .errors import SuiteError
from .progress import progress


def example_epilog(example: str) -> str:
    return f"example:\n  {example}"


def add_decode_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("decoding (CTC models)")
    g.add_argument("--decoder", choices=["greedy", "beam"], help="greedy best path (default) or beam search")
    g.add_argument("--beam-size", type=int, help="beam width (default 16)")
    g.add_argument("--lm", help="KenLM model (binary or ARPA) for beam search")
    g.add_argument("--lexicon", help="word list (one word per line) restricting beam search to its words")
    g.add_argument("--lm-weight", type=float, help="language model weight")
    g.add_argument("--word-score", type=float, help="score added per word")


def decode_overrides(args: argparse.Namespace) -> dict:
    if not hasattr(args, "decoder"):  # a command without decoding options (its task has none)
        return {}
    out = {"decoder": args.decoder, "beam_size": args.beam_size, "lm": args.lm, "lexicon": args.lexicon,
           "lm_weight": args.lm_weight, "word_score": args.word_score}
    if (args.lm or args.lexicon) and not args.decoder:
        out["decoder"] = "beam"
    return out


def task_decodes(domain_name: str) -> bool:
    """Whether the domain's task has decoding options (a `decode:` section)."""
    from .registry import get_domain
    from .tasks import NoDecoding, get_task

    return get_task(get_domain(domain_name).task).decode_config is not NoDecoding


def print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: v for k, v in result.items() if k != "display"}, ensure_ascii=False), flush=True)
    elif "display" in result:
        print(result["display"], flush=True)
    elif "text" in result:
        where = f"{result['file']}[{result['segment']}]" if "segment" in result else result["file"]
        print(f"{where}\t{result['text']}", flush=True)
    else:
        print(f"{result['file']}\t{result['label']}\t{result['confidence']:.3f}", flush=True)


def add_predict_command(subparsers, name: str, domain_name: str, help: str, example: str,
                        extra_args: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    """`suite NAME [--model MODEL] FILES... [--json]`: one result per file, errors as one line each."""
    p = subparsers.add_parser(name, help=help, description=help, epilog=example_epilog(example),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--model", help=f"bundle path or bundled name (default: the bundled {domain_name} model)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    if task_decodes(domain_name):
        add_decode_options(p)
    if extra_args:
        extra_args(p)
    reserved = {"files", "model", "json", "batch_size", "device", "decoder", "beam_size", "lm", "lexicon",
                "lm_weight", "word_score", "func", "command"}

    def run(args: argparse.Namespace) -> int:
        from .inference import default_model, load_predictor

        predictor = load_predictor(args.model or default_model(domain_name), device=args.device,
                                   **decode_overrides(args))
        if predictor.domain.name != domain_name:
            raise SuiteError(f"'{name}' needs a {domain_name} model, this one is for {predictor.domain.name}",
                             args.model)
        opts = {k: v for k, v in vars(args).items() if k not in reserved}
        failures = 0
        with progress(len(args.files), name, quiet=args.json) as bar:
            for start in range(0, len(args.files), args.batch_size):
                chunk = args.files[start:start + args.batch_size]
                try:
                    results = predictor.predict(chunk, batch_size=args.batch_size, **opts)
                except SuiteError as err:
                    results = [{"file": f, "error": str(err)} for f in chunk]
                for r in results:
                    if "error" in r:
                        failures += 1
                        print(f"error: {r['error']}", file=sys.stderr)
                    else:
                        print_result(r, args.json)
                bar(len(chunk))
        return 1 if failures else 0

    p.set_defaults(func=run)
    return p
