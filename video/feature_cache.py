"""Frozen-CNN feature caching: per-frame features computed once, stored on disk, reused every epoch.

With ``model.freeze_cnn`` and ``model.cache_features`` the trainer (through ``Domain.precompute``) runs each
clip once through the loader (evaluation sampling, no augmentation) and the frozen frontend, and trains the
LSTM on the cached [T, D] features. Entries are keyed by file (path, size, mtime), feature settings and CNN weights, so
a changed file or CNN never reuses a stale entry.
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


def weights_digest(module: torch.nn.Module) -> str:
    h = hashlib.sha1()
    for k, v in sorted(module.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def entry_key(path: str, features_json: str, cnn_digest: str, fields: dict | None = None) -> str:
    st = os.stat(path)
    raw = json.dumps([os.path.abspath(path), st.st_size, st.st_mtime_ns, features_json, cnn_digest]
                     + ([sorted(fields.items())] if fields else []))
    return hashlib.sha1(raw.encode()).hexdigest()


def load_cached(path: str, features_cfg=None, augment_cfg=None, rng=None, **_fields) -> torch.Tensor:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - a damaged cache entry is a corrupt sample, not a crash
        raise SuiteError(f"unreadable feature cache entry ({type(err).__name__})", path) from None


def cache_features(model, domain, features_cfg, rows: list[Row], folder: Path, device: torch.device,
                   quiet: bool = False) -> list[Row]:
    """Rows pointing at cached feature files; unreadable inputs are left out and counted."""
    folder.mkdir(parents=True, exist_ok=True)
    model = model.to(device).eval()
    digest = weights_digest(model.frontend)
    fjson = json.dumps(features_cfg.model_dump(mode="json"), sort_keys=True)
    out, bad, made = [], [], 0
    with progress(len(rows), "caching frame features", quiet=quiet) as bar:
        for row in rows:
            try:
                fields = sample_kwargs(domain, row.extra)
                target = folder / f"{entry_key(row.path, fjson, digest, fields)}.pt"
                if not target.is_file():
                    clip = domain.load(row.path, features_cfg, None, random.Random(0), **fields)
                    with torch.no_grad():
                        x = clip.to(device)[None]
                        feats = model.frontend(x, torch.tensor([clip.shape[0]], device=device))[0][0].cpu()
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


def precompute(domain, model, cfg, rows: list[Row], folder: Path, device: torch.device):
    """``Domain.precompute``: with a frozen, cached CNN, rows of cached frame features and their loader."""
    if not (cfg.model.freeze_cnn and cfg.model.cache_features):
        return None
    if not model.frontend.frames.fully_frozen:
        raise SuiteError("model.cache_features needs a fully frozen CNN (model.cnn_trainable_blocks: 0)")
    folder = Path(cfg.data.feature_cache or folder)
    return cache_features(model, domain, cfg.features, rows, folder, device), load_cached
