"""Fuzz the ink readers (UNIPEN, InkML, IAM-OnDB XML, JSON): a result or a one-line SuiteError naming the file."""
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from handwriting import formats
from suite.errors import SuiteError

FIX = Path(__file__).parent / "fixtures" / "handwriting"
SEEDS = {p.suffix: p.read_bytes() for p in [FIX / "line.json", FIX / "line.inkml", FIX / "line.xml"] if p.exists()}
UNIPEN = sorted((FIX / "unipen").rglob("*.dat")) if (FIX / "unipen").is_dir() else []
if UNIPEN:
    SEEDS[".dat"] = UNIPEN[0].read_bytes()


def read(tmp_path, data: bytes, suffix: str):
    p = tmp_path / f"x{suffix}"
    p.write_bytes(data)
    try:
        inks = formats.read_ink(p)
        assert isinstance(inks, list)
    except SuiteError as err:
        assert str(p) in str(err) and "\n" not in str(err)


@settings()
@given(data=st.binary(max_size=1500), suffix=st.sampled_from([".json", ".inkml", ".xml", ".dat"]))
def test_random_bytes(tmp_path, data, suffix):
    read(tmp_path, data, suffix)


@settings()
@example(suffix=".xml", cut=0, flips=[(13333, 45)], insert=b"")  # crasher: encoding="I-O-8859-1" -> LookupError
@given(suffix=st.sampled_from(sorted(SEEDS)), cut=st.integers(0, 400),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
       insert=st.sampled_from([b"", b"<", b"&", b"-1e309", b"NaN", b"\x00", b"]]>", b".PEN_DOWN\n", b"{", b"9" * 400]))
def test_mutated_valid_files(tmp_path, suffix, cut, flips, insert):
    data = bytearray(SEEDS[suffix])
    for pos, val in flips:
        data[pos % len(data)] = val
    at = flips[0][0] % len(data) if flips else len(data) // 2
    data[at:at] = insert
    read(tmp_path, bytes(data[: max(len(data) - cut, 0)]), suffix)
