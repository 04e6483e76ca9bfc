"""Benchmark 1, trainer overhead: training steps/s through `suite train` (suite.train.train: SuiteModule,
Lightning Trainer, callbacks, loggers) vs a bare PyTorch loop on the same model and the same in-memory
batches. Only the data loaders of `suite train` are replaced (by in-memory batches), so file reading is
not part of the comparison; everything else is the code path a user runs."""
from __future__ import annotations

import io
import random
import tempfile
import time
from contextlib import contextmanager, redirect_stderr
from pathlib import Path
from unittest import mock

import torch
import yaml
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

import suite.train
from suite.config import load_config
from suite.device import autocast
from suite.data import collate
from suite.manifest import read_manifest
from suite.models import build_model
from suite.registry import get_domain
from suite.tasks import get_task

from .common import clock, clock_name, device, median, row, sync
from .synthetic import random_text

TASK = "bench.synthetic:CTC"
TARGET = 0.95

# (label, model section, feature dim, batch size, frames range, timed steps (full, quick), has the target)
SETUPS = [
    ("speech-digits size: conv/2 + 3x128 BiLSTM, batch 32, 2-6 s",
     {"subsample": 2, "subsample_channels": 128, "layers": 3, "hidden": 128, "dropout": 0.2}, 40, 32, (200, 600),
     (20, 8), True),
    ("small: 1x64 BiLSTM, batch 8, 0.5-1 s (overhead-bound)",
     {"layers": 1, "hidden": 64, "dropout": 0.0}, 40, 8, (50, 100), (120, 60), False),
]
WARMUP = 3


def write_run_files(folder: Path, model: dict, dim: int, batch: int, steps: int) -> Path:
    """Manifests (only their transcripts matter: they fix the vocabulary) and a recipe config."""
    rng = random.Random(0)
    texts = ["abcdefghijklmnopqrstuvwxyz '"] + [random_text(rng, 30) for _ in range(7)]
    man = "".join(f'{{"audio": "u{i}.npy", "text": "{t}"}}\n' for i, t in enumerate(texts))
    for name in ("train", "valid"):
        (folder / f"{name}.jsonl").write_text(man)
    cfg = {"task": TASK, "features": {"dim": dim}, "model": model,
           "data": {"train": str(folder / "train.jsonl"), "valid": str(folder / "valid.jsonl"), "num_workers": 0},
           "train": {"max_epochs": 1, "max_steps": steps, "batch_size": batch, "early_stop_patience": None}}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def make_batches(n: int, batch: int, frames: tuple[int, int], dim: int, encode, collate_targets, seed: int) -> list:
    """Bucket-like batches (lengths within 10 % of each other), collated by the suite's own collate."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    out = []
    for b in range(n):
        base = rng.randint(*frames)
        items = []
        for i in range(batch):
            t = int(base * rng.uniform(0.9, 1.0))
            items.append((f"{b}-{i}", torch.randn(t, dim, generator=gen), encode(random_text(rng, t // 10))))
        out.append(collate(items, collate_targets))
    return out


class MemoryBatches(Dataset):
    """Ready batches; notes the time each is fetched (one fetch per training step)."""

    def __init__(self, batches: list, now=time.perf_counter):
        self.batches = batches
        self.now = now
        self.fetched: list[float] = []
        self.epoch = 0

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        self.fetched.append(self.now())
        return self.batches[i]


class InOrder(Sampler):
    """Batch sampler over ready batches, with the set_epoch hook the suite's module calls."""

    def __init__(self, n: int):
        self.n = n

    def set_epoch(self, epoch: int) -> None:
        pass

    def __iter__(self):
        return iter([i] for i in range(self.n))

    def __len__(self):
        return self.n


def memory_loader(batches: list, now=time.perf_counter) -> DataLoader:
    return DataLoader(MemoryBatches(batches, now), batch_sampler=InOrder(len(batches)), collate_fn=lambda b: b[0],
                      num_workers=0)


@contextmanager
def in_memory_loaders(train_batches: list, valid_batches: list, now=time.perf_counter):
    loaders = {}

    def fake_make_loaders(*args, **kwargs):
        loaders["train"] = memory_loader(train_batches, now)
        return loaders["train"], memory_loader(valid_batches)

    with mock.patch.object(suite.train, "make_loaders", fake_make_loaders):
        yield loaders


def steps_per_s(stamps: list[float]) -> float:
    """1 / median step time: robust to the odd step slowed by another process on a shared machine."""
    return 1.0 / median([b - a for a, b in zip(stamps, stamps[1:])])


def suite_steps_per_s(cfg_path: Path, run: Path, train_batches: list, valid_batches: list,
                      dev: torch.device | None = None) -> float:
    # the trainer's per-epoch lines and "wrote model.pt" are noise in the benchmark's output
    with in_memory_loaders(train_batches, valid_batches, clock(dev)) as loaders, redirect_stderr(io.StringIO()):
        try:
            suite.train.train(str(cfg_path), [], str(run))
        except suite.train.NothingLearned:
            pass  # the verdict on random features after a few steps; the steps were timed all the same
    return steps_per_s(loaders["train"].dataset.fetched[WARMUP:])


def bare_steps_per_s(cfg_path: Path, targets, batches: list, dev: torch.device) -> float:
    """The loop a PyTorch user would write: same model, AdamW, warmup schedule, CTC loss, clipping."""
    cfg = load_config(cfg_path)
    domain = get_domain(cfg.task)
    model = build_model(domain, get_task(domain.task), cfg, targets).to(dev).train()
    o = cfg.train.optim
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, weight_decay=o.weight_decay, betas=tuple(o.betas))
    warm = max(1, o.warmup_steps if o.warmup_steps is not None else round(o.warmup * len(batches)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
    stamps = []
    now = clock(dev)
    for batch in batches:
        stamps.append(now())
        x, lengths = batch.inputs.to(dev), batch.lengths.to(dev)
        with autocast(dev, cfg.train.precision):  # bf16 on a GPU, as the suite's trainer does
            out, out_lengths = model(x, lengths)
        loss = F.ctc_loss(out.transpose(0, 1), batch.targets.to(dev), out_lengths, batch.target_lengths.to(dev),
                          blank=0, reduction="none")
        loss = (loss / batch.target_lengths.to(loss)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.train.grad_clip)
        opt.step()
        sched.step()
        sync(dev)
    stamps.append(now())
    return steps_per_s(stamps[WARMUP + 1:])


def run(quick: bool) -> dict:
    dev = device()
    rows, details = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as tmp:
        for k, (label, model, dim, batch, frames, steps, has_target) in enumerate(SETUPS):
            n = (steps[1] if quick else steps[0]) + WARMUP + 1
            folder = Path(tmp) / f"setup{k}"
            folder.mkdir()
            cfg_path = write_run_files(folder, model, dim, batch, n)
            rows_ = read_manifest(folder / "train.jsonl", "audio", "text")
            task = get_task(get_domain(TASK).task)
            targets = task.fit_targets(get_domain(TASK), rows_)
            batches = make_batches(n, batch, frames, dim, targets.encode, task.collate_targets, seed=k)
            valid = batches[:1]
            # alternate the two ways (bare, suite, bare, suite) and keep each one's best: other processes
            # on a shared machine then slow both alike
            bare, lit = [], []
            bare_steps_per_s(cfg_path, targets, batches[:WARMUP + 2], dev)  # warm kernels and allocator
            for r in range(1 if quick and has_target else 2):
                bare.append(bare_steps_per_s(cfg_path, targets, batches, dev))
                lit.append(suite_steps_per_s(cfg_path, folder / f"run{r}", batches, valid, dev))
            details[label] = {"suite_steps_per_s": lit, "bare_steps_per_s": bare, "timed_steps": n - WARMUP - 1}
            rows.append(row(label, "suite train", max(lit), "bare loop", max(bare), "steps/s",
                            target=TARGET if has_target else None,
                            note="" if has_target else "informative: per-step cost of the trainer itself"))
    return {"title": "Trainer overhead (suite train vs bare PyTorch loop)", "device": str(dev), "rows": rows,
            "details": details, "clock": clock_name(dev)}
