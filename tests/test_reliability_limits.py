"""Huge declared sizes are refused before anything is read into memory."""
import pytest

from handwriting import formats
from suite.errors import SuiteError


def sparse(path, size):
    with open(path, "wb") as fh:  # a sparse file: the size is declared, no disk is used
        fh.truncate(size)
    return path


@pytest.mark.parametrize("suffix", [".json", ".inkml", ".xml", ".dat"])
def test_ink_file_with_1e8_points_worth_of_bytes_is_refused(tmp_path, suffix):
    p = sparse(tmp_path / f"huge{suffix}", 10**8 * 12)  # 10^8 points at ~12 bytes each
    with pytest.raises(SuiteError, match="too large") as err:
        formats.read_ink(p)
    assert str(p) in str(err.value)


def test_training_refuses_inputs_over_the_size_limit(tmp_path):
    import random

    from suite.data import ManifestDataset
    from suite.manifest import Row
    from tests.toy_domain import CTC, ToyFeatures

    p = sparse(tmp_path / "huge.npy", 3 * 2**30)
    ds = ManifestDataset([Row("huge", str(p), "a")], CTC, ToyFeatures(), max_file_mb=2048)
    sid, reason = ds[0]
    assert sid == "huge" and "over the 2048 MB limit" in reason
