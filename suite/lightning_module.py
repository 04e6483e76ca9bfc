"""The Lightning module: loss, validation metrics and optimisation around a domain's model, for any task."""
from __future__ import annotations

import sys
import time

import lightning as L
import torch

from .errors import SuiteError
from .models import build_model
from .registry import get_domain
from .schedule import lr_factor
from .tasks import config_task


class SuiteModule(L.LightningModule):
    """The same for every domain and task: the task supplies loss, hypotheses and metrics."""

    def __init__(self, config: dict, targets: dict):
        super().__init__()
        self.save_hyperparameters({"config": config, "targets": targets})
        from .config import build_config

        self.cfg = build_config(config)
        self.domain = get_domain(self.cfg.task)
        self.task = config_task(self.domain, getattr(self.cfg, "objective", None)).for_model(self.cfg.model)
        self.targets = self.task.load_targets(self.domain, targets)
        self.model = build_model(self.domain, self.task, self.cfg, self.targets)
        self.skip_frontend = False  # set when the domain precomputed the frontend's outputs (feature cache)
        self.bad_in_a_row = 0
        self.bad_total = 0
        self.skipped: dict[str, str] = {}
        self.infeasible: set[str] = set()
        self._refs: list = []
        self._hyps: list = []
        self.null_error: float | None = None  # the validation error of a model that learned nothing
        self.valid_samples: int | None = None  # how many inputs that validation had
        self.loss_trace: list[float] = []  # training loss every log step: did it ever fall?
        self._t0 = None
        self._seen = 0
        self.planned_steps = 1  # set by train() from the budget and the loader
        # (budget progress, LR factor, length) once the plateau's cool-down has begun (train.cooldown)
        self.cooldown: tuple[float, float, float] | None = None
        self._lr_now = 1.0

    def forward(self, x, lengths):
        return self.model(x, lengths)

    def _loss(self, batch, training: bool):
        net = self.model.from_cache if self.skip_frontend else self.model
        if training:
            batch = self.task.mix(batch, self.targets)
        out, out_lengths = net(batch.inputs, batch.lengths)
        loss, dropped = self.task.loss(out, out_lengths, batch, training=training)
        if dropped:
            self._note_infeasible(dropped)
        return loss, out, out_lengths

    def _note_infeasible(self, ids: list[str]):
        new = [i for i in ids if i not in self.infeasible]
        self.infeasible.update(new)
        if new:
            print(f"warning: {len(new)} sample(s) {self.task.untrainable_reason}; left out: {', '.join(new[:5])}"
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
        loss, _, _ = self._loss(batch, training=True)
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
            self.loss_trace.append(float(loss.detach()))
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
        checkpoint["loss_trace"] = list(self.loss_trace)
        checkpoint["cooldown"] = self.cooldown

    def on_load_checkpoint(self, checkpoint):
        self._pending_rng = checkpoint.get("rng")
        self.loss_trace = list(checkpoint.get("loss_trace", []))
        self.cooldown = checkpoint.get("cooldown")

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
        loss, out, out_lengths = self._loss(batch, training=False)
        self.log("val/loss", loss, prog_bar=True, batch_size=len(batch.ids), sync_dist=True)
        self._hyps += self.task.hypotheses(out, out_lengths, self.targets)
        self._refs += self.task.batch_references(batch, self.targets)

    def on_validation_epoch_end(self):
        if not self._refs:
            return
        metrics = self.task.metrics(self._refs, self._hyps, self.targets)
        self.null_error = self.task.null_error(self._refs, self.targets)
        self.valid_samples = len(self._refs)
        for k, v in metrics.items():
            if not k.startswith("_"):
                self.log(f"val/{k}", float(v), prog_bar=k != "error", sync_dist=True)
        self._refs, self._hyps = [], []

    def _timer(self):
        """Lightning's Timer (train.max_minutes); it keeps the elapsed time across --resume."""
        if self._trainer is None:
            return None
        return next((c for c in self.trainer.callbacks if isinstance(c, L.pytorch.callbacks.Timer)), None)

    def time_progress(self) -> float | None:
        """Fraction of train.max_minutes spent, or None without a time budget."""
        timer = self._timer()
        if timer is None:
            return None
        elapsed, left = timer.time_elapsed("train"), timer.time_remaining("train")
        if elapsed is None or left is None or elapsed + left <= 0:
            return None
        return min(elapsed / (elapsed + left), 1.0)

    def budget_progress(self) -> float:
        """How far the run is through its budget: planned steps or wall time, whichever is further."""
        steps = self.trainer.global_step / max(self.planned_steps, 1) if self._trainer is not None else 0.0
        return max(min(steps, 1.0), self.time_progress() or 0.0)

    def start_cooldown(self, length: float) -> bool:
        """Anneal the LR linearly from its present value to zero over ``length`` of the budget (False: the
        schedule cannot, e.g. onecycle)."""
        if self.cfg.train.optim.schedule == "onecycle" or length <= 0:
            return False
        self.cooldown = (self.budget_progress(), self._lr_now, length)
        return True

    def cooldown_done(self) -> bool:
        return self.cooldown is not None and self.budget_progress() >= self.cooldown[0] + self.cooldown[2]

    def _lr_multiplier(self, step: int, total: int, warm: int) -> float:
        factor = lr_factor(step, total, warm, self.cfg.train.optim.schedule, self.time_progress())
        if self.cooldown is not None:
            start, from_factor, length = self.cooldown
            left = 1.0 - (self.budget_progress() - start) / length
            factor = min(factor, from_factor * min(max(left, 0.0), 1.0))
        self._lr_now = factor
        return factor

    def configure_optimizers(self):
        o = self.cfg.train.optim
        lr = o.lr * getattr(self, "lr_scale", 1.0)
        opt = torch.optim.AdamW(param_groups(self, lr), lr=lr, weight_decay=o.weight_decay, betas=tuple(o.betas))
        total = self.planned_steps
        if o.schedule == "onecycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=total)
        else:
            warm = o.warmup_steps if o.warmup_steps is not None else round(o.warmup * total)
            warm = min(warm, total // 2)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: self._lr_multiplier(step, total, warm))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def param_groups(module: torch.nn.Module, lr: float) -> list[dict]:
    """Trainable parameters in optimiser groups: a submodule with an ``lr_scale`` attribute (e.g. pretrained
    CNN blocks being fine-tuned) trains at ``lr * lr_scale``, everything else at ``lr``."""
    scaled: dict[float, list] = {}
    owner: dict[int, float] = {}
    for sub in module.modules():
        scale = getattr(sub, "lr_scale", None)
        if isinstance(scale, (int, float)) and sub is not module:
            for p in sub.parameters():
                owner[id(p)] = float(scale)
    for p in module.parameters():
        if p.requires_grad:
            scaled.setdefault(owner.get(id(p), 1.0), []).append(p)
    return [{"params": ps, "lr": lr * s} for s, ps in sorted(scaled.items(), reverse=True)]
