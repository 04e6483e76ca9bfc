"""Characters x encoder frames ("cells") of a manifest's longest samples, against the attention batch bound.

    python scripts/attention_cells.py MANIFEST [--config configs/handwriting-cpu.yaml] [--top 8]

Each sample's encoder frames come from the recipe's model (``objective: attention``) as `suite train` computes
them; a batch holds at most ``MAX_ATTENTION_CELLS`` cells (its size x its largest sample's; docs/attention.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from suite.config import load_config  # noqa: E402
from suite.manifest import read_manifest  # noqa: E402
from suite.models import build_model  # noqa: E402
from suite.registry import get_domain  # noqa: E402
from suite.tasks import config_task  # noqa: E402
from suite.tasks.attention import MAX_ATTENTION_CELLS  # noqa: E402
from suite.tasks.ctc import Vocabulary  # noqa: E402
from suite.train import output_lengths, row_lengths  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("manifest")
    p.add_argument("--config", default="configs/handwriting-cpu.yaml", help="the recipe (default: %(default)s)")
    p.add_argument("--top", type=int, default=8, help="how many of the longest transcripts (default: %(default)s)")
    a = p.parse_args()
    cfg = load_config(a.config, ["objective=attention"])
    domain = get_domain(cfg.task)
    task = config_task(domain, cfg.objective)
    rows = sorted(read_manifest(a.manifest, domain.input_key, domain.target_key), key=lambda r: -len(r.target))
    rows = rows[:a.top]
    vocab = Vocabulary(sorted({c for r in rows for c in r.target}))
    model = build_model(domain, task, cfg, vocab)
    outs = output_lengths(model, row_lengths(domain, rows, cfg.features))
    print(f"bound: {MAX_ATTENTION_CELLS:,} cells per batch")
    for r, o, c in zip(rows, outs, task.batch_costs(vocab, rows, outs)):
        print(f"{r.id}\t{len(r.target)} characters x {o} encoder frames = {c:,} cells"
              f"{'' if c <= MAX_ATTENTION_CELLS else ' (left out)'}")


if __name__ == "__main__":
    main()
