"""Fuzz the core readers: manifests, configs and bundles give a result or a SuiteError naming the file."""
import io
import json
import string

import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from suite.bundle import load_bundle
from suite.config import load_config
from suite.errors import SuiteError
from suite.manifest import read_manifest

FUZZ = settings()  # examples and deadline from the profile in conftest.py (SUITE_FUZZ=long for long runs)

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                           max_leaves=12)


def check(fn, path):
    try:
        fn(path)
    except SuiteError as err:
        assert str(path) in str(err), err
        assert "\n" not in str(err)


@FUZZ
@given(data=st.binary(max_size=400))
def test_manifest_random_bytes(tmp_path, data):
    p = tmp_path / "m.jsonl"
    p.write_bytes(data)
    check(lambda q: read_manifest(q, "audio", "text"), p)


@FUZZ
@given(rows=st.lists(st.one_of(json_values, st.fixed_dictionaries(
    {"audio": st.one_of(st.text(max_size=20), json_values), "text": json_values},
    optional={"length": json_values, "id": json_values})), max_size=5))
def test_manifest_mutated_rows(tmp_path, rows):
    p = tmp_path / "m.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows))
    check(lambda q: read_manifest(q, "audio", "text"), p)


@FUZZ
@given(data=st.binary(max_size=400))
def test_config_random_bytes(tmp_path, data):
    p = tmp_path / "c.yaml"
    p.write_bytes(data)
    check(load_config, p)


@FUZZ
@example(tree={"data": {"\n": None}}, task="tests.toy_domain:CTC")  # crasher: multi-line error message
@given(tree=st.dictionaries(st.sampled_from(["task", "data", "model", "train", "features", "decode", "x"]),
                            json_values, max_size=6),
       task=st.sampled_from(["tests.toy_domain:CTC", "tests.toy_domain:CLASSIFY", "nope", "a:b"]))
def test_config_mutated_trees(tmp_path, tree, task):
    import yaml

    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"task": task, **{k: v for k, v in tree.items() if k != "task"}}))
    try:
        load_config(p)
    except SuiteError as err:
        assert "\n" not in str(err)


def valid_bundle_bytes() -> bytes:
    buf = io.BytesIO()
    torch.save({"format": 1, "state_dict": {"w": torch.zeros(2)}, "config": {}}, buf)
    return buf.getvalue()


@FUZZ
@example(data=b"", flips=[(0, 129)])  # crasher: IndexError from torch's weights-only unpickler
@example(data=b"", flips=[(19654, 1)])  # crasher: BadZipFile raised by zipfile.is_zipfile itself
@given(data=st.binary(max_size=300), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8))
def test_bundle_random_and_mutated_bytes(tmp_path, data, flips):
    p = tmp_path / "m.pt"
    p.write_bytes(data)
    check(load_bundle, p)
    good = bytearray(valid_bundle_bytes())
    for pos, val in flips:
        good[pos % len(good)] = val
    p.write_bytes(bytes(good))
    check(load_bundle, p)
