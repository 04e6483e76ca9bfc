"""Hold out a validation part of a training manifest: seeded, group-disjoint when the rows name a group."""
from __future__ import annotations

import random
import sys
from pathlib import Path

from .manifest import Row, write_manifest

GROUP_FIELDS = ("speaker", "writer", "group", "source")


def group_field(rows: list[Row], wanted: str | None) -> str | None:
    """The field that keeps related samples together: ``wanted``, else the first usual one every row has."""
    if wanted:
        return wanted
    for f in GROUP_FIELDS:
        if all(f in r.extra for r in rows):
            return f
    return None


def hold_out(rows: list[Row], fraction: float, seed: int, group_by: str | None = None) -> tuple[list[Row], list[Row], str | None]:
    """(train, valid, group field used). Groups go whole to one side; at least one group (or sample) is held out,
    and at least one stays for training."""
    field = group_field(rows, group_by)
    if field is not None and any(field not in r.extra for r in rows):
        from .errors import SuiteError

        raise SuiteError(f"data.group_by: some rows have no '{field}' field")
    key = (lambda r: str(r.extra[field])) if field else (lambda r: r.id)
    groups = sorted({key(r) for r in rows})
    if field and len(groups) < 2:  # one speaker: split its samples instead
        field, key, groups = None, (lambda r: r.id), sorted(r.id for r in rows)
    if len(groups) < 2:
        from .errors import SuiteError

        raise SuiteError("cannot hold out a validation part of a one-sample manifest; give data.valid")
    targets = {repr(r.target) for r in rows}
    if field is None and len(targets) <= len(rows) / 2:  # labels: every class on both sides
        return (*stratified(rows, fraction, seed), None)
    random.Random(seed).shuffle(groups)
    target = fraction * len(rows)
    held: set[str] = set()
    count = 0
    sizes = {}
    for r in rows:
        sizes[key(r)] = sizes.get(key(r), 0) + 1
    for g in groups[:-1]:  # never the last: something must stay for training
        if count >= target and held:
            break
        held.add(g)
        count += sizes[g]
    valid = [r for r in rows if key(r) in held]
    train = [r for r in rows if key(r) not in held]
    return train, valid, field


def stratified(rows: list[Row], fraction: float, seed: int) -> tuple[list[Row], list[Row]]:
    """Per target value, ``fraction`` of its samples held out (at least one when it has two or more)."""
    rng = random.Random(seed)
    by_target: dict[str, list[Row]] = {}
    for r in rows:
        by_target.setdefault(repr(r.target), []).append(r)
    held: set[str] = set()
    for key in sorted(by_target):
        members = sorted(by_target[key], key=lambda r: r.id)
        rng.shuffle(members)
        if len(members) >= 2:
            held.update(r.id for r in members[:max(1, round(fraction * len(members)))])
    return [r for r in rows if r.id not in held], [r for r in rows if r.id in held]


def write_split(folder: Path, train: list[Row], valid: list[Row], input_key: str, target_key: str) -> tuple[Path, Path]:
    """The split as two manifests with absolute paths, so the run can be repeated and inspected."""

    def records(rows):
        for r in rows:
            rec = {"id": r.id, input_key: r.path, target_key: r.target, **r.extra}
            if r.length is not None:
                rec["length"] = r.length
            yield rec

    return (write_manifest(folder / "train.jsonl", records(train)),
            write_manifest(folder / "valid.jsonl", records(valid)))


def auto_split(rows: list[Row], cfg, run: Path, domain) -> tuple[list[Row], list[Row]]:
    train, valid, field = hold_out(rows, cfg.data.valid_fraction, cfg.train.seed, cfg.data.group_by)
    t, v = write_split(run / "split", train, valid, domain.input_key, domain.target_key)
    by = f"by '{field}'" if field else ("by sample, per label" if {r.target for r in valid} and
                                        len({repr(r.target) for r in rows}) <= len(rows) / 2 else "by sample")
    print(f"no data.valid: held out {len(valid)} of {len(rows)} training samples for validation ({by}, "
          f"seed {cfg.train.seed}) -> {v.parent}/", file=sys.stderr)
    return train, valid
