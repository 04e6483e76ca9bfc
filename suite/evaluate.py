"""`suite evaluate`: a bundle on a manifest, with its task's metrics."""
from __future__ import annotations

import sys
from functools import partial

from torch.utils.data import DataLoader

from .data import BucketBatchSampler, ManifestDataset, collate
from .manifest import read_manifest
from .progress import progress


def evaluate(predictor, manifest: str, *, allow_outside: bool = True, batch_size: int = 16,
             num_workers: int = 2, quiet: bool = False) -> dict:
    """``{"samples", "skipped", <task metrics>}``; artefacts such as ``_pairs`` or ``_confusion`` start with ``_``."""
    dom, task, targets = predictor.domain, predictor.task, predictor.targets
    rows = read_manifest(manifest, dom.input_key, dom.target_key, allow_outside=allow_outside)
    targets.check(rows, manifest)
    ds = ManifestDataset(rows, dom, predictor.config.features, None, targets.encode,
                         max_file_mb=predictor.config.data.max_file_mb)
    sampler = BucketBatchSampler([r.length or 1 for r in rows], batch_size, shuffle=False, bucket=True)
    loader = DataLoader(ds, batch_sampler=sampler, collate_fn=partial(collate, collate_targets=task.collate_targets),
                        num_workers=num_workers)
    refs, hyps, skipped = [], [], []
    with progress(len(rows), "evaluating", quiet=quiet) as bar:
        for batch in loader:
            skipped += batch.skipped
            if batch.ids:
                out, out_lengths = predictor.run_padded(batch.inputs, batch.lengths)  # the loader already padded it
                refs += task.batch_references(batch, targets)  # as validation during training sees them
                hyps += task.hypotheses(out, out_lengths, targets, predictor.decoder)
            bar(len(batch.ids) + len(batch.skipped))
    for sid, reason in skipped[:5]:
        print(f"skipped: {reason}", file=sys.stderr)
    result: dict = {"samples": len(rows) - len(skipped), "skipped": len(skipped)}
    metrics = task.metrics(refs, hyps, targets)
    metrics.pop("error", None)
    result.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()})
    return result
