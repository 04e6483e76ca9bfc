"""Frozen-CNN feature caching: per-frame features computed once, stored on disk, reused every epoch.

With ``model.freeze_cnn`` and ``model.cache_features`` the trainer (through ``Domain.precompute``) runs each
clip once through the loader (evaluation sampling, no augmentation) and the frozen frontend, and trains the
LSTM on the cached [T, D] features. With ``model.cnn_trainable_blocks`` the cache holds the maps entering the
first trainable block ([T, C, h, w], float16) and training runs the frontend from there
(``VideoFrontend.resume``): fine-tuning the last blocks costs those blocks only. Entries are keyed by file (path, size, mtime), feature settings and CNN weights, so
a changed file or CNN never reuses a stale entry. With ``model.cache_views`` > 1 a training clip's entry also holds
augmented views (the frozen CNN otherwise sees each clip one way only, and the head memorises it).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

import torch

from suite.domain import sample_kwargs
from suite.errors import SuiteError
from suite.io import atomic_write_bytes
from suite.manifest import Row
from suite.progress import progress


def weights_digest(module: torch.nn.Module, skip: set[int] = frozenset()) -> str:
    """A short hash of a module's state (parameters whose id is in ``skip`` left out)."""
    h = hashlib.sha1()
    for k, v in sorted(module.state_dict(keep_vars=True).items()):
        if id(v) in skip:
            continue
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def entry_key(path: str, features_json: str, cnn_digest: str, fields: dict | None = None) -> str:
    st = os.stat(path)
    raw = json.dumps([os.path.abspath(path), st.st_size, st.st_mtime_ns, features_json, cnn_digest]
                     + ([sorted(fields.items())] if fields else []))
    return hashlib.sha1(raw.encode()).hexdigest()


# entries are [V, T, ...]: views of one clip (bump when the layout changes: it is part of every key)
ENTRY_FORMAT = "views-first-1"


def load_cached(path: str, features_cfg=None, augment_cfg=None, rng=None, **_fields) -> torch.Tensor:
    """One view [T, ...] of a cached [V, T, ...] entry: a random view in training (``augment_cfg`` given),
    the evaluation view (0) otherwise."""
    try:
        views = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - a damaged cache entry is a corrupt sample, not a crash
        raise SuiteError(f"unreadable feature cache entry ({type(err).__name__})", path) from None
    return views[(rng or random).randrange(len(views)) if augment_cfg is not None else 0]


def _unflipped(augment_cfg):
    # a flipped view would need its label swapped (augment.mirror_pairs), which a cached entry cannot carry
    if augment_cfg is not None and "flip" in type(augment_cfg).model_fields:
        return augment_cfg.model_copy(update={"flip": 0.0})
    return augment_cfg


def _frontend(model, clips: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    """[V, T, ...] frozen-part outputs of V views of one clip (maps stored as float16: half the disk and
    reading time); views of equal length go through the CNN as one batch."""
    if len({c.shape for c in clips}) == 1:
        x = torch.stack(clips).to(device)
        out = model.frontend.cached(x, torch.full((len(clips),), x.shape[1], device=device)).cpu()
        return out.half() if model.frontend.frames.trainable_blocks else out
    return torch.stack([_frontend(model, [c], device)[0] for c in clips])


def cache_features(model, domain, features_cfg, rows: list[Row], folder: Path, device: torch.device,
                   quiet: bool = False, views: int = 1, augment_cfg=None) -> list[Row]:
    """Rows pointing at cached feature files; unreadable inputs are left out and counted. With ``views`` > 1
    an entry holds [views, T, D]: the evaluation view, then ``views - 1`` views augmented by ``augment_cfg``
    (seeded per file, so the same file and settings give the same entry)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = model.to(device).eval()
    frames = model.frontend.frames
    # the frozen part's weights only: the trainable tail's random init must not make every run recompute
    tail = {id(p) for m in frames.tail_modules() for p in m.parameters()}
    digest = weights_digest(model.frontend, skip=tail)
    fjson = json.dumps([ENTRY_FORMAT, frames.trainable_blocks, features_cfg.model_dump(mode="json")], sort_keys=True)
    augment_cfg = _unflipped(augment_cfg) if views > 1 else None
    if augment_cfg is not None:
        fjson += json.dumps([views, augment_cfg.model_dump(mode="json")], sort_keys=True)
    out, bad, made = [], [], 0
    with progress(len(rows), "caching frame features", quiet=quiet) as bar:
        for row in rows:
            try:
                fields = sample_kwargs(domain, row.extra)
                target = folder / f"{entry_key(row.path, fjson, digest, fields)}.pt"
                if not target.is_file():
                    rng = random.Random(target.stem)
                    clips = [domain.load(row.path, features_cfg, None, random.Random(0), **fields)]
                    clips += [domain.load(row.path, features_cfg, augment_cfg, rng, **fields)
                              for _ in range(views - 1 if augment_cfg is not None else 0)]
                    with torch.no_grad():
                        feats = _frontend(model, clips, device)
                    buf = io.BytesIO()
                    torch.save(feats, buf)
                    atomic_write_bytes(target, buf.getvalue())
                    made += 1
                out.append(replace(row, path=str(target)))
            except (SuiteError, OSError) as err:
                bad.append(str(err))
            bar(1)
    print(f"feature cache {folder}: {made} computed, {len(out) - made} reused, {len(bad)} unreadable"
          + (f" (first: {bad[0]})" if bad else ""), file=sys.stderr)
    if not out:
        raise SuiteError("no clip could be read for the feature cache", folder)
    return out


def precompute(domain, model, cfg, rows: list[Row], folder: Path, device: torch.device, training: bool = False):
    """``Domain.precompute``: with a frozen, cached CNN, rows of cached frame features and their loader
    (training rows with ``model.cache_views`` views each)."""
    if not (cfg.model.freeze_cnn and cfg.model.cache_features):
        return None
    folder = Path(cfg.data.feature_cache or folder)
    views = cfg.model.cache_views if training else 1
    return cache_features(model, domain, cfg.features, rows, folder, device, views=views,
                          augment_cfg=cfg.augment), load_cached
