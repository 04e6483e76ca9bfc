"""Find domains: installed ones through the ``suite.domains`` entry-point group, others as ``module:ATTR``."""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache
from importlib.metadata import entry_points

from .domain import Domain
from .errors import SuiteError


@lru_cache(maxsize=None)
def domains() -> dict[str, Domain]:
    found = {}
    for ep in entry_points(group="suite.domains"):
        try:
            dom = ep.load()
        except Exception as err:  # noqa: BLE001 - one broken plug-in must not take the others down
            print(f"warning: domain '{ep.name}' failed to load: {type(err).__name__}: {err}", file=sys.stderr)
            continue
        found[dom.name] = dom
    return found


@lru_cache(maxsize=None)
def _import_domain(spec: str) -> Domain:
    module, _, attr = spec.partition(":")
    try:
        dom = getattr(importlib.import_module(module), attr or "DOMAIN")
    except (ImportError, AttributeError) as err:
        raise SuiteError(f"cannot import domain '{spec}' ({err})") from None
    if not isinstance(dom, Domain):
        raise SuiteError(f"'{spec}' is not a suite.domain.Domain")
    return dom


def get_domain(name: str, source: str = "") -> Domain:
    """A domain by name (installed) or by import path ``package.module:DOMAIN`` (no install needed)."""
    found = domains()
    if name in found:
        return found[name]
    if ":" in name:
        return _import_domain(name)
    prefix = f"{source}: " if source else ""
    raise SuiteError(f"{prefix}unknown task '{name}' (installed: {', '.join(sorted(found)) or 'none'})")


def bundled_models() -> dict[str, tuple[str, str]]:
    """name -> (domain name, path) for every bundled model of every domain."""
    out = {}
    for dom in domains().values():
        for name, path in dom.bundled_models.items():
            out[name] = (dom.name, path)
    return out
