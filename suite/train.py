"""`suite train`: read the recipe and manifests, wire the Lightning trainer, write the bundle and the verdict."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import lightning as L
import torch
import yaml
from torch.utils.data import DataLoader

from .bundle import model_weights, save_bundle
from .callbacks import AtomicCheckpoint, EpochSummary, PlateauAwareEarlyStopping, val_metrics
from .config import apply_overrides, build_config, read_yaml
from .data import BucketBatchSampler, ManifestDataset, ResumableLoader, collate
from .device import lightning_precision, pin_memory, select_device
from .ema import EMA
from .ending import how_training_ended
from .errors import SuiteError
from .io import atomic_write_text
from .lightning_module import SuiteModule
from .manifest import read_manifest
from .registry import get_domain
from .schedule import effective_batch_size, epochs_for, planned_steps
from .tasks import config_task
from .verdict import NOTHING_LEARNED, judge, report


class NothingLearned(SuiteError):
    """The run finished but its model is no better than one that learned nothing (exit code 3)."""

    exit_code = NOTHING_LEARNED


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


def output_lengths(model, lengths: list[int | None]) -> list[int | None]:
    """The model's output length for each input length (None stays None)."""
    known = sorted({n for n in lengths if n is not None})
    by_len = dict(zip(known, model.output_lengths(torch.tensor(known)).tolist())) if known else {}
    return [by_len.get(n) if n is not None else None for n in lengths]


def drop_untrainable(task, model, targets, rows, lengths, source: str):
    """Before training: rows the model cannot learn (e.g. CTC labels longer than the model's output for the
    input's length, with output lengths from the model itself) are reported by id and left out."""
    ok = task.trainable(targets, rows, output_lengths(model, lengths))
    bad = [r.id for r, good in zip(rows, ok) if not good]
    if bad:
        print(f"warning: {source}: {len(bad)} sample(s) {task.untrainable_reason}; left out: {', '.join(bad[:10])}"
              f"{' ...' if len(bad) > 10 else ''}", file=sys.stderr)
    keep = [(r, n) for r, n, good in zip(rows, lengths, ok) if good]
    if not keep:
        raise SuiteError(f"no sample of the manifest can be trained on: all {task.untrainable_reason}", source)
    return [r for r, _ in keep], [n for _, n in keep]


def make_loaders(cfg, domain, targets, task, train_rows, valid_rows, device, batch_size: int, rank=0, world=1,
                 train_lengths=None, valid_lengths=None, load_fn=None, train_costs=None):
    """``train_costs``: the task's batch_costs of the training rows (None: batches bounded by count only)."""
    def fill(lengths):
        return [n if n is not None else 1 for n in lengths]

    def collate_fn(items):
        return collate(items, task.collate_targets)

    f, a = cfg.features, cfg.augment
    train_lengths = train_lengths or (row_lengths(domain, train_rows, f) if load_fn is None else [1] * len(train_rows))
    # the loaders draw worker seeds from their own generator, not the global RNG that dropout uses, so
    # starting a new epoch's iterator does not shift dropout masks (exact resume at epoch boundaries)
    common = dict(collate_fn=collate_fn, num_workers=cfg.data.num_workers, pin_memory=pin_memory(device),
                  persistent_workers=False, generator=torch.Generator().manual_seed(cfg.train.seed))
    train_ds = ManifestDataset(train_rows, domain, f, a, targets.encode, seed=cfg.train.seed,
                               max_file_mb=cfg.data.max_file_mb, load_fn=load_fn)
    train_sampler = BucketBatchSampler(fill(train_lengths), batch_size, shuffle=True,
                                       bucket=cfg.train.bucket, seed=cfg.train.seed, rank=rank, world_size=world,
                                       costs=train_costs, max_cost=task.max_batch_cost)
    train = ResumableLoader(train_ds, batch_sampler=train_sampler, **common)
    valid_lengths = valid_lengths or (row_lengths(domain, valid_rows, f) if load_fn is None else [1] * len(valid_rows))
    valid_ds = ManifestDataset(valid_rows, domain, f, None, targets.encode, max_file_mb=cfg.data.max_file_mb,
                               load_fn=load_fn)
    vs = BucketBatchSampler(fill(valid_lengths), batch_size, shuffle=False, bucket=True, rank=rank, world_size=world)
    return train, DataLoader(valid_ds, batch_sampler=vs, **common)


def quiet_lightning() -> None:
    """Lightning's banners (GPU available, tips) are noise in a CLI; warnings still show, except one that
    is always expected here: frozen pretrained parts (e.g. BatchNorm keeping ImageNet statistics) stay in
    eval mode on purpose."""
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode at the start of training")


def read_config(config_path: str, overrides: list[str], init_bundle: dict | None):
    raw = apply_overrides(read_yaml(config_path) or {}, overrides)
    if init_bundle is not None:
        from .finetune import init_config

        raw = init_config(raw, init_bundle, config_path)
    return build_config(raw, source=config_path)


def train(config_path: str, overrides: list[str], out: str | None, resume: bool = False,
          init: str | None = None, callbacks: list | None = None) -> Path:
    """Train a recipe; returns the bundle path. ``callbacks``: extra Lightning callbacks (e.g. a tuner's pruner).
    Raises NothingLearned (exit code 3) after writing the bundle of a run that learned nothing."""
    quiet_lightning()
    init_bundle = init_source = None
    if init:
        from .finetune import read_init

        init_bundle, init_source = read_init(init)
    cfg = read_config(config_path, overrides, init_bundle)
    domain = get_domain(cfg.task)
    task = config_task(domain, getattr(cfg, "objective", None))
    if not cfg.data.train:
        raise SuiteError(f"{config_path}: data.train must name a manifest (e.g. --set data.train=DIR/train.jsonl)")
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

    train_rows = read_manifest(cfg.data.train, domain.input_key, domain.target_key)
    if cfg.data.valid:
        valid_rows = read_manifest(cfg.data.valid, domain.input_key, domain.target_key)
    else:
        from .split import auto_split

        train_rows, valid_rows = auto_split(train_rows, cfg, run, domain)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    if resume:
        state = torch.load(last, map_location="cpu", weights_only=False)["hyper_parameters"]["targets"]
        targets = task.load_targets(domain, state)
    else:
        targets = task.fit_targets(domain, train_rows)
        if init_bundle is not None:
            from .finetune import bundle_targets

            targets = task.merge_targets(bundle_targets(task, domain, init_bundle), targets)
    targets.check(valid_rows, cfg.data.valid or str(run / "split" / "valid.jsonl"))

    device = select_device(cfg.train.accelerator)
    module = SuiteModule(cfg.model_dump(mode="json"), targets.state())
    if init_bundle is not None and not resume:
        from .finetune import bundle_targets, load_init_weights, note_new

        fresh = load_init_weights(module.model, task, init_bundle, bundle_targets(task, domain, init_bundle), targets)
        note_new(fresh, init_source)
        module.lr_scale = cfg.train.init_lr_scale
    elif init_bundle is not None:
        module.lr_scale = cfg.train.init_lr_scale

    train_lengths = row_lengths(domain, train_rows, cfg.features)
    train_rows, train_lengths = drop_untrainable(task, module.model, targets, train_rows, train_lengths,
                                                 cfg.data.train)
    train_costs = task.batch_costs(targets, train_rows, output_lengths(module.model, train_lengths))
    load_fn = None
    if domain.precompute is not None:
        # train and valid separately: their ids may repeat across the two manifests
        pre = domain.precompute(domain, module.model, cfg, train_rows, run / "feature_cache", device, training=True)
        if pre is not None:
            train_rows, load_fn = pre
            valid_rows = domain.precompute(domain, module.model, cfg, valid_rows, run / "feature_cache", device,
                                           training=False)[0]
            train_lengths, train_costs, module.skip_frontend = None, None, True

    t = cfg.train
    tty = sys.stderr.isatty()

    checkpointer = AtomicCheckpoint(ckpt_dir, t.checkpoint_every_steps)
    extra_callbacks = callbacks
    callbacks: list[L.Callback] = [checkpointer, EpochSummary(),
                                   L.pytorch.callbacks.LearningRateMonitor(logging_interval="step")]
    if tty:
        callbacks.append(L.pytorch.callbacks.RichProgressBar())
    if t.ema_decay:
        callbacks.append(EMA(t.ema_decay))
    callbacks += list(extra_callbacks or [])
    stopper = None
    if t.early_stop_patience:
        stopper = PlateauAwareEarlyStopping(t.early_stop_patience, t.early_stop_fraction, t.min_steps, t.cooldown)
        callbacks.append(stopper)
    # logs/version_N/ per attempt: a resumed run adds a folder instead of overwriting the earlier logs
    csv_logger = L.pytorch.loggers.CSVLogger(run, name="logs")
    loggers = [csv_logger, L.pytorch.loggers.TensorBoardLogger(run, name="logs", version=csv_logger.version,
                                                                default_hp_metric=False)]
    trainer = L.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=t.devices, num_nodes=t.num_nodes, strategy=t.strategy,
        precision=lightning_precision(t.precision, device),
        max_epochs=t.max_epochs, max_steps=t.max_steps,  # max_epochs is set from the plan below
        max_time={"minutes": t.max_minutes} if t.max_minutes else None,
        gradient_clip_val=t.grad_clip, deterministic=t.deterministic,
        check_val_every_n_epoch=t.val_every_epochs, log_every_n_steps=t.log_every_steps,
        callbacks=callbacks, logger=loggers, enable_progress_bar=tty, enable_model_summary=False,
        enable_checkpointing=False, use_distributed_sampler=False, default_root_dir=run,
        num_sanity_val_steps=0,
    )
    # the small-corpus rule applies to the global batch (all processes), so N processes train like one
    world = trainer.world_size
    global_batch = effective_batch_size(len(train_rows), t.batch_size * world, t.min_batches_per_epoch,
                                        t.min_batch_size * world)
    batch_size = max(1, global_batch // world)
    if batch_size != t.batch_size:
        print(f"note: {len(train_rows)} training samples: batch size {batch_size} instead of {t.batch_size} "
              f"(train.min_batches_per_epoch {t.min_batches_per_epoch})", file=sys.stderr)
    train_dl, valid_dl = make_loaders(cfg, domain, targets, task, train_rows, valid_rows, device, batch_size,
                                      rank=trainer.global_rank, world=trainer.world_size,
                                      train_lengths=train_lengths, load_fn=load_fn, train_costs=train_costs)
    per_epoch = len(train_dl.batch_sampler)
    total = planned_steps(per_epoch, t.max_epochs, t.max_steps, t.min_steps)
    module.planned_steps = total
    max_epochs = min(t.max_epochs, epochs_for(total, per_epoch)) if t.max_steps > 0 else t.max_epochs
    trainer.fit_loop.max_epochs = max(max_epochs, epochs_for(t.min_steps, per_epoch))
    resume_hint = f"resume with: suite train {config_path} --out {run} --resume"
    try:
        trainer.fit(module, train_dl, valid_dl, ckpt_path=str(last) if resume else None)
    except SystemExit:  # SIGINT / SIGTERM: AtomicCheckpoint has saved last.ckpt
        raise SuiteError(f"training interrupted; checkpoint saved; {resume_hint}") from None
    if trainer.interrupted:
        raise SuiteError(f"training interrupted; {resume_hint}")

    # model.pt gets the best validation's weights or, once a cool-down has begun (train.cooldown), the annealed
    # weights at its end: a validation set of a hundred lines picks its best among high-LR weights by luck as much
    # as by skill (1000 UNIPEN lines, two runs: the end of the cool-down read other writers at 16.2% and 16.1% CER,
    # the best validation's weights at 17.1% and 16.4%; docs/own-data.md)
    annealed = module.cooldown is not None
    chosen = ckpt_dir / ("last.ckpt" if annealed else "best.ckpt")
    metrics = val_metrics(trainer)
    if chosen.is_file():
        state = torch.load(chosen, map_location="cpu", weights_only=False)["state_dict"]
        module.load_state_dict(state)
        if not annealed:
            metrics = dict(checkpointer.best_metrics) or metrics  # the bundle reports the weights it holds
        else:
            end, best_err = (m.get("val/error", float("nan")) for m in (metrics, checkpointer.best_metrics))
            print(f"model.pt: the weights at the end of the cool-down (validation error {end:.4g}; the best "
                  f"validation's was {best_err:.4g})", file=sys.stderr)
    if module.infeasible:
        metrics["infeasible"] = len(module.infeasible)
    if module.bad_total:
        print(f"skipped {module.bad_total} batch(es) with a non-finite loss", file=sys.stderr)
        metrics["nonfinite_batches"] = module.bad_total
    if module.skipped:
        print(f"skipped {len(module.skipped)} corrupt sample(s) during training", file=sys.stderr)
        metrics["skipped"] = len(module.skipped)
    metrics["steps"] = trainer.global_step
    metrics["ended_by"], ending = how_training_ended(trainer.global_step, t.max_steps, module.time_progress(), stopper)
    if trainer.is_global_zero:
        print(ending, file=sys.stderr)
    reason = judge(task, metrics.get("val/error"), module.null_error, module.loss_trace, module.valid_samples)
    if module.null_error is not None:
        metrics["val/null_error"] = module.null_error
    if reason:
        metrics["verdict"] = reason
    bundle = run / "model.pt"
    if trainer.is_global_zero:
        save_bundle(bundle, domain=domain.name, config=cfg.model_dump(mode="json"),
                    state_dict=model_weights(module.state_dict()),
                    targets=targets.state(), metrics=metrics,
                    info={"init": init_source} if init_source else None)
        print(f"wrote {bundle}", file=sys.stderr)
    if reason:
        report(reason)
        raise NothingLearned(f"{bundle} was written but its model learned nothing")
    return bundle
