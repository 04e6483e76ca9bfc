"""Find tasks: installed ones through the ``suite.tasks`` entry-point group, others as ``module:ATTR``."""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache
from importlib.metadata import entry_points

from ..errors import SuiteError
from .base import NoDecoding, TargetSpace, Task

__all__ = ["Task", "TargetSpace", "NoDecoding", "get_task", "tasks"]


@lru_cache(maxsize=None)
def _entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group="suite.tasks")}


@lru_cache(maxsize=None)
def get_task(name: str) -> Task:
    """A task by installed name (``ctc``, ``classify``, ...) or import path ``package.module:TASK``."""
    eps = _entry_points()
    if name in eps:
        try:
            task = eps[name].load()
        except Exception as err:  # noqa: BLE001 - a broken plug-in is named, not a traceback
            raise SuiteError(f"task '{name}' failed to load: {type(err).__name__}: {err}") from None
    elif ":" in name:
        module, _, attr = name.partition(":")
        try:
            task = getattr(importlib.import_module(module), attr or "TASK")
        except (ImportError, AttributeError) as err:
            raise SuiteError(f"cannot import task '{name}' ({err})") from None
    else:
        raise SuiteError(f"unknown task '{name}' (installed: {', '.join(sorted(eps)) or 'none'})")
    if not isinstance(task, Task):
        raise SuiteError(f"'{name}' is not a suite.tasks.Task")
    return task


def tasks() -> dict[str, Task]:
    out = {}
    for name in _entry_points():
        try:
            out[name] = get_task(name)
        except SuiteError as err:
            print(f"warning: {err}", file=sys.stderr)
    return out
