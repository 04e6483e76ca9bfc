"""Run a trained bundle on files: ``suite.load(name_or_path).predict(files)``."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import torch

from .bundle import load_bundle
from .config import build_config
from .data import collate
from .device import autocast, select_device
from .errors import SuiteError
from .models import build_model
from .registry import bundled_models, get_domain
from .tasks import config_task
from .verdict import warn_if_untrained


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


def read_bundle(path: str | Path) -> dict:
    """A bundle in the current layout: older ones are upgraded by their domain and task."""
    bundle = load_bundle(path)
    raw = dict(bundle["config"])
    if isinstance(raw.get("data"), dict):
        raw["data"] = {k: v for k, v in raw["data"].items() if k != "test"}  # a section key of old versions
    domain = get_domain(str(raw.get("task")), source=str(path))
    task = config_task(domain, raw.get("objective"), str(path))
    bundle["config"] = task.upgrade_config(raw)
    if domain.upgrade_bundle is not None:
        bundle = domain.upgrade_bundle(bundle)
    if not bundle.get("targets"):
        bundle["targets"] = task.legacy_targets(bundle)
        if bundle["targets"] is None:
            raise SuiteError("bundle has no vocabulary, labels or target state", path)
    return bundle


def files_beside_bundle(raw: dict, task, source: str) -> dict:
    """A bundle's `decode:` may name files (an LM, a word list) by a path relative to the bundle's folder, so a
    model ships with them; a relative path that is not there keeps its meaning (relative to the working folder)."""
    decode = dict(raw.get("decode") or {})
    folder = Path(source).parent
    for key in task.decode_files:
        value = decode.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute() and (folder / value).is_file():
            decode[key] = str(folder / value)
    return {**raw, "decode": decode}


class Predictor:
    """A loaded bundle: model on its device, the task's decoder, and batched prediction over files."""

    def __init__(self, bundle: dict, source: str, device: str = "auto", decode_overrides: dict | None = None):
        domain = get_domain(str(bundle["config"].get("task")), source=source)
        task = config_task(domain, bundle["config"].get("objective"), source)
        raw = files_beside_bundle(bundle["config"], task, source)
        given = {k: v for k, v in (decode_overrides or {}).items() if v is not None}
        if given:
            raw = {**raw, "decode": task.merge_decode(raw.get("decode") or {}, given)}
        self.config = build_config(raw, source=source)
        self.domain, self.task = domain, task  # decode options cannot change either
        self.targets = self.task.load_targets(self.domain, bundle["targets"])
        self.metrics = bundle.get("metrics", {})
        self.info = bundle.get("info", {})
        self.source = source
        model = build_model(self.domain, self.task, self.config, self.targets)
        try:
            model.load_state_dict(bundle["state_dict"])
        except RuntimeError:
            raise SuiteError("bundle weights do not match its config", source) from None
        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        self._decoder = None
        warn_if_untrained(self.metrics, source)

    @property
    def vocab(self) -> list[str] | None:
        """The characters of a text model (token id = index + 1), else None."""
        return getattr(self.targets, "vocab", None)

    @property
    def labels(self) -> list[str] | None:
        """The classes of a classifier, else None."""
        return getattr(self.targets, "labels", None)

    @property
    def decoder(self):
        if self._decoder is None:
            self._decoder = self.task.make_decoder(self.targets, self.config.decode)
        return self._decoder

    def load_file(self, path: str) -> torch.Tensor:
        """One file as the model's input (no augmentation)."""
        check_file(path)
        return self.domain.load(str(path), self.config.features, None, random.Random(0))

    def file_samples(self, path: str) -> list[tuple[dict, torch.Tensor]]:
        """The (info, input) samples one file gives: one, or several for formats that hold several."""
        check_file(path)
        if self.domain.samples is not None:
            return self.domain.samples(str(path), self.config.features)
        return [({}, self.load_file(path))]

    @torch.inference_mode()
    def run(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched forward over input tensors (time first): the model's outputs and their lengths."""
        batch = collate([(str(i), x, None) for i, x in enumerate(inputs)])
        return self.run_padded(batch.inputs, batch.lengths)

    @torch.inference_mode()
    def run_padded(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward over an already padded batch (time second) and its lengths."""
        with autocast(self.device, self.config.train.precision):
            out, lengths = self.model(inputs.to(self.device), lengths.to(self.device))
        return out.float(), lengths

    def decode(self, log_probs: torch.Tensor, lengths: torch.Tensor):
        return self.decoder(log_probs, lengths)

    def results(self, out: torch.Tensor, lengths: torch.Tensor, **opts) -> list[dict]:
        """The task's result dicts (text, label, values, ...) for a batch of model outputs."""
        return self.task.results(out, lengths, self.targets, self.decoder, **opts)

    def seconds_per_frame(self) -> float | None:
        """Seconds per model output step, when the domain's time axis has a meaning."""
        if self.domain.time_step_seconds is None:
            return None
        step = self.domain.time_step_seconds(self.config.features)
        one = torch.tensor([10_000])
        front = getattr(self.model.frontend, "output_lengths", None)
        n = front(one) if front is not None else one
        return step * float(n) / float(self.model.output_lengths(one))

    def predict(self, files: Sequence[str], batch_size: int = 16, **opts) -> list[dict]:
        """Result dicts in input order (``{"file", ...}``); a file that cannot be read gives ``{"file", "error"}``
        and the others are still predicted."""
        if self.domain.predict is not None:
            return in_input_order(files, self.domain.predict(self, list(files), batch_size=batch_size, **opts))
        return self.default_predict(files, batch_size=batch_size, **opts)

    def default_predict(self, files: Sequence[str], batch_size: int = 16, **opts) -> list[dict]:
        """Every sample of every file through the model in batches, as the task's results."""
        jobs, results = [], []
        for f in files:
            try:
                jobs += [(f, info, x) for info, x in self.file_samples(f)]
            except SuiteError as err:
                results.append({"file": f, "error": str(err)})
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start:start + batch_size]
            out, lengths = self.run([x for _, _, x in chunk])
            for (f, info, _), r in zip(chunk, self.results(out, lengths, **opts)):
                results.append({"file": f, **info, **r})
        return in_input_order(files, results)

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


def check_file(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise SuiteError("file not found", path)
    if p.is_dir():
        raise SuiteError("is a folder, not a file", path)


def in_input_order(files: Sequence[str], results: list[dict]) -> list[dict]:
    """Results sorted by the position of their file in ``files`` (stable: a file's samples keep their order)."""
    order = {f: i for i, f in enumerate(files)}
    return sorted(results, key=lambda r: order.get(r["file"], len(order)))


def load_predictor(name_or_path: str, device: str = "auto", **decode_overrides) -> Predictor:
    path = resolve_model(name_or_path)
    return Predictor(read_bundle(path), str(path), device=device, decode_overrides=decode_overrides)
