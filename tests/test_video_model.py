"""The CNN-LSTM: the video frontend's per-frame CNN followed by the core's sequence classifier."""
import pytest
import torch

from suite.models import SequenceModel
from suite.models.sequence_classifier import SequenceClassifier
from video.config import VideoFeatures
from video.frontend import VideoFrontend
from video.model_config import VideoModel


def CNNLSTM(num_classes, *, rnn="lstm", hidden=8, pooling="last", **frames):
    """The video model as the trainer builds it: frontend (normalise + CNN) -> classifier."""
    vm = VideoModel(**frames)
    front = VideoFrontend(VideoFeatures(), vm)
    return SequenceModel(front, SequenceClassifier(vm.feature_dim, num_classes, rnn=rnn, hidden=hidden,
                                                   pooling=pooling))


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
def test_cnn_lstm_shapes(pooling):
    m = CNNLSTM(5, cnn_channels=4, spatial_grid=2, feature_dim=16, hidden=8, pooling=pooling).eval()
    clips = torch.randn(2, 6, 3, 32, 32)
    logits, lengths = m(clips, torch.tensor([6, 3]))
    assert logits.shape == (2, 5)
    # a shorter clip gives the same result alone as padded in a batch
    alone, _ = m(clips[1:, :3], torch.tensor([3]))
    torch.testing.assert_close(alone[0], logits[1], atol=1e-5, rtol=1e-5)


def test_cnn_lstm_order_free_baseline_ignores_order():
    m = CNNLSTM(3, cnn_channels=4, spatial_grid=2, feature_dim=8, rnn="none").eval()
    clips = torch.randn(1, 5, 3, 16, 16)
    a, _ = m(clips, torch.tensor([5]))
    b, _ = m(clips.flip(1), torch.tensor([5]))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_cnn_lstm_accepts_cached_features_and_freezes():
    m = CNNLSTM(3, cnn_channels=4, spatial_grid=1, feature_dim=8, freeze_cnn=True)
    m.train()
    frames = m.frontend.frames
    assert not frames.training and all(not p.requires_grad for p in frames.parameters())
    feats, _ = m.frontend(torch.randn(2, 4, 3, 16, 16), torch.tensor([4, 2]))
    logits, _ = m.backbone(feats, torch.tensor([4, 2]))
    assert logits.shape == (2, 3)


def test_torchvision_cnn_by_name_with_local_weights(tmp_path):
    import torchvision

    from suite.errors import SuiteError

    weights = tmp_path / "rn18.pt"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    m = CNNLSTM(4, cnn="resnet18", cnn_weights=str(weights), spatial_grid=1, feature_dim=16, hidden=8).eval()
    logits, _ = m(torch.randn(1, 2, 3, 64, 64), torch.tensor([2]))
    assert logits.shape == (1, 4)
    with pytest.raises(SuiteError, match="not found"):
        CNNLSTM(4, cnn="resnet18", cnn_weights=str(tmp_path / "missing.pt"))
    with pytest.raises(SuiteError, match="unknown CNN"):
        CNNLSTM(4, cnn="no_such_net")
