"""Write a model's card into its bundle: a one-line description and measured scores (shown by `suite models`).

    python scripts/set_bundle_info.py MODEL.pt --description "..." --score "test WER=0.087" [--score ...]
        [--decode decoder=beam --decode lm=NAME.arpa ...]

The bundle is re-saved in the current layout (older bundles are upgraded); weights are unchanged. `--decode`
sets the bundle's default decoding (a relative `lm`/`lexicon` names a file beside the bundle).
"""
from __future__ import annotations

import argparse

from suite.bundle import save_bundle
from suite.config import build_config
from suite.inference import read_bundle


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle")
    p.add_argument("--description", required=True)
    p.add_argument("--score", action="append", default=[], metavar="NAME=VALUE",
                   help="a measured score (repeatable); say what set and decoder it was measured on")
    p.add_argument("--decode", action="append", default=[], metavar="KEY=VALUE",
                   help="a default of the bundle's decode section (repeatable), checked against the task's config")
    args = p.parse_args()
    b = read_bundle(args.bundle)
    if args.decode:
        import yaml

        decode = dict(b["config"].get("decode") or {})
        for item in args.decode:
            key, _, value = item.partition("=")
            decode[key.strip()] = yaml.safe_load(value)
        b["config"] = {**b["config"], "decode": decode}
        build_config(b["config"], source=args.bundle)  # a bad key or value fails here, before anything is written
    scores = {}
    for item in args.score:
        name, _, value = item.rpartition("=")
        scores[name.strip()] = float(value)
    info = {**(b.get("info") or {}), "description": args.description, "scores": scores}
    save_bundle(args.bundle, domain=b["domain"], config=b["config"], state_dict=b["state_dict"], targets=b["targets"],
                metrics=b.get("metrics"), info=info)
    print(f"{args.bundle}: {args.description} ({len(scores)} scores)")


if __name__ == "__main__":
    main()
