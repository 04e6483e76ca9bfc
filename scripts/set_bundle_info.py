"""Write a model's card into its bundle: a one-line description and measured scores (shown by `suite models`).

    python scripts/set_bundle_info.py MODEL.pt --description "..." --score "test WER=0.087" [--score ...]

The bundle is re-saved in the current layout (older bundles are upgraded); weights are unchanged.
"""
from __future__ import annotations

import argparse

from suite.bundle import save_bundle
from suite.inference import read_bundle


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle")
    p.add_argument("--description", required=True)
    p.add_argument("--score", action="append", default=[], metavar="NAME=VALUE",
                   help="a measured score (repeatable); say what set and decoder it was measured on")
    args = p.parse_args()
    b = read_bundle(args.bundle)
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
