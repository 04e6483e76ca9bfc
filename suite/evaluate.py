"""`suite evaluate`: a bundle on a manifest, with its task's metrics."""
from __future__ import annotations

import sys
from functools import partial

from torch.utils.data import DataLoader

from .data import BucketBatchSampler, ManifestDataset, collate
from .errors import SuiteError
from .manifest import read_manifest
from .progress import progress


def evaluate(predictor, manifest: str, *, allow_outside: bool = True, batch_size: int = 16,
             num_workers: int = 2, quiet: bool = False, views: int | None = None) -> dict:
    """``{"samples", "skipped", <task metrics>}``; artefacts such as ``_pairs`` or ``_confusion`` start with ``_``.

    ``views`` (default: the domain's ``evaluation_views`` of the bundle's features, else 1): views of each
    input whose outputs the task averages, e.g. staggered clips of a video, as the domain's inference does."""
    dom, task, targets = predictor.domain, predictor.task, predictor.targets
    views = evaluation_views(predictor, views)
    rows = read_manifest(manifest, dom.input_key, dom.target_key, allow_outside=allow_outside)
    targets.check(rows, manifest)
    sampler = BucketBatchSampler([r.length or 1 for r in rows], batch_size, shuffle=False, bucket=True)
    workers = num_workers // views if num_workers >= views else (1 if num_workers else 0)
    # one loader per view over the same batches: view v of every sample arrives beside the others
    loaders = [DataLoader(ManifestDataset(rows, dom, predictor.config.features, None, targets.encode,
                                          max_file_mb=predictor.config.data.max_file_mb,
                                          load_kwargs={"view": v, "views": views} if views > 1 else None),
                          batch_sampler=sampler, collate_fn=partial(collate, collate_targets=task.collate_targets),
                          num_workers=workers)
               for v in range(views)]
    refs, hyps, skipped = [], [], []
    with progress(len(rows), "evaluating", quiet=quiet) as bar:
        for view_batches in zip(*loaders):
            batch = view_batches[0]
            skipped += batch.skipped
            if batch.ids:
                outs = []
                for vb in view_batches:
                    if vb.ids != batch.ids:  # a view unreadable where another was read: score neither
                        raise SuiteError(f"views of the same inputs differ ({len(vb.ids)} read against "
                                         f"{len(batch.ids)})", manifest)
                    outs.append(predictor.run_padded(vb.inputs, vb.lengths))  # the loader already padded it
                out, out_lengths = outs[0] if views == 1 else (task.average_views([o for o, _ in outs]), outs[0][1])
                refs += task.batch_references(batch, targets)  # as validation during training sees them
                hyps += task.hypotheses(out, out_lengths, targets, predictor.decoder)
            bar(len(batch.ids) + len(batch.skipped))
    for sid, reason in skipped[:5]:
        print(f"skipped: {reason}", file=sys.stderr)
    result: dict = {"samples": len(rows) - len(skipped), "skipped": len(skipped)}
    if views > 1:
        result["views"] = views
    metrics = task.metrics(refs, hyps, targets)
    metrics.pop("error", None)
    result.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()})
    return result


def evaluation_views(predictor, views: int | None = None) -> int:
    """Views per input evaluation averages: ``views`` if given, else the domain's default for the bundle."""
    dom = predictor.domain
    if views is None:
        return dom.evaluation_views(predictor.config.features) if dom.evaluation_views else 1
    if views < 1:
        raise SuiteError(f"views must be at least 1, not {views}")
    if views > 1 and dom.evaluation_views is None:
        raise SuiteError(f"the {dom.name} domain evaluates one view of each input: views apply to domains "
                         "that average several views of an input")
    return views
