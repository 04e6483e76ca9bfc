"""`suite read` (recognize ink files, one result per UNIPEN segment) and `suite render` (ink to PNG)."""
from __future__ import annotations

import argparse
from pathlib import Path

from suite.cli_tools import add_predict_command, example_epilog
from suite.errors import SuiteError


def _render(args) -> int:
    from .features import ink_features
    from .formats import read_ink
    from .render import render_inks

    inks = read_ink(args.ink)
    if args.segment is not None:
        if not 0 <= args.segment < len(inks):
            raise SuiteError(f"--segment {args.segment} out of range (the file holds {len(inks)} samples)", args.ink)
        inks = [inks[args.segment]]
    captions: list = [None] * len(inks)
    if not args.no_text:
        from suite.inference import load_predictor

        predictor = load_predictor(args.model or "handwriting-en")
        out, lengths = predictor.run([ink_features(i, predictor.config.features) for i in inks])
        captions = [r["text"] for r in predictor.results(out, lengths)]
    out = render_inks(list(zip(inks, captions)), args.out)
    print(out)
    return 0


def _png(value: str) -> str:
    from suite.explain import check_png_path  # only when asked: --help imports no torch

    return str(check_png_path(value))


def _read_args(p: argparse.ArgumentParser) -> None:
    p.add_argument_group("handwriting").add_argument(
        "--explain", metavar="PNG", type=_png,
        help="draw the ink with each point coloured by how much the text read relies on it (integrated "
             "gradients; with several files: PNG-<name>.png each)")


def _explain(args) -> None:
    """After `read` printed its results: one explanation PNG per readable file."""
    from suite.cli_tools import decode_overrides
    from suite.explain import explain, png_paths
    from suite.inference import default_model, load_predictor

    from .explain_plot import MAX_ROWS, draw_explanation
    from .formats import read_ink

    predictor = load_predictor(args.model or default_model("handwriting"), device=args.device,
                               **decode_overrides(args))
    paths = png_paths(args.explain, args.files)
    for f in args.files:
        try:
            samples = predictor.file_samples(f)
            inks = read_ink(f)
        except SuiteError:
            continue  # `read` has already reported it
        shown = samples[:MAX_ROWS]
        found = explain(predictor, [x for _, x in shown])
        draw_explanation(f, inks, [e.relevance for e in found], [{**info, **e.result} for (info, _), e in
                                                               zip(shown, found)], paths[f],
                         features=predictor.config.features)


def _with_explanations(run):
    def read(args) -> int:
        code = run(args)
        if args.explain:
            _explain(args)
        return code

    return read


def add_commands(sub, synth_kinds=None) -> None:
    p = add_predict_command(sub, "read", "handwriting",
                            "recognize handwriting in ink files (UNIPEN, InkML, IAM-OnDB XML, JSON ink)",
                            "suite read examples/handwriting/*.json", extra_args=_read_args)
    p.set_defaults(func=_with_explanations(p.get_default("func")))
    p = sub.add_parser("render", help="draw an ink file (and the recognized text under it) to a PNG",
                       description="Draw the strokes of an ink file, with the text the model reads under each "
                                   "sample, so you can see what was read.",
                       epilog=example_epilog("suite render examples/handwriting/line1.json --out line1.png"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ink", help="ink file (UNIPEN, InkML, IAM-OnDB XML or JSON)")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--model", help="bundle path or bundled model name (default handwriting-en)")
    p.add_argument("--segment", type=int, help="only this sample of a multi-sample file (0-based)")
    p.add_argument("--no-text", action="store_true", help="draw the ink only, without recognizing it")
    p.set_defaults(func=_render)
