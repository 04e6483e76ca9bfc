"""Model bundles: one self-describing file (weights, config, vocabulary/labels, suite version).

Saved with torch.save and loaded with ``weights_only=True``: plain tensors and containers only, so a
bundle cannot run code on load.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import torch

from .errors import SuiteError
from .io import atomic_write_bytes

FORMAT = 1  # bump on incompatible changes; older readers refuse newer bundles


def model_weights(module_state: dict) -> dict:
    """The model's weights from a SuiteModule state dict or a training checkpoint's ("model." keys)."""
    return {k.removeprefix("model."): v for k, v in module_state.items() if k.startswith("model.")}


def save_bundle(path: str | Path, *, domain: str, config: dict, state_dict: dict, targets: dict,
                metrics: dict | None = None, info: dict | None = None) -> Path:
    """``targets``: the task's target state (vocabulary, labels, scaling); ``info``: description, provenance."""
    from . import __version__

    payload = {
        "format": FORMAT,
        "suite_version": __version__,
        "domain": domain,
        "config": config,
        "targets": targets,
        "metrics": metrics or {},
        "info": info or {},
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_bundle(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise SuiteError("model bundle not found", path)
    try:
        is_archive = zipfile.is_zipfile(path)
    except (zipfile.BadZipFile, OSError):  # fuzzing: is_zipfile itself raises on some corrupt archives
        is_archive = False
    if not is_archive:
        raise SuiteError("not a readable model bundle (not a torch.save archive)", path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise SuiteError("refused: the bundle holds objects other than tensors and plain containers, "
                         "which could run code on load", path) from None
    except Exception as err:  # noqa: BLE001 - corrupt archives raise anything (fuzzing found IndexError, KeyError)
        raise SuiteError(f"not a readable model bundle ({type(err).__name__})", path) from None
    if not isinstance(payload, dict) or "format" not in payload or "state_dict" not in payload:
        raise SuiteError("not a Sequence Suite model bundle", path)
    if not isinstance(payload["format"], int) or payload["format"] > FORMAT:
        raise SuiteError(f"bundle format {payload['format']} is newer than this suite reads ({FORMAT}); "
                         f"upgrade sequence-suite (bundle written by {payload.get('suite_version')})", path)
    return payload
