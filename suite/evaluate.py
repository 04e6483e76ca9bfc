"""`suite evaluate`: a bundle on a manifest, with its task's metrics."""
from __future__ import annotations

import sys
from functools import partial

from torch.utils.data import DataLoader, Dataset

from .data import BucketBatchSampler, ManifestDataset, collate
from .errors import SuiteError
from .manifest import read_manifest
from .progress import progress


def evaluate(predictor, manifest: str, *, allow_outside: bool = True, batch_size: int = 16,
             num_workers: int = 2, quiet: bool = False, views: int | None = None) -> dict:
    """``{"samples", "skipped", <task metrics>}``; artefacts such as ``_pairs`` or ``_confusion`` start with ``_``;
    ``_ids`` names the manifest row of each scored sample, in the order of ``_pairs``.

    ``views`` (default: the domain's ``evaluation_views`` of the bundle's features, else 1): views of each
    input whose outputs the task averages, e.g. staggered clips of a video, as the domain's inference does."""
    dom, task, targets = predictor.domain, predictor.task, predictor.targets
    views = evaluation_views(predictor, views)
    rows = read_manifest(manifest, dom.input_key, dom.target_key, allow_outside=allow_outside)
    targets.check(rows, manifest)
    sampler = BucketBatchSampler([r.length or 1 for r in rows], batch_size, shuffle=False, bucket=True)
    sets = [ManifestDataset(rows, dom, predictor.config.features, None, targets.encode,
                            max_file_mb=predictor.config.data.max_file_mb,
                            load_kwargs={"view": v, "views": views} if views > 1 else None) for v in range(views)]
    loader = DataLoader(_Views(sets), batch_sampler=sampler, num_workers=num_workers,
                        collate_fn=partial(_collate_views, collate_targets=task.collate_targets, views=views))
    refs, hyps, ids, skipped = [], [], [], []
    with progress(len(rows), "evaluating", quiet=quiet) as bar:
        for batches in loader:
            batch = batches[0]
            skipped += batch.skipped
            if batch.ids:
                outs = [predictor.run_padded(b.inputs, b.lengths) for b in batches]  # the loader already padded them
                out, out_lengths = outs[0] if views == 1 else (task.average_views([o for o, _ in outs]), outs[0][1])
                refs += task.batch_references(batch, targets)  # as validation during training sees them
                hyps += task.hypotheses(out, out_lengths, targets, predictor.decoder)
                ids += batch.ids
            bar(len(batch.ids) + len(batch.skipped))
    for sid, reason in skipped[:5]:
        print(f"skipped: {reason}", file=sys.stderr)
    result: dict = {"samples": len(rows) - len(skipped), "skipped": len(skipped)}
    if views > 1:
        result["views"] = views
    metrics = task.metrics(refs, hyps, targets)
    metrics.pop("error", None)
    result.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()})
    result["_ids"] = ids
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


class _Views(Dataset):
    """Sample i of every view's dataset: ``(id, [view tensors], target)``, or ``(id, reason)`` when any view
    of it cannot be read (then no view of it is scored)."""

    def __init__(self, sets: list[ManifestDataset]):
        self.sets = sets

    def __len__(self) -> int:
        return len(self.sets[0])

    def __getitem__(self, index: int):
        items = [s[index] for s in self.sets]
        failed = next((it for it in items if len(it) == 2), None)
        return failed or (items[0][0], [it[1] for it in items], items[0][2])


def _collate_views(items: list, collate_targets, views: int) -> list:
    """One padded batch per view (the unreadable samples listed in the first)."""
    read = [it for it in items if len(it) == 3]
    unread = [it for it in items if len(it) == 2]
    return [collate([(sid, xs[v], t) for sid, xs, t in read] + (unread if v == 0 else []), collate_targets)
            for v in range(views)]
