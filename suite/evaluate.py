"""`suite evaluate`: a bundle on a manifest, with the metrics of its kind."""
from __future__ import annotations

import sys

import torch
from torch.utils.data import DataLoader

from .data import BucketBatchSampler, ManifestDataset, collate
from .errors import SuiteError
from .manifest import read_manifest
from .metrics import cer, confusion_matrix, mean_class_accuracy, topk_accuracy, wer
from .progress import progress
from .task import Targets


def evaluate(predictor, manifest: str, *, allow_outside: bool = False, batch_size: int = 16,
             num_workers: int = 2, quiet: bool = False) -> dict:
    dom = predictor.domain
    rows = read_manifest(manifest, dom.input_key, dom.target_key, allow_outside=allow_outside)
    symbols = predictor.vocab if dom.kind == "ctc" else predictor.labels
    targets = Targets(dom.kind, symbols, dom.normalize_text)
    if dom.kind == "classify":
        unknown = sorted({str(r.target) for r in rows} - set(symbols))
        if unknown:
            raise SuiteError(f"labels the model does not know: {', '.join(unknown[:5])}", manifest)
    enc = targets.encoder()
    ds = ManifestDataset(rows, dom, predictor.config.features, None, None,
                         max_file_mb=predictor.config.data.max_file_mb)
    lengths = [r.length or 1 for r in rows]
    sampler = BucketBatchSampler(lengths, batch_size, shuffle=False, bucket=True)
    loader = DataLoader(ds, batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
    refs, hyps, skipped = [], [], []
    ys, logits = [], []
    by_id = {r.id: r for r in rows}
    with progress(len(rows), "evaluating", quiet=quiet) as bar:
        for batch in loader:
            skipped += batch.skipped
            if batch.ids:
                out, out_lengths = predictor.run_padded(batch.inputs, batch.lengths)  # the loader already padded it
                if dom.kind == "ctc":
                    refs += [enc.text(by_id[i].target) for i in batch.ids]
                    hyps += [h.text for h in predictor.decode(out, out_lengths)]
                else:
                    ys += [enc(by_id[i].target) for i in batch.ids]
                    logits.append(out.cpu())
            bar(len(batch.ids) + len(batch.skipped))
    for sid, reason in skipped[:5]:
        print(f"skipped: {reason}", file=sys.stderr)
    result: dict = {"samples": len(rows) - len(skipped), "skipped": len(skipped)}
    if dom.kind == "ctc":
        result.update(wer=round(wer(refs, hyps), 6) if refs else None, cer=round(cer(refs, hyps), 6) if refs else None)
        result["_pairs"] = list(zip(refs, hyps))
    elif ys:
        lg, y = torch.cat(logits), torch.tensor(ys)
        m = confusion_matrix(y.tolist(), lg.argmax(1).tolist(), len(symbols))
        result.update(accuracy=round(topk_accuracy(lg, y, 1), 6), top5=round(topk_accuracy(lg, y, 5), 6),
                      mean_class_accuracy=round(mean_class_accuracy(m), 6))
        result["_confusion"] = m
    return result

