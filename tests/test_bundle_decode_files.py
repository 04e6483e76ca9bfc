"""A bundle that ships its LM and word list beside it: relative `decode:` files resolve against the bundle's
folder, and asking for greedy decoding drops them."""
import torch

from suite.bundle import save_bundle
from suite.config import build_config
from suite.decoding import BeamDecoder
from suite.inference import load_predictor
from suite.models import build_model
from suite.ngram_lm import build_word_lm
from suite.registry import get_domain
from suite.tasks import get_task

TOY = "tests.toy_domain:CTC"


def write_bundle(folder, decode: dict):
    domain, task = get_domain(TOY), get_task("ctc")
    texts = folder / "texts.txt"
    texts.write_text("ab cd\ncd ab\nab ab\n")
    build_word_lm([str(texts)], str(folder / "words.arpa"), words_out=str(folder / "words.txt"))
    raw = {"task": TOY, "data": {"train": "unused.jsonl"}, "model": {"layers": 1, "hidden": 8}, "decode": decode}
    cfg = build_config(raw)
    targets = task.fit_targets(domain, [type("Row", (), {"target": t})() for t in ("ab cd", "dc ba")])
    torch.manual_seed(0)
    model = build_model(domain, task, cfg, targets)
    return save_bundle(folder / "m.pt", domain=domain.name, config=cfg.model_dump(mode="json"),
                       state_dict=model.state_dict(), targets=targets.state())


def test_relative_lm_and_lexicon_resolve_beside_the_bundle(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    path = write_bundle(folder, {"decoder": "beam", "lm": "words.arpa", "lexicon": "words.txt", "lm_weight": 1.0})
    monkeypatch.chdir(tmp_path)  # the files are not in the working folder
    p = load_predictor(str(path), device="cpu")
    assert p.config.decode.lm == str(folder / "words.arpa")
    assert p.config.decode.lexicon == str(folder / "words.txt")
    assert isinstance(p.decoder, BeamDecoder)  # flashlight loaded the LM from beside the bundle
    out = torch.log_softmax(torch.randn(1, 12, len(p.vocab) + 1), -1)
    words = p.decode(out, torch.tensor([12]))[0].text.split()
    assert set(words) <= {"ab", "cd"}  # the word list restricts the output


def test_greedy_request_drops_the_bundled_lm(tmp_path):
    path = write_bundle(tmp_path, {"decoder": "beam", "lm": "words.arpa", "lexicon": "words.txt"})
    p = load_predictor(str(path), device="cpu", decoder="greedy")
    assert p.config.decode.decoder == "greedy" and p.config.decode.lm is None and p.config.decode.lexicon is None
    assert not isinstance(p.decoder, BeamDecoder)
    q = load_predictor(str(path), device="cpu", decoder="greedy", lexicon=str(tmp_path / "words.txt"))
    assert q.config.decode.lexicon == str(tmp_path / "words.txt") and q.config.decode.lm is not None


def test_relative_path_missing_beside_the_bundle_keeps_its_meaning(tmp_path):
    path = write_bundle(tmp_path, {"decoder": "greedy", "lm": "elsewhere/words.arpa"})
    p = load_predictor(str(path), device="cpu")
    assert p.config.decode.lm == "elsewhere/words.arpa"
