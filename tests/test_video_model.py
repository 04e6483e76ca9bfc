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
    assert not frames.cnn.training and all(not p.requires_grad for p in frames.parameters())  # BN statistics frozen
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


def test_deltas_make_an_order_free_pooling_see_the_order():
    clips = torch.randn(1, 5, 3, 16, 16)
    plain = CNNLSTM(3, cnn_channels=4, spatial_grid=2, feature_dim=8, rnn="none").eval()
    vm = VideoModel(cnn_channels=4, spatial_grid=2, feature_dim=8)
    moving = SequenceModel(VideoFrontend(VideoFeatures(), vm), SequenceClassifier(8, 3, rnn="none", deltas=True)).eval()
    assert moving.backbone.classifier.in_features == 16  # each step's features and their change
    a, b = moving(clips, torch.tensor([5]))[0], moving(clips.flip(1), torch.tensor([5]))[0]
    assert not torch.allclose(a, b)
    torch.testing.assert_close(plain(clips, torch.tensor([5]))[0], plain(clips.flip(1), torch.tensor([5]))[0])


def test_fine_tuned_tail_trains_from_the_cached_maps():
    """cnn_trainable_blocks: the blocks before the tail are frozen and what the cache stores (maps); the tail,
    squeeze and projection train at their own learning rate; forward == resume(cached)."""
    from suite.lightning_module import param_groups

    vm = VideoModel(cnn="efficientnet_lite0", cnn_weights="random", cnn_stage=7, freeze_cnn=True,
                    cnn_trainable_blocks=2, cnn_lr_scale=0.25, cnn_squeeze=8, spatial_grid=2, feature_dim=None)
    front = VideoFrontend(VideoFeatures(), vm)
    assert front.out_dim == 32  # squeeze 8 x grid 2 x 2
    m = SequenceModel(front, SequenceClassifier(32, 3, hidden=8)).train()
    frames = m.frontend.frames
    assert not frames.cnn.training and frames.squeeze.training  # ImageNet BN statistics stay, the new BN learns
    tail = {id(p) for mod in frames.tail_modules() for p in mod.parameters()}
    cnn_tail = {id(p) for b in list(frames.cnn._blocks)[-2:] for p in b.parameters()}
    assert all(p.requires_grad == (id(p) in tail) for p in frames.parameters())
    assert cnn_tail < tail
    groups = param_groups(m, 1e-3)
    assert {id(p) for p in groups[1]["params"]} == cnn_tail and groups[1]["lr"] == pytest.approx(2.5e-4)
    clips, lengths = torch.randint(0, 256, (2, 3, 3, 48, 48), dtype=torch.uint8), torch.tensor([3, 2])
    cached = m.frontend.cached(clips, lengths)
    assert cached.shape == (2, 3, 192, 2, 2)  # the map entering block 14 (stride 32 at 48 px)
    m.eval()
    torch.testing.assert_close(m.from_cache(cached.half(), lengths)[0], m(clips, lengths)[0], atol=2e-3, rtol=1e-3)
    m.train()
    loss = m.from_cache(cached, lengths)[0].sum()
    loss.backward()
    assert all(p.grad is not None for p in frames.cnn._blocks[-1].parameters())
    assert all(p.grad is None for p in frames.cnn._blocks[0].parameters())


def test_trainable_blocks_need_a_frozen_efficientnet():
    from pydantic import ValidationError

    from suite.errors import SuiteError

    with pytest.raises(ValidationError, match="needs model.freeze_cnn"):
        VideoModel(cnn="efficientnet_lite0", cnn_trainable_blocks=2)
    with pytest.raises(SuiteError, match="for efficientnet_lite0"):
        CNNLSTM(3, cnn="small", freeze_cnn=True, cnn_trainable_blocks=2)


def test_a_squeeze_after_a_cnn_frozen_whole_is_frozen_too():
    m = CNNLSTM(3, cnn_channels=4, spatial_grid=2, feature_dim=8, freeze_cnn=True, cnn_squeeze=4).train()
    frames = m.frontend.frames
    assert not frames.squeeze.training and not any(p.requires_grad for p in frames.squeeze.parameters())
    before = frames.squeeze[1].running_mean.clone()
    m(torch.randn(2, 3, 3, 16, 16), torch.tensor([3, 3]))
    torch.testing.assert_close(frames.squeeze[1].running_mean, before)  # statistics do not move either


def test_temporal_shift_moves_channels_one_frame_within_each_clip():
    from video.temporal_shift import shift_time

    x = torch.randn(2 * 4, 16, 3, 3)  # 2 clips of 4 frames
    y = shift_time(x, 4, 0.125).view(2, 4, 16, 3, 3)
    v = x.view(2, 4, 16, 3, 3)
    torch.testing.assert_close(y[:, 1:, :2], v[:, :-1, :2])  # 2 channels from the previous frame
    torch.testing.assert_close(y[:, :-1, 2:4], v[:, 1:, 2:4])  # 2 from the next
    torch.testing.assert_close(y[:, :, 4:], v[:, :, 4:])
    assert not y[:, 0, :2].any() and not y[:, -1, 2:4].any()  # nothing crosses from one clip into the other
    with pytest.raises(ValueError, match="whole clips"):
        shift_time(x, 3, 0.125)


def _features_with_one_frame_changed(front, clips, lengths, t):
    """Frame features of ``clips``, and of the same clips with frame ``t`` of clip 0 inverted."""
    changed = clips.clone()
    changed[0, t] = 255 - changed[0, t]
    with torch.no_grad():
        return front(clips, lengths)[0], front(changed, lengths)[0]


def test_temporal_shift_lets_a_frame_see_its_neighbours_in_the_fine_tuned_blocks():
    """Without the shift a frame's features depend on that frame only; with it, on its neighbours too (but never
    on another clip), in both the raw-frame and the cached-map path, which agree."""
    def model(shift):
        torch.manual_seed(0)
        vm = VideoModel(cnn="efficientnet_lite0", cnn_stage=7, freeze_cnn=True,  # ImageNet weights: real activations
                        cnn_trainable_blocks=2, cnn_squeeze=8, spatial_grid=2, feature_dim=None, temporal_shift=shift)
        return VideoFrontend(VideoFeatures(), vm).eval()

    clips, lengths = torch.randint(0, 256, (2, 3, 3, 48, 48), dtype=torch.uint8), torch.tensor([3, 3])
    for shift, neighbour_moves in ((0.0, False), (0.125, True)):
        front = model(shift)
        a, b = _features_with_one_frame_changed(front, clips, lengths, 0)
        with torch.no_grad():
            torch.testing.assert_close(front.resume(front.cached(clips, lengths), lengths)[0], a)
        assert not torch.allclose(a[0, 0], b[0, 0])
        assert torch.allclose(a[0, 1], b[0, 1]) != neighbour_moves
        torch.testing.assert_close(a[1], b[1])  # the other clip


def test_temporal_shift_in_the_small_cnn_sees_neighbours_but_not_padding_or_other_clips():
    """The scratch CNN with the shift: a frame's features depend on the frames beside it, never on another clip
    nor on the padding after a short clip; without the shift, on that frame only."""
    def front(shift):
        torch.manual_seed(0)
        vm = VideoModel(cnn="small", cnn_channels=16, spatial_grid=2, feature_dim=32, temporal_shift=shift)
        return VideoFrontend(VideoFeatures(), vm).eval()

    clips = torch.randint(0, 256, (2, 4, 3, 32, 32), dtype=torch.uint8)
    lengths = torch.tensor([4, 3])  # clip 1: three frames and a padding step
    for shift, neighbours_move in ((0.0, False), (0.125, True)):
        f = front(shift)
        a, b = _features_with_one_frame_changed(f, clips, lengths, 1)
        assert not torch.allclose(a[0, 1], b[0, 1])
        for t in (0, 2):
            assert torch.allclose(a[0, t], b[0, t]) != neighbours_move
        torch.testing.assert_close(a[1], b[1])  # nothing crosses from one clip into the other
        with torch.no_grad():  # the short clip alone, without its padding step: the same features
            torch.testing.assert_close(f(clips[1:, :3], lengths[1:])[0][0], a[1, :3])


def test_temporal_shift_needs_fine_tuned_blocks_or_the_small_cnn():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="model.temporal_shift"):
        VideoModel(cnn="efficientnet_lite0", freeze_cnn=True, temporal_shift=0.125)
    with pytest.raises(ValidationError, match="frozen whole"):
        VideoModel(cnn="small", freeze_cnn=True, temporal_shift=0.125)
    assert VideoModel(cnn="small", temporal_shift=0.125).temporal_shift == 0.125


def test_frame_differences_show_what_moved_and_nothing_else():
    from video.frontend import with_differences

    clips = torch.zeros(2, 4, 3, 8, 8)
    clips[:] = torch.rand(3, 8, 8)  # the same static background in every frame of both clips
    clips[0, 2:, :, 2, 3] = 5.0  # clip 0: something appears at (2, 3) in frame 2 and stays
    out = with_differences(clips, torch.tensor([4, 3]))
    assert out.shape == (2, 4, 6, 8, 8)
    torch.testing.assert_close(out[:, :, :3], clips)  # the frames themselves pass unchanged
    diff = out[:, :, 3:]
    moved = torch.zeros_like(diff, dtype=torch.bool)
    moved[0, 2, :, 2, 3] = True  # only the step where it appeared, only where it is
    assert (diff[moved] != 0).all() and (diff[~moved] == 0).all()
    # clip 1 has 3 frames: its padding step does not see "minus the last frame"
    clips[1, 3] = 0
    assert (with_differences(clips, torch.tensor([4, 3]))[1, 3, 3:] == 0).all()


def test_cnn_lstm_with_frame_differences():
    from pydantic import ValidationError

    m = CNNLSTM(3, cnn_channels=4, spatial_grid=2, feature_dim=8, frame_differences=True).eval()
    assert m.frontend.frames.cnn[0].in_channels == 6
    clips = torch.randint(0, 255, (2, 5, 3, 16, 16), dtype=torch.uint8)
    logits, _ = m(clips, torch.tensor([5, 3]))
    alone, _ = m(clips[1:, :3], torch.tensor([3]))  # padding changes nothing
    torch.testing.assert_close(alone[0], logits[1], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValidationError, match="model.frame_differences"):
        VideoModel(cnn="efficientnet_lite0", frame_differences=True)


def test_stem_stride_gives_a_twice_larger_frame_the_maps_of_the_smaller_one_and_sees_every_pixel():
    """``model.cnn_stem_stride`` 2: a 64 px frame passes the small CNN at the map sizes of a 32 px frame, and a
    pixel at an odd position (skipped by a stride-2 sampling) still moves the first conv's output."""
    from video.frames import small_cnn

    torch.manual_seed(0)
    plain, _ = small_cnn(8)
    strided, _ = small_cnn(8, stem_stride=2)
    assert strided(torch.randn(1, 3, 64, 64)).shape == plain(torch.randn(1, 3, 32, 32)).shape == (1, 32, 2, 2)
    stem = strided[0]
    x = torch.randn(1, 3, 64, 64)
    y = x.clone()
    y[0, :, 33, 33] += 5.0
    assert stem.stride == (2, 2) and not torch.allclose(stem(x), stem(y))
    with pytest.raises(ValueError, match="model.cnn_stem_stride is for the built-in"):
        VideoModel(cnn="efficientnet_lite0", cnn_stem_stride=2)
