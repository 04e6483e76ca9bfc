"""The models a server holds: one per domain, loaded once at start, with their options and web panels."""
from __future__ import annotations

import importlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SuiteError
from .options import Option, command_options

log = logging.getLogger("suite.serve")
MAX_VARIANTS = 4  # decoding variants (e.g. beam search) kept loaded per model


def panel_path(domain) -> Path | None:
    """The domain's page panel: ``Domain.web_panel``, else ``<domain package>/web/panel.js`` if present."""
    if getattr(domain, "web_panel", None):
        path = Path(domain.web_panel)
        return path if path.is_file() else None
    from importlib.metadata import entry_points

    for ep in entry_points(group="suite.domains"):
        if ep.name != domain.name:
            continue
        try:
            module_file = importlib.import_module(ep.value.partition(":")[0]).__file__
        except ImportError:
            return None
        cand = Path(module_file).resolve().parent / "web" / "panel.js" if module_file else None
        return cand if cand is not None and cand.is_file() else None
    return None


def _reason(err: Exception, file: str) -> str:
    """One line for a failed input: the suite's own message, or the kind of failure (logged in full)."""
    if isinstance(err, SuiteError):
        return str(err)
    log.error("predicting %s failed", file, exc_info=err)
    return f"{file}: cannot process this input ({type(err).__name__})"


@dataclass
class Served:
    """One loaded model: the predictor (and its decoding variants), what a request may set, its lock."""

    name: str  # bundled name or path as given on the command line
    predictor: Any
    options: list[Option]
    panel: Path | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    variants: OrderedDict = field(default_factory=OrderedDict)

    @property
    def domain(self):
        return self.predictor.domain

    @property
    def command(self) -> str:
        return self.domain.command

    def variant(self, decode: dict):
        """The predictor decoding with ``decode`` overrides (loaded once, a few kept)."""
        if not decode:
            return self.predictor
        key = tuple(sorted(decode.items()))
        if key not in self.variants:
            from ..inference import load_predictor

            self.variants[key] = load_predictor(self.name, device=str(self.predictor.device), **decode)
            while len(self.variants) > MAX_VARIANTS:
                self.variants.popitem(last=False)
        self.variants.move_to_end(key)
        return self.variants[key]

    def predict(self, key: tuple, files: list[str]) -> dict[str, list[dict]]:
        """Run one batch (called in the model's thread): file -> its results (several for multi-sample files).

        If the batch call fails as a whole, each file is run alone, so one bad input fails only itself."""
        decode, opts = dict(key[0]), dict(key[1])
        with self.lock:
            try:
                results = self.variant(decode).predict(files, batch_size=max(1, len(files)), **opts)
            except Exception as err:  # noqa: BLE001 - turned into per-file error results
                if len(files) == 1:
                    results = [{"file": files[0], "error": _reason(err, files[0])}]
                else:
                    results = []
                    for f in files:
                        try:
                            results += self.variant(decode).predict([f], batch_size=1, **opts)
                        except Exception as one:  # noqa: BLE001
                            results.append({"file": f, "error": _reason(one, f)})
        out: dict[str, list[dict]] = {f: [] for f in files}
        for r in results:
            out.setdefault(r.get("file"), []).append(r)
        return out

    def info(self) -> dict:
        p = self.predictor
        out = {"domain": self.domain.name, "command": self.command, "endpoint": f"/v1/{self.command}",
               "model": self.name if "/" not in self.name else Path(self.name).name,
               "input": self.domain.input_key, "metrics": p.metrics or {},
               "options": {o.name: o.schema() for o in self.options},
               "panel": f"/panels/{self.domain.name}/panel.js" if self.panel else None}
        card = getattr(p, "info", None) or {}  # the bundle's card: what it knows, its measured scores
        if card.get("description"):
            out["description"] = card["description"]
        if card.get("scores"):
            out["scores"] = card["scores"]
        if p.vocab is not None:
            out["vocab"] = p.vocab
        if p.labels is not None:
            out["labels"] = p.labels
        return out


def load_models(choices: dict[str, str], device: str = "auto") -> dict[str, Served]:
    """command -> Served for each ``domain name -> model``; SuiteError for a model of the wrong domain."""
    from ..inference import load_predictor
    from ..registry import domains

    served: dict[str, Served] = {}
    for dom_name, model in choices.items():
        dom = domains().get(dom_name)
        if dom is None:
            raise SuiteError(f"unknown domain '{dom_name}' (installed: {', '.join(sorted(domains()))})")
        predictor = load_predictor(model, device=device)
        if predictor.domain.name != dom.name:
            raise SuiteError(f"--{dom.name} needs a {dom.name} model, this one is for {predictor.domain.name}", model)
        if not dom.command:
            raise SuiteError(f"domain '{dom.name}' names no inference command, so it has no endpoint")
        opts = command_options(dom.add_commands, dom.command) if dom.add_commands else []
        if predictor.vocab is None:  # decoding settings mean something only for a model that outputs text
            opts = [o for o in opts if not o.decode]
        served[dom.command] = Served(model, predictor, opts, panel_path(dom))
    if not served:
        raise SuiteError("no model to serve")
    return served
