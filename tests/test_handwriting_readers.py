"""Stroke readers on real UNIPEN excerpts and hand-written InkML / IAM-OnDB / JSON fixtures."""
from pathlib import Path

import numpy as np
import pytest

from handwriting.formats import detect_format, read_ink
from handwriting.formats.unipen import choose_numbering, parse_unipen, unipen_samples
from handwriting.ink import write_ink_json
from suite.errors import SuiteError

FIX = Path(__file__).parent / "fixtures" / "handwriting"
UNI = FIX / "unipen" / "data" / "8"


@pytest.mark.parametrize("rel, scheme, texts", [
    ("apa/apa00/app0020.dat", "pen-down", ["THE SUN CAUSED A FRAGMENT"]),
    ("cec/Hamilton_B.dat", "all", ["Besides Jackson is better on natural turf .",
                                   "This is a quick evaluation of the damage ."]),
    ("hpp/hpp3/hpb3-wf0.dat", "all", ["0", ".", "b"]),
    ("lex/lex0/squim1.dat", "anchored", ["civic-minded, he rents a kid", "just to go to P.T.A."]),
    ("hpb/hpb4/hpb41rjb.dat", "pen-down", ["Dawn", "Francoise"]),
])
def test_unipen_numbering_decided_per_file(rel, scheme, texts):
    doc = parse_unipen(UNI / rel)
    assert choose_numbering(doc)[0] == scheme
    inks, dropped, _ = unipen_samples(doc)
    assert [i.text for i in inks] == texts and not dropped


def test_unipen_ink_is_flipped_and_aligned():
    # "THE ...": the T's bar is drawn first-but-one and lies at the TOP of its stem once y points down
    ink = read_ink(UNI / "apa/apa00/app0020.dat")[0]
    stem, bar = ink.strokes[0], ink.strokes[1]
    assert bar[:, 1].mean() < stem[:, 1].mean()
    assert ink.writer == "ArloReeves"
    # a line of text is much wider than tall
    x0, y0, x1, y1 = ink.bbox()
    assert (x1 - x0) > 5 * (y1 - y0)


def test_unipen_dummy_points_dropped():
    ink = read_ink(UNI / "aga/jamesmor.dat")[0]
    pts = np.concatenate(ink.strokes)
    assert not ((pts[:, 0] == 0) & (pts[:, 1] == 0)).any()
    x0, y0, x1, y1 = ink.bbox()
    assert (x1 - x0) > 5 * (y1 - y0)


def test_unipen_missing_ink_include_is_an_error(tmp_path):
    f = tmp_path / "x.dat"
    f.write_text('.VERSION 1.0\n.INCLUDE nowhere/data/x.dat\n.SEGMENT TEXT 0-1 ? "a"\n', encoding="latin-1")
    with pytest.raises(SuiteError, match="cannot find .INCLUDE"):
        read_ink(f)


def test_unipen_include_name_too_long_is_a_missing_include(tmp_path):
    # found by the fuzz test: stat() raised ENAMETOOLONG through the reader
    f = tmp_path / "x.dat"
    f.write_text(f'.VERSION 1.0\n.INCLUDE {"9" * 400}/data/x.dat\n.SEGMENT TEXT 0-1 ? "a"\n', encoding="latin-1")
    with pytest.raises(SuiteError, match="cannot find .INCLUDE"):
        read_ink(f)


def test_unipen_include_cannot_escape(tmp_path):
    f = tmp_path / "x.dat"
    f.write_text(".VERSION 1.0\n.INCLUDE ../../etc/passwd\n", encoding="latin-1")
    with pytest.raises(SuiteError, match="relative path"):
        read_ink(f)


def test_unipen_point_ranges_and_latin1(tmp_path):
    f = tmp_path / "x.dat"
    f.write_bytes(b'.COORD X Y\n.PEN_DOWN\n0 0\n1 1\n2 2\n.PEN_UP\n.PEN_DOWN\n5 5\n6 6\n7 7\n.PEN_UP\n'
                  b'.SEGMENT TEXT 0:1-1:1 ? "\xe9t\\"\xe9"\n')
    [ink] = read_ink(f)
    assert ink.text == 'ét"é'
    assert [len(s) for s in ink.strokes] == [2, 2]
    assert ink.strokes[0][0, 1] == -1  # y flipped


def test_inkml_channels_time_and_truth():
    [ink] = read_ink(FIX / "line.inkml")
    assert ink.text == "hi" and len(ink.strokes) == 4
    assert np.allclose(ink.strokes[0][:, 2], [0, 0.01, 0.02, 0.03])  # ms -> s


def test_inkml_difference_encoding_and_groups():
    a, b = read_ink(FIX / "diff_encoded.inkml")
    assert a.text == "l" and np.allclose(a.strokes[0][:, :2], [[10, 0], [10, 5], [10, 10], [10, 15]])
    assert b.text == "-" and np.allclose(b.strokes[0][:, 0], [0, 1, 2, 3])


def test_iam_ondb_and_json():
    [ink] = read_ink(FIX / "line.xml")
    assert ink.text == "on" and len(ink.strokes) == 2 and ink.strokes[0][0, 2] == 0
    [js] = read_ink(FIX / "line.json")
    assert js.text == "no" and np.isnan(js.strokes[0][:, 2]).all() and js.strokes[1][0, 2] == 0.5


def test_json_roundtrip(tmp_path):
    [ink] = read_ink(FIX / "line.xml")
    write_ink_json(ink, tmp_path / "a.json")
    [back] = read_ink(tmp_path / "a.json")
    assert back.text == ink.text
    assert all(np.allclose(a, b, atol=1e-2) for a, b in zip(back.strokes, ink.strokes))


@pytest.mark.parametrize("name, message", [
    ("xxe.inkml", "refused unsafe"),
    ("billion_laughs.xml", "refused unsafe"),
    ("truncated.xml", "malformed"),
    ("bad_value.json", "non-numeric"),
])
def test_bad_files_are_one_line_errors(name, message):
    with pytest.raises(SuiteError, match=message) as err:
        read_ink(FIX / name)
    assert "\n" not in str(err.value) and name in str(err.value)


def test_unknown_format(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("hello")
    with pytest.raises(SuiteError, match="unknown ink format"):
        detect_format(f)


@pytest.mark.parametrize("strokes, message", [
    ("[[[1, true], [2, 3]]]", "non-numeric"),  # numpy would take true for 1
    ('[[[1, "2"], [2, 3]]]', "non-numeric"),
    ("[[[1, 2], [2, 3, 4]]]", "mixes points"),
    ("[[[[1, 2]], [[2, 3]]]]", "non-numeric"),
    ("[[1, 2]]", "not a list of points"),
    ("[[]]", "non-empty list"),
    ("[[[1, 2], [1e400, 3]]]", "non-finite"),
])
def test_bad_json_points_are_named(tmp_path, strokes, message):
    f = tmp_path / "bad.json"
    f.write_text('{"text": "a", "strokes": ' + strokes + "}")
    with pytest.raises(SuiteError, match=message):
        read_ink(f)


def test_json_points_with_and_without_time(tmp_path):
    f = tmp_path / "ok.json"
    f.write_text('{"text": "a", "flag": false, "strokes": [[[1, 2], [3, 4]], [[5, 6, 0.5], [7, 8, 1]]]}')
    [ink] = read_ink(f)
    assert np.isnan(ink.strokes[0][:, 2]).all() and ink.strokes[1][:, 2].tolist() == [0.5, 1.0]
    assert ink.strokes[1].dtype == np.float64 and ink.strokes[0][1, :2].tolist() == [3.0, 4.0]
