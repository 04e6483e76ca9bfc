"""The recipe-matrix runner's bookkeeping (scripts/recipe_matrix.py): row selection, skip-if-recorded, merging
into an existing results file, plateau detection, derived manifests. No training."""
import importlib.util
import json
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rm():
    spec = importlib.util.spec_from_file_location("recipe_matrix", ROOT / "scripts" / "recipe_matrix.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


def test_table_is_consistent(rm):
    ids = [r.id for r in rm.ROWS]
    assert len(ids) == len(set(ids))
    for r in rm.ROWS:
        assert (ROOT / r.recipe).is_file(), r.recipe
        assert r.recipe.endswith("-cpu.yaml")
        assert r.metric in ("wer", "cer", "accuracy")
        for c in rm.corpus_chain(r.corpus):  # every corpus and what it needs is defined
            assert c.name in rm.CORPORA
        argv = rm.train_argv(r)
        assert f"data.train={rm.CORPORA[r.corpus].train}" in argv
        assert not any(a.startswith("data.valid=") and a != "data.valid=null" for a in argv) or r.valid
    targets = {r.id: r.target for r in rm.ROWS if r.target is not None}
    assert targets == {"speech-fsdd-1spk": 0.05, "handwriting-unipen-1000": 0.15, "video-scratch-100": 0.90,
                       "video-pretrained-30": 0.90}


def test_corpus_chain_puts_dependencies_first(rm):
    names = [c.name for c in rm.corpus_chain("video-cluttered-10")]
    assert names == ["video-cluttered-test", "video-cluttered-10"]
    assert [c.name for c in rm.corpus_chain("unipen-100")] == ["unipen", "unipen-100"]


def test_select_rows(rm):
    assert rm.select_rows(None) == rm.ROWS
    assert rm.select_rows([]) == rm.ROWS
    # table order, whatever the order asked in
    picked = rm.select_rows(["video-pretrained-10", "speech-fsdd-1spk"])
    assert [r.id for r in picked] == ["speech-fsdd-1spk", "video-pretrained-10"]
    with pytest.raises(SystemExit, match="no-such-row"):
        rm.select_rows(["speech-fsdd-1spk", "no-such-row"])


def test_skip_rows_already_recorded(rm):
    section = {"rows": {
        "speech-fsdd-1spk": {"outcome": "learned"},
        "speech-an4": {"outcome": "nothing learned"},   # a verdict is a result too
        "video-scratch-10": {"outcome": "failed"},      # a crash is retried
    }}
    rows = rm.select_rows(["speech-fsdd-1spk", "speech-an4", "video-scratch-10", "video-scratch-30"])
    assert [r.id for r in rm.pending(rows, section, force=False)] == ["video-scratch-10", "video-scratch-30"]
    assert rm.pending(rows, section, force=True) == rows
    assert [r.id for r in rm.pending(rows, {}, force=False)] == [r.id for r in rows]


def test_merge_keeps_other_keys_and_rows(rm, tmp_path):
    path = tmp_path / "results.json"
    before = {"machine": {"cpu": "x"}, "benchmarks": {"trainer": {"rows": [1, 2]}}, "forecast": {"a": 1},
              "recipe_matrix": {"machine": {"cpu": "old"}, "rows": {"old-row": {"outcome": "learned", "v": 1},
                                                                    "redo": {"outcome": "failed"}}}}
    path.write_text(json.dumps(before))
    sec = rm.merge_results(path, {"redo": {"outcome": "learned"}, "new": {"outcome": "nothing learned"}})
    doc = json.loads(path.read_text())
    assert doc["benchmarks"] == before["benchmarks"] and doc["forecast"] == {"a": 1}
    assert doc["machine"] == {"cpu": "x"}  # the file's own header is not the section's
    rows = doc["recipe_matrix"]["rows"]
    assert rows == {"old-row": {"outcome": "learned", "v": 1}, "redo": {"outcome": "learned"},
                    "new": {"outcome": "nothing learned"}}
    # the machine the older rows share stays: the document names it for them
    assert doc["recipe_matrix"]["machine"] == {"cpu": "old"} and sec == doc["recipe_matrix"]
    assert rm.read_results(path) == doc["recipe_matrix"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".results*"))  # no temp files left


def test_merge_creates_the_file_and_survives_concurrent_writers(rm, tmp_path):
    path = tmp_path / "sub" / "results.json"
    assert rm.read_results(path) == {}
    threads = [threading.Thread(target=rm.merge_results, args=(path, {f"r{i}": {"outcome": "learned"}}))
               for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(json.loads(path.read_text())["recipe_matrix"]["rows"]) == sorted(f"r{i}" for i in range(16))


def test_plateau(rm):
    assert rm.plateau("wer", 0.02, 3)[0] is True  # the verdict decides, whatever the metric
    assert rm.plateau("wer", 0.97, 0)[0] is True and "0.970" in rm.plateau("wer", 0.97, 0)[1]
    assert rm.plateau("cer", 1.0, 0)[0] is True
    assert rm.plateau("cer", 0.94, 0) == (False, "")
    assert rm.plateau("wer", 0.05, 0) == (False, "")
    # ten balanced classes: chance is 0.1
    assert rm.plateau("accuracy", 0.12, 0, majority=0.1)[0] is True
    assert rm.plateau("accuracy", 0.15, 0, majority=0.1)[0] is True   # within the margin
    assert rm.plateau("accuracy", 0.16, 0, majority=0.1)[0] is False
    assert rm.plateau("accuracy", 0.5, 0, majority=0.5)[0] is True    # unbalanced: the majority class, not 1/k
    assert rm.plateau("accuracy", None, 0, majority=0.1) == (None, "no test metric")
    assert rm.majority_share(["a", "a", "b", "c"]) == 0.5
    assert rm.majority_share([]) == 0.0


def test_target_met(rm):
    assert rm.target_met("wer", 0.05, 0.05) is True
    assert rm.target_met("wer", 0.051, 0.05) is False
    assert rm.target_met("accuracy", 0.9, 0.9) is True
    assert rm.target_met("accuracy", 0.89, 0.9) is False
    assert rm.target_met("cer", 0.1, None) is None
    assert rm.target_met("cer", None, 0.15) is False
    assert [rm.outcome_of(c) for c in (0, 3, 1, 2, -9)] == ["learned", "nothing learned"] + ["failed"] * 3


def test_derive_manifest_samples_whole_lines(rm, tmp_path):
    src = tmp_path / "corpus"
    src.mkdir()
    rows = [{"ink": f"ink/{i}.json", "text": f"line {i}", "writer": f"w{i % 7}", "id": str(i)} for i in range(50)]
    (src / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "elsewhere" / "train.jsonl"
    assert rm.derive_manifest([src / "train.jsonl"], out, 10, seed=0) == 10
    got = rm.read_jsonl(out)
    ids = [int(r["id"]) for r in got]
    assert ids == sorted(ids) and len(set(ids)) == 10  # original order, no repeats
    for r in got:  # whole lines, with the path now absolute against the source folder
        i = int(r["id"])
        assert r["text"] == f"line {i}" and r["writer"] == f"w{i % 7}"
        assert r["ink"] == str((src / f"ink/{i}.json").resolve())
    rm.derive_manifest([src / "train.jsonl"], tmp_path / "again.jsonl", 10, seed=0)
    assert rm.read_jsonl(tmp_path / "again.jsonl") == got  # the seed fixes the draw
    rm.derive_manifest([src / "train.jsonl"], tmp_path / "other.jsonl", 10, seed=1)
    assert rm.read_jsonl(tmp_path / "other.jsonl") != got
    # concatenation without sampling keeps everything, absolute paths untouched
    (src / "valid.jsonl").write_text(json.dumps({"ink": "/abs/x.json", "text": "t", "id": "v"}) + "\n")
    assert rm.derive_manifest([src / "train.jsonl", src / "valid.jsonl"], tmp_path / "all.jsonl", None, 0) == 51
    assert rm.read_jsonl(tmp_path / "all.jsonl")[-1]["ink"] == "/abs/x.json"
    with pytest.raises(SystemExit):
        rm.derive_manifest([src / "valid.jsonl"], tmp_path / "x.jsonl", 5, 0)


def test_doc_lists_every_row_and_results(rm):
    rec = {"exit_code": 0, "outcome": "learned", "steps": 1200, "ended_by": "time budget", "wall_minutes": 9.4,
           "budget_minutes": 9, "train_samples": 405, "valid_samples": 45, "test_samples": 50, "valid": "auto",
           "best_valid": 0.02, "test_metric": 0.04, "target_met": True, "plateau": False,
           "load_average": {"mean": 7.5}, "finished": "now", "commit": "abc",
           "commands": {"corpus": ["suite prepare x"], "train": "suite train y", "evaluate": "suite evaluate z"}}
    text = rm.render_doc({"rows": {"speech-fsdd-1spk": rec}, "machine": {"cpu": "EPYC", "cores": 2}})
    for r in rm.ROWS:
        assert f"| {r.id} |" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("| speech-fsdd-1spk |"))
    assert "**4.0%**" in line and "1200 (time budget)" in line and "405 train / 45 valid" in line
    assert "not run" in next(ln for ln in text.splitlines() if ln.startswith("| speech-an4 |"))
    assert "OMP_NUM_THREADS=1 suite train y" in text and "suite prepare x" in text


def test_doc_names_each_rows_machine(rm):
    base = {"exit_code": 0, "outcome": "learned", "wall_minutes": 1.0, "test_metric": 0.1}
    recs = {"speech-an4": {**base, "machine": {"cpu": "Xeon", "cores": 2, "python": "3.11.7"}},
            "speech-fsdd-1spk": {**base, "machine": {"cpu": "Xeon", "cores": 2, "python": "3.11.7"}},
            "handwriting-unipen-100": dict(base)}
    lines = rm.render_doc({"rows": recs, "machine": {"cpu": "EPYC", "cores": 2, "python": "3.11.7"}}).splitlines()
    assert "Machine: Xeon, 2 cores, Python 3.11.7 (speech-fsdd-1spk, speech-an4)." in lines
    older = next(ln for ln in lines if ln.startswith("Rows recorded before"))
    assert "(handwriting-unipen-100)" in older and older.endswith("EPYC, 2 cores, Python 3.11.7.")
    # no machine recorded for the older rows: none is named for them
    assert not any(ln.startswith("Rows recorded before") for ln in rm.render_doc({"rows": recs}).splitlines())


def test_main_runs_pending_rows_in_parallel_then_skips_them(rm, tmp_path, monkeypatch):
    results, doc = tmp_path / "results.json", tmp_path / "matrix.md"
    results.write_text(json.dumps({"benchmarks": {"x": 1}}))
    calls, built = [], []
    both_running = threading.Barrier(2, timeout=10)  # two rows at once, or this times out

    def fake_run(row, log):
        calls.append(row.id)
        both_running.wait()
        code = 3 if row.id == "speech-an4" else 0
        return {"id": row.id, "outcome": rm.outcome_of(code), "exit_code": code, "wall_minutes": 1.0,
                "test_metric": 0.5, "plateau": code == 3, "commands": {"corpus": [], "train": "t", "evaluate": "e"}}

    write_doc = rm.write_doc

    def slow_first_doc(section, path):  # the first row's document, written late, must not end up on disk
        if len(section["rows"]) == 1:
            time.sleep(0.5)
        write_doc(section, path)

    monkeypatch.setattr(rm, "run_row", fake_run)
    monkeypatch.setattr(rm, "write_doc", slow_first_doc)
    monkeypatch.setattr(rm, "build_corpus", lambda c, shared, log: built.append(c.name))
    argv = ["--rows", "speech-an4", "speech-fsdd-1spk", "--parallel", "2", "--results", str(results), "--doc", str(doc)]
    assert rm.main(argv) == 0
    assert sorted(calls) == ["speech-an4", "speech-fsdd-1spk"] and built == ["fsdd-jackson", "an4-all"]
    saved = json.loads(results.read_text())
    assert saved["benchmarks"] == {"x": 1}
    assert set(saved["recipe_matrix"]["rows"]) == {"speech-an4", "speech-fsdd-1spk"}
    # each row records the machine it ran on; the section keeps none of its own
    assert all(r["machine"] == rm.machine() for r in saved["recipe_matrix"]["rows"].values())
    assert "machine" not in saved["recipe_matrix"]
    assert "| speech-an4 |" in doc.read_text() and "3 (nothing learned)" in doc.read_text()
    calls.clear()
    assert rm.main(argv[:3] + argv[5:]) == 0  # recorded: nothing reruns
    assert calls == []
    monkeypatch.setattr(rm, "run_row", lambda row, log: calls.append(row.id) or
                        {"id": row.id, "outcome": "failed", "exit_code": 1, "wall_minutes": 0.1})
    assert rm.main(["--rows", "speech-an4", "--force", "--results", str(results), "--doc", str(doc)]) == 1
    assert calls == ["speech-an4"]
    assert json.loads(results.read_text())["recipe_matrix"]["rows"]["speech-an4"]["outcome"] == "failed"


def test_reversed_pairs_from_per_class_accuracy(rm):
    per_class = {"sit_down": 1.0, "stand_up": 0.5, "raise_arm": 0.75, "lower_arm": 0.25, "walk": 0.0}
    assert rm.pair_accuracy(per_class) == 0.625
    assert rm.pair_accuracy({"sit_down": 1.0}) is None  # a test set without the pairs
