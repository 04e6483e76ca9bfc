"""Find tasks: installed ones through the ``suite.tasks`` entry-point group, others as ``module:ATTR``."""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache
from importlib.metadata import entry_points

from ..errors import SuiteError
from .base import NoDecoding, TargetSpace, Task

__all__ = ["Task", "TargetSpace", "NoDecoding", "get_task", "config_task", "tasks"]


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


def config_task(domain, objective: str | None = None, source: str = "config") -> Task:
    """The task a config trains and a bundle runs: its domain's, or the one its optional top-level
    ``objective`` key names, which must read the same kind of targets (e.g. ``attention`` for ``ctc``)."""
    own = get_task(domain.task)
    if objective is None or objective == domain.task:
        return own
    bad = f"{source}: bad value for 'objective'"
    try:
        task = get_task(str(objective))
    except SuiteError as err:
        raise SuiteError(f"{bad}: {err}") from None
    if own.target_kind is None or task.target_kind != own.target_kind:
        raise SuiteError(f"{bad}: task '{objective}' cannot stand in for {domain.name}'s '{own.name}' task "
                         f"(it reads {task.target_kind or 'other'} targets, not {own.target_kind or own.name})")
    return task


def tasks() -> dict[str, Task]:
    out = {}
    for name in _entry_points():
        try:
            out[name] = get_task(name)
        except SuiteError as err:
            print(f"warning: {err}", file=sys.stderr)
    return out
