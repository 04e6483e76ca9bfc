"""Find installed domains through the ``suite.domains`` entry-point group."""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from .domain import Domain
from .errors import SuiteError


@lru_cache(maxsize=None)
def domains() -> dict[str, Domain]:
    found = {}
    for ep in entry_points(group="suite.domains"):
        dom = ep.load()
        found[dom.name] = dom
    return found


def get_domain(name: str, source: str = "") -> Domain:
    found = domains()
    if name not in found:
        prefix = f"{source}: " if source else ""
        raise SuiteError(f"{prefix}unknown task '{name}' (installed: {', '.join(sorted(found)) or 'none'})")
    return found[name]


def bundled_models() -> dict[str, tuple[str, str]]:
    """name -> (domain name, path) for every bundled model of every domain."""
    out = {}
    for dom in domains().values():
        for name, path in dom.bundled_models.items():
            out[name] = (dom.name, path)
    return out
