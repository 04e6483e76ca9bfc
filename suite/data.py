"""Datasets over manifest rows, padding collate, and length-bucketed batching (DDP-aware)."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .domain import sample_kwargs
from .errors import SuiteError
from .manifest import Row


@dataclass
class Batch:
    inputs: torch.Tensor  # padded, time second: [B, T, ...]
    lengths: torch.Tensor  # [B]
    targets: torch.Tensor | None  # as the task collates them (ctc: concatenated token ids; classify: [B] class ids)
    target_lengths: torch.Tensor | None  # per-sample target lengths, for tasks with variable-length targets
    ids: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, reason) of corrupt samples

    def pin_memory(self):
        self.inputs = self.inputs.pin_memory()
        return self


class ManifestDataset(Dataset):
    """Loads each row with the domain's loader; a corrupt sample becomes ``(id, reason)`` to skip and count."""

    def __init__(self, rows: Sequence[Row], domain, features_cfg, augment_cfg=None, encode_target=None,
                 seed: int = 0, max_file_mb: float | None = None, load_fn=None, load_kwargs: dict | None = None):
        self.rows = list(rows)
        self.domain = domain
        self.features_cfg = features_cfg
        self.augment_cfg = augment_cfg
        self.encode_target = encode_target
        self.seed = seed
        self.max_bytes = max_file_mb * 2**20 if max_file_mb else None
        self.load_fn = load_fn or domain.load
        self.load_kwargs = load_kwargs or {}  # e.g. which view of each input (evaluation_views)
        self.epoch = 0
        self.partners = self._partner_groups() if augment_cfg is not None and self.load_fn is domain.load else None

    def _partner_groups(self) -> dict | None:
        """Row indices by the value of the domain's ``partner_field``; rows without it pair with any row instead."""
        key = self.domain.partner_field
        if key is None:
            return None
        groups: dict = {}
        for i, row in enumerate(self.rows):
            if row.extra.get(key) is not None:
                groups.setdefault(row.extra[key], []).append(i)
        return groups

    def _partner(self, index: int, rng: random.Random):
        """(path, target) of a random other row of the same group as row ``index``; None when it has no other."""
        value = self.rows[index].extra.get(self.domain.partner_field)
        group = self.partners[value] if value is not None else range(len(self.rows))
        if len(group) < 2:
            return None
        j = index
        while j == index:
            j = group[rng.randrange(len(group))]
        return self.rows[j].path, self.rows[j].target

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        row = self.rows[index]
        # a per-sample, per-epoch rng keeps augmentation reproducible regardless of worker count
        rng = random.Random(hash((self.seed, self.epoch, index)) & 0xFFFFFFFF)
        try:
            if self.max_bytes is not None:
                import os

                size = os.path.getsize(row.path)
                if size > self.max_bytes:
                    raise SuiteError(f"file is {size / 2**20:.0f} MB, over the {self.max_bytes / 2**20:.0f} MB limit",
                                     row.path)
            fields = {**sample_kwargs(self.domain, row.extra), **self.load_kwargs}
            if self.partners is not None:
                fields["partner"] = lambda: self._partner(index, rng)
            target = row.target
            if self.domain.load_returns_target and self.load_fn is self.domain.load and target is not None:
                x, target = self.load_fn(row.path, self.features_cfg, self.augment_cfg, rng,
                                         **{self.domain.target_key: target}, **fields)
            else:
                x = self.load_fn(row.path, self.features_cfg, self.augment_cfg, rng, **fields)
            if not isinstance(x, torch.Tensor) or x.shape[0] == 0:
                raise SuiteError("no usable content", row.path)
            target = self.encode_target(target) if self.encode_target else None
        except (SuiteError, OSError) as err:
            return row.id, str(err)
        return row.id, x, target


def collate(items: list, collate_targets=None) -> Batch:
    """Pad a list of (id, inputs, target) samples; (id, reason) items are skipped samples.
    ``collate_targets`` (the task's) turns the targets into (targets, target lengths)."""
    good = [it for it in items if len(it) == 3]
    skipped = [it for it in items if len(it) == 2]
    if not good:
        return Batch(torch.zeros(0), torch.zeros(0, dtype=torch.long), None, None, [], skipped)
    ids, xs, targets = zip(*good)
    lengths = torch.tensor([x.shape[0] for x in xs], dtype=torch.long)
    padded = xs[0].new_zeros((len(xs), int(lengths.max()), *xs[0].shape[1:]))
    for i, x in enumerate(xs):
        padded[i, : x.shape[0]] = x
    tgt = tgt_len = None
    if targets[0] is not None and collate_targets is not None:
        tgt, tgt_len = collate_targets(list(targets))
    return Batch(padded, lengths, tgt, tgt_len, list(ids), skipped)


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length: sort by length within large shuffled pools, then shuffle the batches.

    Distributed: every rank builds the same list of global batches (``batch_size * world_size`` samples) from
    (seed, epoch) and takes its own share of each, so ranks see disjoint samples and a step on N processes
    trains on the same samples as one process with N times the batch size.

    ``costs`` and ``max_cost`` bound a batch's memory too (ESPnet's ``batch_bins``): beyond one sample per
    process, a batch grows only while its size times its largest cost stays within ``max_cost`` per process,
    so long samples train in smaller batches (at most ``batch_size`` still).
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, *, shuffle: bool = True, bucket: bool = True,
                 seed: int = 0, pool_batches: int = 50, rank: int = 0, world_size: int = 1, drop_last: bool = False,
                 costs: Sequence[int] | None = None, max_cost: int | None = None):
        self.lengths = list(lengths)
        if costs is not None and len(costs) != len(self.lengths):
            raise ValueError(f"{len(costs)} costs for {len(self.lengths)} samples")
        self.costs = list(costs) if costs is not None and max_cost else None
        self.max_cost = max_cost
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.bucket = bucket
        self.seed = seed
        self.pool = pool_batches * batch_size * world_size
        self.rank = rank
        self.world_size = world_size
        self.drop_last = drop_last
        self.epoch = 0
        self.skip = 0  # batches of the current epoch already trained on (set when resuming mid-epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def global_batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 1000003 + self.epoch)
        order = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(order)
        if self.bucket:
            if self.shuffle:
                pools = [order[i:i + self.pool] for i in range(0, len(order), self.pool)]
                order = [j for pool in pools for j in sorted(pool, key=lambda k: self.lengths[k])]
            else:
                order.sort(key=lambda k: self.lengths[k])
        size = self.batch_size * self.world_size
        if self.costs is None:
            batches = [order[i:i + size] for i in range(0, len(order), size)]
        else:
            batches = cost_bounded(order, size, self.costs, self.max_cost * self.world_size, self.world_size)
        # every rank needs a sample in every step, or the gradient all-reduce would wait forever
        min_size = size if self.drop_last else self.world_size
        if batches and len(batches[-1]) < min_size:
            batches.pop()
        if self.shuffle:
            rng.shuffle(batches)
        return batches

    def batches(self) -> list[list[int]]:
        out = self.global_batches()
        if self.world_size > 1:
            out = [b[self.rank::self.world_size] for b in out]
        return out

    def __iter__(self):
        batches, self.skip = self.batches()[self.skip:], 0
        return iter(batches)

    def __len__(self) -> int:
        if self.costs is not None:  # batch sizes depend on which samples meet: count this epoch's
            return len(self.global_batches())
        size = self.batch_size * self.world_size
        n = len(self.lengths)
        full, rest = divmod(n, size)
        return full + (1 if rest >= (size if self.drop_last else self.world_size) else 0)


def cost_bounded(order: Sequence[int], size: int, costs: Sequence[int], max_cost: int,
                 least: int = 1) -> list[list[int]]:
    """Consecutive batches of ``order``: at most ``size`` samples, and no more than ``least`` once the batch's
    size times its largest cost would pass ``max_cost`` (a padded batch's memory grows with both)."""
    batches: list[list[int]] = []
    cur: list[int] = []
    top = 0
    for i in order:
        grown = max(top, costs[i])
        if cur and (len(cur) >= size or (len(cur) >= least and (len(cur) + 1) * grown > max_cost)):
            batches.append(cur)
            cur, grown = [], costs[i]
        cur.append(i)
        top = grown
    if cur:
        batches.append(cur)
    return batches


class ResumableLoader(DataLoader):
    """A DataLoader whose position Lightning saves in checkpoints (it has state_dict/load_state_dict), so a run
    resumed mid-epoch trains on exactly the batches it had not seen yet."""

    consumed = 0  # batches of the current epoch trained on; kept up to date by the trainer

    def state_dict(self) -> dict:
        return {"epoch": self.batch_sampler.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: dict) -> None:
        epoch, consumed = state["epoch"], state["consumed"]
        self.batch_sampler.set_epoch(epoch)  # first: with cost-bounded batches an epoch's length depends on it
        if consumed >= len(self.batch_sampler):  # saved at the very end of an epoch: resume at the next
            epoch, consumed = epoch + 1, 0
        self.batch_sampler.set_epoch(epoch)
        self.batch_sampler.skip = self.consumed = consumed
        self.dataset.epoch = epoch


def padding_efficiency(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Real steps / padded steps over the given batches."""
    real = sum(lengths[i] for b in batches for i in b)
    padded = sum(max(lengths[i] for i in b) * len(b) for b in batches if b)
    return real / padded if padded else 1.0
