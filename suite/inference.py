"""Run a trained bundle on files: ``suite.load(name_or_path).predict(files)``."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import torch

from .bundle import load_bundle
from .config import build_config
from .data import collate
from .decoding import Hypothesis, make_decoder
from .device import autocast, select_device
from .errors import SuiteError
from .models import build_model
from .registry import bundled_models, get_domain


def resolve_model(name_or_path: str) -> str:
    known = bundled_models()
    if name_or_path in known:
        path = known[name_or_path][1]
        if not Path(path).is_file():
            raise SuiteError(f"bundled model '{name_or_path}' is not installed", path)
        return path
    if Path(name_or_path).exists() or "/" in name_or_path or name_or_path.endswith(".pt"):
        return name_or_path
    raise SuiteError(f"no model file or bundled model named '{name_or_path}' "
                     f"(bundled: {', '.join(sorted(known)) or 'none'})")


def default_model(domain_name: str) -> str:
    dom = get_domain(domain_name)
    if not dom.bundled_models:
        raise SuiteError(f"no bundled {domain_name} model; pass --model")
    return next(iter(dom.bundled_models))


class Predictor:
    """A loaded bundle: model on its device, decoder, and batched prediction over files."""

    def __init__(self, bundle: dict, source: str, device: str = "auto", decode_overrides: dict | None = None):
        raw = bundle["config"]
        if decode_overrides:
            raw = {**raw, "decode": {**raw.get("decode", {}), **{k: v for k, v in decode_overrides.items()
                                                                 if v is not None}}}
        self.config = build_config(raw, source=source)
        self.domain = get_domain(self.config.task)
        self.vocab: list[str] | None = bundle.get("vocab")
        self.labels: list[str] | None = bundle.get("labels")
        self.metrics = bundle.get("metrics", {})
        self.source = source
        n_out = len(self.vocab) + 1 if self.domain.kind == "ctc" else len(self.labels or [])
        model = build_model(self.domain, self.config, n_out)
        try:
            model.load_state_dict(bundle["state_dict"])
        except RuntimeError:
            raise SuiteError("bundle weights do not match its config", source) from None
        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        self._decoder = None

    @property
    def decoder(self):
        if self._decoder is None:
            self._decoder = make_decoder(self.vocab, self.config.decode)
        return self._decoder

    def load_file(self, path: str) -> torch.Tensor:
        p = Path(path)
        if not p.exists():
            raise SuiteError("file not found", path)
        if p.is_dir():
            raise SuiteError("is a folder, not a file", path)
        return self.domain.load(str(path), self.config.features, None, random.Random(0))

    @torch.inference_mode()
    def run(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched forward over input tensors (time first): log-probs (ctc) or logits (classify)."""
        batch = collate([(str(i), x, None) for i, x in enumerate(inputs)])
        return self.run_padded(batch.inputs, batch.lengths)

    @torch.inference_mode()
    def run_padded(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward over an already padded batch (time second) and its lengths."""
        with autocast(self.device, self.config.train.precision):
            out, lengths = self.model(inputs.to(self.device), lengths.to(self.device))
        return out.float(), lengths

    def decode(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[Hypothesis]:
        return self.decoder(log_probs, lengths)

    def seconds_per_frame(self) -> float | None:
        if self.domain.time_step_seconds is None:
            return None
        sub = getattr(self.config.model, "subsample", 1)
        return self.domain.time_step_seconds(self.config.features) * sub

    def classify(self, logits: torch.Tensor, top_k: int = 5) -> list[dict]:
        probs = logits.softmax(dim=1)
        k = min(top_k, probs.shape[1])
        top = probs.topk(k, dim=1)
        return [{"label": self.labels[int(i[0])], "confidence": round(float(p[0]), 4),
                 "top_k": [[self.labels[int(j)], round(float(q), 4)] for q, j in zip(p, i)]}
                for p, i in zip(top.values, top.indices)]

    def predict(self, files: Sequence[str], batch_size: int = 16, **opts) -> list[dict]:
        """One result dict per file: ``{"file", "text"}`` or ``{"file", "label", "confidence", "top_k"}``;
        a file that cannot be read gives ``{"file", "error"}`` and the others are still predicted."""
        if self.domain.predict is not None:
            return self.domain.predict(self, list(files), batch_size=batch_size, **opts)
        return self.default_predict(files, batch_size=batch_size, **opts)

    def default_predict(self, files: Sequence[str], batch_size: int = 16, top_k: int = 5, **_) -> list[dict]:
        results = []
        for start in range(0, len(files), batch_size):
            chunk, inputs, errors = self.load_files(files[start:start + batch_size])
            results += errors
            if not chunk:
                continue
            out, lengths = self.run(inputs)
            if self.domain.kind == "ctc":
                results += [{"file": f, "text": h.text} for f, h in zip(chunk, self.decode(out, lengths))]
            else:
                results += [{"file": f, **r} for f, r in zip(chunk, self.classify(out, top_k))]
        order = {f: i for i, f in enumerate(files)}
        return sorted(results, key=lambda r: order.get(r["file"], 0))

    def load_files(self, files: Sequence[str]) -> tuple[list[str], list[torch.Tensor], list[dict]]:
        """(readable files, their inputs, error results for the others)."""
        good, inputs, errors = [], [], []
        for f in files:
            try:
                inputs.append(self.load_file(f))
                good.append(f)
            except SuiteError as err:
                errors.append({"file": f, "error": str(err)})
        return good, inputs, errors


def load_predictor(name_or_path: str, device: str = "auto", **decode_overrides) -> Predictor:
    path = resolve_model(name_or_path)
    return Predictor(load_bundle(path), str(path), device=device, decode_overrides=decode_overrides)
