"""`suite train CONFIG --init MODEL`: start from a bundle's weights instead of from scratch.

The run keeps the bundle's frontend, features and architecture (the `features` and `model` sections come
from the bundle); its vocabulary or labels are mapped by name, and symbols or classes the bundle does not
know get fresh output rows (listed in one note). The learning rate is scaled by ``train.init_lr_scale``.
"""
from __future__ import annotations

import sys

import torch

from .errors import SuiteError


def init_config(raw: dict, bundle: dict, source: str) -> dict:
    """The run's raw config with the bundle's `features` and `model` sections."""
    if bundle["config"].get("task") != raw.get("task"):
        raise SuiteError(f"--init model is for '{bundle['config'].get('task')}', the config trains '{raw.get('task')}'",
                         source)
    return {**raw, "features": bundle["config"]["features"], "model": bundle["config"]["model"]}


def bundle_targets(task, domain, bundle: dict):
    state = bundle.get("targets") or task.legacy_targets(bundle)
    return task.load_targets(domain, state)


def merged_targets(task, domain, old, fitted):
    """The bundle's symbols/classes kept where the new corpus uses them (ctc: all kept), new ones appended."""
    merge = getattr(task, "merge_targets", None)
    return merge(old, fitted) if merge is not None else fitted


def load_init_weights(model: torch.nn.Module, task, bundle: dict, old_targets, new_targets) -> list[str]:
    """Copy the bundle's weights into ``model``; output rows are mapped by name. Returns the new symbols."""
    mapping = old_targets.mapping(new_targets)
    state = model.state_dict()
    src = bundle["state_dict"]
    out_prefix = f"backbone.{task.output_layer}."
    for key, value in state.items():
        if key not in src:
            raise SuiteError(f"--init: the bundle has no weights for '{key}' (another architecture?)")
        old = src[key]
        if key.startswith(out_prefix):  # output rows follow the symbols/classes by name
            new = value.clone()
            for row, src_row in enumerate(mapping):
                if src_row is not None:
                    new[row] = old[src_row]
            state[key] = new
        elif old.shape != value.shape:
            raise SuiteError(f"--init: '{key}' has shape {tuple(old.shape)} in the bundle, {tuple(value.shape)} here")
        else:
            state[key] = old
    model.load_state_dict(state)
    return [s for s, m in zip(new_targets.output_names(), mapping) if m is None]


def note_new(new: list[str], source: str) -> None:
    if new:
        shown = ", ".join(repr(s) for s in new[:20]) + (" ..." if len(new) > 20 else "")
        print(f"note: {source}: {len(new)} output(s) the bundle does not know get fresh weights: {shown}",
              file=sys.stderr)


def read_init(name_or_path: str) -> tuple[dict, str]:
    from .inference import read_bundle, resolve_model

    path = resolve_model(name_or_path)
    return read_bundle(path), str(path)
