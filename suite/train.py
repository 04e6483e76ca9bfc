"""The common trainer: a Lightning module and the wiring for `suite train`."""
from __future__ import annotations

import math
import os
import shutil
import sys
import time
from pathlib import Path

import lightning as L
import torch
import yaml
from torch.nn import functional as F
from torch.utils.data import DataLoader

from .bundle import save_bundle
from .config import load_config
from .data import BucketBatchSampler, ManifestDataset, ResumableLoader, collate
from .decoding import greedy_decode
from .device import lightning_precision, pin_memory, select_device
from .ema import EMA
from .errors import SuiteError
from .io import atomic_path, atomic_write_text
from .manifest import read_manifest
from .metrics import cer, confusion_matrix, mean_class_accuracy, wer
from .models import build_model
from .registry import get_domain
from .task import Targets


class SuiteModule(L.LightningModule):
    """Loss, metrics and optimisation around a domain's model; the same for every domain."""

    def __init__(self, config: dict, symbols: list[str]):
        super().__init__()
        self.save_hyperparameters({"config": config, "symbols": symbols})
        from .config import build_config

        self.cfg = build_config(config)
        self.domain = get_domain(self.cfg.task)
        self.targets = Targets(self.domain.kind, symbols, self.domain.normalize_text)
        self.model = build_model(self.domain, self.cfg, self.targets.n_out)
        self.bad_in_a_row = 0
        self.bad_total = 0
        self.skipped: dict[str, str] = {}
        self.infeasible: set[str] = set()
        self._val: list = []
        self._t0 = None
        self._seen = 0
        self.steps_per_epoch = 0  # set by train() from the loader

    def forward(self, x, lengths):
        return self.model(x, lengths)

    def _loss(self, batch):
        out, out_lengths = self.model(batch.inputs, batch.lengths)
        if self.domain.kind == "ctc":
            per_sample = F.ctc_loss(out.transpose(0, 1), batch.targets, out_lengths, batch.target_lengths,
                                    blank=0, reduction="none", zero_infinity=True)
            # zero_infinity: an infeasible sample's inf loss would make the whole batch's gradient NaN even
            # when masked out of the mean below; it is reported and left out instead
            feasible = ctc_feasible(batch.targets, batch.target_lengths, out_lengths)
            if not bool(feasible.all()):
                self._note_infeasible([i for i, ok in zip(batch.ids, feasible.tolist()) if not ok])
                if not bool(feasible.any()):
                    return out.sum() * float("nan"), out, out_lengths
            # same scale as reduction="mean": per-sample loss over its target length, averaged
            norm = per_sample / batch.target_lengths.clamp_min(1).to(per_sample)
            loss = norm[feasible.to(norm.device)].mean()
        else:
            loss = F.cross_entropy(out, batch.targets)
        return loss, out, out_lengths

    def _note_infeasible(self, ids: list[str]):
        new = [i for i in ids if i not in self.infeasible]
        self.infeasible.update(new)
        if new:
            print(f"warning: {len(new)} sample(s) have labels longer than the model's output allows "
                  f"(CTC needs one frame per label plus one per repeat); left out: {', '.join(new[:5])}"
                  f"{' ...' if len(new) > 5 else ''}", file=sys.stderr)

    def _note_skipped(self, batch):
        for sid, reason in batch.skipped:
            if sid not in self.skipped:
                self.skipped[sid] = reason
                if len(self.skipped) <= 5:
                    print(f"skipping corrupt sample {reason}", file=sys.stderr)

    def training_step(self, batch, batch_idx):
        self._note_skipped(batch)
        # self.log costs as much as a small model's step: the side metrics are logged every log_every_steps
        logging_step = batch_idx % self.cfg.train.log_every_steps == 0
        if logging_step:
            self.log("train/skipped", float(len(self.skipped)), on_step=True, reduce_fx="max")
        if not batch.ids:
            return None
        loss, _, _ = self._loss(batch)
        if not torch.isfinite(loss):
            self.bad_in_a_row += 1
            self.bad_total += 1
            limit = self.cfg.train.max_bad_batches
            if self.bad_in_a_row >= limit:
                raise SuiteError(f"{limit} batches in a row gave a non-finite loss; last batch: "
                                 f"{', '.join(batch.ids[:8])}{' ...' if len(batch.ids) > 8 else ''}")
            if self.trainer.world_size > 1:  # every rank must take part in the gradient all-reduce
                return sum(p.sum() * 0.0 for p in self.parameters() if p.requires_grad)
            return None
        self.bad_in_a_row = 0
        self._seen += len(batch.ids)
        if logging_step:
            now = time.perf_counter()
            if self._t0 is not None:
                self.log("samples/s", self._seen / max(now - self._t0, 1e-9), prog_bar=True, on_step=True)
            self._t0, self._seen = now, 0
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(batch.ids), sync_dist=True)
        return loss

    def on_train_epoch_start(self):
        self._t0, self._seen = None, 0
        loader = self.trainer.train_dataloader
        if loader is not None:
            loader.dataset.epoch = self.current_epoch
            loader.batch_sampler.set_epoch(self.current_epoch)
            loader.consumed = 0

    # Exact resume: the global RNG (dropout) is saved with each checkpoint and restored just before the first
    # batch after resuming, after Lightning has drawn its own seeds for the new loader iterator.
    def on_save_checkpoint(self, checkpoint):
        checkpoint["rng"] = {"torch": torch.get_rng_state(),
                             "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}

    def on_load_checkpoint(self, checkpoint):
        self._pending_rng = checkpoint.get("rng")

    def on_train_batch_start(self, batch, batch_idx):
        rng = getattr(self, "_pending_rng", None)
        if rng:
            torch.set_rng_state(rng["torch"])
            if rng["cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(rng["cuda"])
            self._pending_rng = None

    def validation_step(self, batch, batch_idx):
        if not batch.ids:
            return
        loss, out, out_lengths = self._loss(batch)
        self.log("val/loss", loss, prog_bar=True, batch_size=len(batch.ids), sync_dist=True)
        if self.domain.kind == "ctc":
            hyps = greedy_decode(out, out_lengths, self.targets.symbols)
            refs = self._split_targets(batch)
            self._val += [(r, h.text) for r, h in zip(refs, hyps)]
        else:
            self._val += list(zip(batch.targets.tolist(), out.argmax(1).tolist()))

    def _split_targets(self, batch) -> list[str]:
        texts, start = [], 0
        for n in batch.target_lengths.tolist():
            ids = batch.targets[start:start + n].tolist()
            texts.append("".join(self.targets.symbols[i - 1] for i in ids))
            start += n
        return texts

    def on_validation_epoch_end(self):
        if not self._val:
            return
        if self.domain.kind == "ctc":
            refs, hyps = zip(*self._val)
            error = cer(refs, hyps)
            self.log("val/cer", error, prog_bar=True, sync_dist=True)
            self.log("val/wer", wer(refs, hyps), prog_bar=True, sync_dist=True)
        else:
            y, p = zip(*self._val)
            m = confusion_matrix(y, p, self.targets.n_out)
            acc = float(m.trace() / max(m.sum(), 1))
            error = 1.0 - acc
            self.log("val/accuracy", acc, prog_bar=True, sync_dist=True)
            self.log("val/mean_class_accuracy", mean_class_accuracy(m), sync_dist=True)
        self.log("val/error", error, sync_dist=True)
        self._val = []

    def _timer(self):
        """Lightning's Timer (train.max_minutes); it keeps the elapsed time across --resume."""
        if self._trainer is None:
            return None
        return next((c for c in self.trainer.callbacks if isinstance(c, L.pytorch.callbacks.Timer)), None)

    def planned_steps(self) -> int:
        """Total optimizer steps of the run, for the LR schedule.

        Not Lightning's estimated_stepping_batches: that builds the loader iterator before a resumed
        checkpoint restores the loader's position, and the resumed epoch would replay from its start.
        """
        t = self.cfg.train
        per_epoch = self.steps_per_epoch or 1
        by_epochs = per_epoch * t.max_epochs
        return max(min(t.max_steps, by_epochs) if t.max_steps > 0 else by_epochs, 1)

    def configure_optimizers(self):
        o = self.cfg.train.optim
        params = [p for p in self.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=o.lr, weight_decay=o.weight_decay, betas=tuple(o.betas))
        total = self.planned_steps()
        if o.schedule == "onecycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=o.lr, total_steps=total)
        else:
            warm = min(o.warmup_steps, total // 2)

            def factor(step: int) -> float:
                if step < warm:
                    return (step + 1) / warm
                if o.schedule == "constant":
                    return 1.0
                progress = min((step - warm) / max(total - warm, 1), 1.0)
                timer = self._timer()
                if timer is not None:  # a time-capped run decays by whichever ends first: steps or wall time
                    elapsed, left = timer.time_elapsed("train"), timer.time_remaining("train")
                    if elapsed is not None and left is not None and elapsed + left > 0:
                        progress = max(progress, min(elapsed / (elapsed + left), 1.0))
                return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def ctc_feasible(targets: torch.Tensor, target_lengths: torch.Tensor, out_lengths: torch.Tensor) -> torch.Tensor:
    """[B] bool: the output is long enough for the label (its length plus one blank per repeated pair)."""
    out = []
    start = 0
    for n, t in zip(target_lengths.tolist(), out_lengths.tolist()):
        y = targets[start:start + n]
        repeats = int((y[1:] == y[:-1]).sum()) if n > 1 else 0
        out.append(n + repeats <= t)
        start += n
    return torch.tensor(out, dtype=torch.bool)


def val_metrics(trainer) -> dict[str, float]:
    """The latest validation's metrics as plain floats."""
    return {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}


class AtomicCheckpoint(L.Callback):
    """last.ckpt every N steps and after each validation; best.ckpt when val/error improves.

    Written to a temp file, fsynced, then renamed: a crash never leaves a half-written checkpoint.
    """

    def __init__(self, folder: Path, every_n_steps: int | None):
        self.folder = folder
        self.every = every_n_steps
        self.best = float("inf")
        self.best_metrics: dict[str, float] = {}  # validation metrics of the weights in best.ckpt

    def _save(self, trainer, name: str):
        # save_checkpoint is collective (it holds a barrier) and only global rank 0 writes
        if trainer.is_global_zero:
            with atomic_path(self.folder / name) as tmp:
                trainer.save_checkpoint(tmp, weights_only=False)
        else:
            trainer.save_checkpoint(self.folder / name, weights_only=False)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.train_dataloader is not None:
            trainer.train_dataloader.consumed = batch_idx + 1  # the position saved with the checkpoint
        if self.every and trainer.global_step and trainer.global_step % self.every == 0:
            self._save(trainer, "last.ckpt")

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        err = trainer.callback_metrics.get("val/error")
        if err is not None and float(err) < self.best:
            self.best = float(err)
            self.best_metrics = val_metrics(trainer)
            self._save(trainer, "best.ckpt")
        self._save(trainer, "last.ckpt")

    def on_train_end(self, trainer, pl_module):
        self._save(trainer, "last.ckpt")

    def on_exception(self, trainer, pl_module, exception):
        # SIGINT/SIGTERM arrive here (as KeyboardInterrupt / SystemExit): keep the work done so far
        if isinstance(exception, (KeyboardInterrupt, SystemExit)) and trainer.global_step:
            self._save(trainer, "last.ckpt")

    def state_dict(self):
        return {"best": self.best, "best_metrics": self.best_metrics}

    def load_state_dict(self, state_dict):
        self.best = state_dict.get("best", self.best)
        self.best_metrics = state_dict.get("best_metrics", self.best_metrics)


class EpochSummary(L.Callback):
    """A plain-text line per epoch when no progress bar is shown (logs, pipes, CI)."""

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        m = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/") or k == "train/loss_epoch"}
        shown = " ".join(f"{k}={v:.4f}" for k, v in sorted(m.items()))
        print(f"epoch {trainer.current_epoch} step {trainer.global_step} {shown}", file=sys.stderr, flush=True)


def row_lengths(domain, rows, features_cfg) -> list[int | None]:
    """Length of each row (manifest ``length``, else the domain's cheap estimate); None when unknown."""
    out: list[int | None] = []
    for r in rows:
        if r.length is not None:
            out.append(r.length)
        elif domain.estimate_length is None:
            out.append(None)
        else:
            try:
                out.append(int(domain.estimate_length(r.path, features_cfg)))
            except (SuiteError, OSError):
                out.append(None)  # unreadable: its loader will skip and count it
    return out


def drop_infeasible(cfg, domain, targets: Targets, rows, lengths, source: str):
    """Before training: CTC samples whose label cannot fit the model's output length are reported by id and left
    out (they would give an infinite loss). Needs lengths (manifest or estimate)."""
    if domain.kind != "ctc":
        return rows, lengths
    enc = targets.encoder()
    frames = domain.frontend_frames or (lambda n, f: n)
    halvings = cfg.model.subsample.bit_length() - 1
    keep_rows, keep_lengths, bad = [], [], []
    for r, n in zip(rows, lengths):
        if n is not None:
            t = frames(n, cfg.features)
            for _ in range(halvings):  # as ConvSubsampler.output_lengths
                t = (t - 1) // 2 + 1
            text = enc.text(r.target)
            need = len(text) + sum(1 for x, y in zip(text, text[1:]) if x == y)
            if need > t:
                bad.append(r.id)
                continue
        keep_rows.append(r)
        keep_lengths.append(n)
    if bad:
        print(f"warning: {source}: {len(bad)} sample(s) have labels longer than the model's output allows "
              f"(CTC needs one frame per character plus one per repeat); left out: {', '.join(bad[:10])}"
              f"{' ...' if len(bad) > 10 else ''}", file=sys.stderr)
    if not keep_rows:
        raise SuiteError("no sample of the manifest fits the model's output length", source)
    return keep_rows, keep_lengths


def make_loaders(cfg, domain, targets: Targets, train_rows, valid_rows, device, rank=0, world=1,
                 train_lengths=None, valid_lengths=None, load_fn=None):
    enc = targets.encoder()
    f, a = cfg.features, cfg.augment

    def fill(lengths):
        return [n if n is not None else 1 for n in lengths]

    train_lengths = train_lengths or (row_lengths(domain, train_rows, f) if load_fn is None else [1] * len(train_rows))
    # the loaders draw worker seeds from their own generator, not the global RNG that dropout uses, so
    # starting a new epoch's iterator does not shift dropout masks (exact resume at epoch boundaries)
    common = dict(collate_fn=collate, num_workers=cfg.data.num_workers, pin_memory=pin_memory(device),
                  persistent_workers=False, generator=torch.Generator().manual_seed(cfg.train.seed))
    train_ds = ManifestDataset(train_rows, domain, f, a, enc, seed=cfg.train.seed, max_file_mb=cfg.data.max_file_mb,
                               load_fn=load_fn)
    train_sampler = BucketBatchSampler(fill(train_lengths), cfg.train.batch_size, shuffle=True,
                                       bucket=cfg.train.bucket, seed=cfg.train.seed, rank=rank, world_size=world)
    train = ResumableLoader(train_ds, batch_sampler=train_sampler, **common)
    valid = None
    if valid_rows:
        valid_lengths = valid_lengths or (row_lengths(domain, valid_rows, f) if load_fn is None else [1] * len(valid_rows))
        valid_ds = ManifestDataset(valid_rows, domain, f, None, enc, max_file_mb=cfg.data.max_file_mb, load_fn=load_fn)
        vs = BucketBatchSampler(fill(valid_lengths), cfg.train.batch_size, shuffle=False, bucket=True,
                                rank=rank, world_size=world)
        valid = DataLoader(valid_ds, batch_sampler=vs, **common)
    return train, valid


def check_targets(rows, targets: Targets, source: str) -> None:
    """Valid/test targets the model cannot produce are an early error, not a silent metric hit."""
    if targets.kind == "classify":
        unknown = sorted({str(r.target) for r in rows} - set(targets.symbols))
        if unknown:
            raise SuiteError(f"labels not in the training manifest: {', '.join(unknown[:5])}", source)


def quiet_lightning() -> None:
    """Lightning's banners (GPU available, tips) are noise in a CLI; warnings still show."""
    import logging

    for name in ("lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)


def train(config_path: str, overrides: list[str], out: str | None, resume: bool = False) -> Path:
    quiet_lightning()
    cfg = load_config(config_path, overrides)
    domain = get_domain(cfg.task)
    if not cfg.data.train or not cfg.data.valid:
        raise SuiteError(f"{config_path}: data.train and data.valid must name manifests "
                         "(e.g. --set data.train=DIR/train.jsonl --set data.valid=DIR/valid.jsonl)")
    run = Path(out or f"runs/{Path(config_path).stem}")
    ckpt_dir = run / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    if resume and not last.is_file():
        raise SuiteError("nothing to resume: no checkpoints/last.ckpt", run)
    # fail before training, not after an hour, if the run folder cannot be written or the disk is full
    atomic_write_text(run / "config.yaml", yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    free_mb = shutil.disk_usage(run).free / 2**20
    if free_mb < cfg.train.min_free_mb:
        raise SuiteError(f"only {free_mb:.0f} MB free, train.min_free_mb asks for {cfg.train.min_free_mb:.0f}", run)

    allow = cfg.data.allow_outside_paths
    train_rows = read_manifest(cfg.data.train, domain.input_key, domain.target_key, allow_outside=allow)
    valid_rows = read_manifest(cfg.data.valid, domain.input_key, domain.target_key, allow_outside=allow)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    if resume:
        symbols = torch.load(last, map_location="cpu", weights_only=False)["hyper_parameters"]["symbols"]
    else:
        symbols = Targets.from_rows(domain, train_rows).symbols
    targets = Targets(domain.kind, symbols, domain.normalize_text)
    check_targets(valid_rows, targets, cfg.data.valid)

    device = select_device(cfg.train.accelerator)
    module = SuiteModule(cfg.model_dump(mode="json"), symbols)
    tty = sys.stderr.isatty()
    checkpointer = AtomicCheckpoint(ckpt_dir, cfg.train.checkpoint_every_steps)
    callbacks: list[L.Callback] = [checkpointer, EpochSummary(),
                                   L.pytorch.callbacks.LearningRateMonitor(logging_interval="step")]
    if tty:
        callbacks.append(L.pytorch.callbacks.RichProgressBar())
    if cfg.train.ema_decay:
        callbacks.append(EMA(cfg.train.ema_decay))
    if cfg.train.early_stop_patience:
        callbacks.append(L.pytorch.callbacks.EarlyStopping("val/error", patience=cfg.train.early_stop_patience,
                                                           mode="min", check_on_train_epoch_end=False))
    # logs/version_N/ per attempt: a resumed run adds a folder instead of overwriting the earlier logs
    csv_logger = L.pytorch.loggers.CSVLogger(run, name="logs")
    loggers = [csv_logger, L.pytorch.loggers.TensorBoardLogger(run, name="logs", version=csv_logger.version,
                                                                default_hp_metric=False)]
    trainer = L.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=cfg.train.devices, num_nodes=cfg.train.num_nodes, strategy=cfg.train.strategy,
        precision=lightning_precision(cfg.train.precision, device),
        max_epochs=cfg.train.max_epochs, max_steps=cfg.train.max_steps,
        max_time={"minutes": cfg.train.max_minutes} if cfg.train.max_minutes else None,
        gradient_clip_val=cfg.train.grad_clip, deterministic=cfg.train.deterministic,
        check_val_every_n_epoch=cfg.train.val_every_epochs, log_every_n_steps=cfg.train.log_every_steps,
        callbacks=callbacks, logger=loggers, enable_progress_bar=tty, enable_model_summary=False,
        enable_checkpointing=False, use_distributed_sampler=False, default_root_dir=run,
        num_sanity_val_steps=0,
    )
    train_lengths = row_lengths(domain, train_rows, cfg.features)
    train_rows, train_lengths = drop_infeasible(cfg, domain, targets, train_rows, train_lengths, cfg.data.train)
    load_fn = None
    if domain.kind == "classify" and cfg.model.freeze_cnn and cfg.model.cache_features:
        from .feature_cache import cache_features, load_cached

        folder = Path(cfg.data.feature_cache or run / "feature_cache")
        train_rows = cache_features(module.model, domain, cfg.features, train_rows, folder, device)
        valid_rows = cache_features(module.model, domain, cfg.features, valid_rows, folder, device)
        train_lengths, load_fn = None, load_cached
    train_dl, valid_dl = make_loaders(cfg, domain, targets, train_rows, valid_rows, device,
                                      rank=trainer.global_rank, world=trainer.world_size, train_lengths=train_lengths,
                                      load_fn=load_fn)
    resume_hint = f"resume with: suite train {config_path} --out {run} --resume"
    module.steps_per_epoch = len(train_dl)
    try:
        trainer.fit(module, train_dl, valid_dl, ckpt_path=str(last) if resume else None)
    except SystemExit:  # SIGINT / SIGTERM: AtomicCheckpoint has saved last.ckpt
        raise SuiteError(f"training interrupted; checkpoint saved; {resume_hint}") from None
    if trainer.interrupted:
        raise SuiteError(f"training interrupted; {resume_hint}")

    best = ckpt_dir / "best.ckpt"
    metrics = val_metrics(trainer)
    if best.is_file():
        state = torch.load(best, map_location="cpu", weights_only=False)["state_dict"]
        module.load_state_dict(state)
        metrics = dict(checkpointer.best_metrics) or metrics  # the bundle reports the weights it holds
    if module.infeasible:
        metrics["infeasible"] = len(module.infeasible)
    if module.bad_total:
        print(f"skipped {module.bad_total} batch(es) with a non-finite loss", file=sys.stderr)
        metrics["nonfinite_batches"] = module.bad_total
    if module.skipped:
        print(f"skipped {len(module.skipped)} corrupt sample(s) during training", file=sys.stderr)
        metrics["skipped"] = len(module.skipped)
    bundle = run / "model.pt"
    if trainer.is_global_zero:
        state = {k.removeprefix("model."): v for k, v in module.state_dict().items() if k.startswith("model.")}
        save_bundle(bundle, domain=domain.name, config=cfg.model_dump(mode="json"), state_dict=state,
                    vocab=symbols if domain.kind == "ctc" else None,
                    labels=symbols if domain.kind == "classify" else None, metrics=metrics)
        print(f"wrote {bundle}", file=sys.stderr)
    return bundle
