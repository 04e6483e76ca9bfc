"""Trainer callbacks: atomic checkpoints, early stopping that knows the plateau, a line per epoch."""
from __future__ import annotations

import sys
from pathlib import Path

import lightning as L

from .io import atomic_path


def val_metrics(trainer) -> dict[str, float]:
    """The latest validation's metrics as plain floats."""
    return {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}


def validation_score(trainer) -> tuple[float, float] | None:
    """(val/error, val/loss) of the latest validation, compared as a pair: a lower error wins, an equal error
    with a lower loss wins too. A small validation set ties often (30 clips: steps of 3.3%), and the model
    that keeps the error and lowers the loss, usually a later one, is the better one (docs/own-data.md)."""
    err = trainer.callback_metrics.get("val/error")
    if err is None:
        return None
    loss = trainer.callback_metrics.get("val/loss")
    return float(err), float("inf") if loss is None else float(loss)


class AtomicCheckpoint(L.Callback):
    """last.ckpt every N steps and after each validation; best.ckpt when ``validation_score`` improves.

    Written to a temp file, fsynced, then renamed: a crash never leaves a half-written checkpoint.
    """

    def __init__(self, folder: Path, every_n_steps: int | None):
        self.folder = folder
        self.every = every_n_steps
        self.best = float("inf")  # val/error of best.ckpt
        self.best_loss = float("inf")  # and its val/loss (the tie-break)
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
        score = validation_score(trainer)
        if score is not None and score < (self.best, self.best_loss):
            self.best, self.best_loss = score
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
        return {"best": self.best, "best_loss": self.best_loss, "best_metrics": self.best_metrics}

    def load_state_dict(self, state_dict):
        self.best = state_dict.get("best", self.best)
        self.best_loss = state_dict.get("best_loss", self.best_loss)
        self.best_metrics = state_dict.get("best_metrics", self.best_metrics)


class PlateauAwareEarlyStopping(L.Callback):
    """Stop when ``validation_score`` has not improved for ``patience`` validations and ``fraction`` of the
    budget (an equal error with a lower loss is an improvement: the checkpointer keeps that model).

    The budget is the planned steps or train.max_minutes, whichever is further along. Validations at which the
    model is still no better than the task's null model (a CTC model emitting only blanks, a classifier at
    chance) do not count: a run stops on its budget, not on the plateau it has to leave. With ``cooldown`` > 0 the
    rule met first starts the module's cool-down (the LR falls to zero over that share of the budget); the run
    stops when the cool-down is over.
    """

    def __init__(self, patience: int, fraction: float, min_steps: int = 0, cooldown: float = 0.0):
        self.patience = patience
        self.fraction = fraction
        self.min_steps = min_steps  # train.min_steps: never stop before (train.max_minutes still can)
        self.cooldown = cooldown  # train.cooldown: anneal the LR over this fraction of the budget, then stop
        self.best = float("inf")
        self.best_loss = float("inf")
        self.best_progress = 0.0
        self.waited = 0
        self.left_plateau = False
        self.plateau_seen = False  # the rule was met (a cool-down began or the run stopped)
        self.stopped = False  # this rule ended the run (suite.ending says so)

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        score = validation_score(trainer)
        null = getattr(pl_module, "null_error", None)
        if score is None:
            return
        err = score[0]
        if not self.left_plateau:
            if null is not None and not pl_module.task.learned(err, null, getattr(pl_module, "valid_samples", None)):
                return
            self.left_plateau = True
        progress = pl_module.budget_progress()
        improved = score < (self.best, self.best_loss)
        if improved:
            (self.best, self.best_loss), self.best_progress, self.waited = score, progress, 0
        else:
            self.waited += 1
        if getattr(pl_module, "cooldown", None) is not None:  # annealing: the run ends with the cool-down
            if pl_module.cooldown_done():
                trainer.should_stop = self.stopped = True
                if trainer.is_global_zero:
                    print("early stop: the cool-down is over", file=sys.stderr, flush=True)
            return
        if improved:
            return
        if (self.waited >= self.patience and progress - self.best_progress >= self.fraction
                and trainer.global_step >= self.min_steps):
            self.plateau_seen = True
            if self.cooldown > 0 and pl_module.start_cooldown(self.cooldown):
                if trainer.is_global_zero:
                    print(f"plateau: no better validation for {self.waited} checks; the learning rate now falls "
                          f"to zero over {100 * self.cooldown:.0f}% of the budget, then the run stops",
                          file=sys.stderr, flush=True)
                return
            trainer.should_stop = self.stopped = True
            if trainer.is_global_zero:
                print(f"early stop: no better validation for {self.waited} checks "
                      f"({100 * (progress - self.best_progress):.0f}% of the budget)", file=sys.stderr, flush=True)

    def state_dict(self):
        return {"best": self.best, "best_loss": self.best_loss, "best_progress": self.best_progress,
                "waited": self.waited, "left_plateau": self.left_plateau, "plateau_seen": self.plateau_seen}

    def load_state_dict(self, state_dict):
        for k, v in state_dict.items():
            setattr(self, k, v)


class EpochSummary(L.Callback):
    """A plain-text line per epoch when no progress bar is shown (logs, pipes, CI)."""

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        m = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/") or k == "train/loss_epoch"}
        shown = " ".join(f"{k}={v:.4f}" for k, v in sorted(m.items()))
        print(f"epoch {trainer.current_epoch} step {trainer.global_step} {shown}", file=sys.stderr, flush=True)
