import threading

import numpy as np
import pytest

from steepest.augment import (
    BLOCK,
    AugmentConfig,
    AugmentedEpochs,
    augment,
    augmented_epoch,
    bilinear_sample,
    elastic_field,
    gaussian_matrix,
    random_affine,
    warp,
)

ONLY_SHIFT = AugmentConfig(shift=2, rotation=0, scale=0, shear=0, elastic_alpha=0)


@pytest.fixture(scope="module")
def digits(mnist_data):
    (x, _), _ = mnist_data
    return x[:500]  # (500, 28, 28) uint8


def test_same_seed_and_epoch_give_identical_bytes_other_epoch_or_seed_differ(digits):
    cfg = AugmentConfig()
    a = augmented_epoch(digits, cfg, seed=3, epoch=5)
    assert a.tobytes() == augmented_epoch(digits, cfg, seed=3, epoch=5).tobytes()
    assert a.tobytes() != augmented_epoch(digits, cfg, seed=3, epoch=6).tobytes()
    assert a.tobytes() != augmented_epoch(digits, cfg, seed=4, epoch=5).tobytes()


def test_each_block_depends_only_on_seed_epoch_and_block(digits):
    x = np.concatenate([digits] * 5)[: BLOCK + 300]  # two blocks, the second partial
    whole = augmented_epoch(x, AugmentConfig(), seed=1, epoch=2)
    second = augment(x[BLOCK:], AugmentConfig(), np.random.default_rng([1, 2, 1]))
    assert whole[BLOCK:].tobytes() == second.tobytes()


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_zero_strength_config_is_the_identity(digits, dtype):
    x = digits if dtype == np.uint8 else digits.astype(np.float32) / 255
    out = augmented_epoch(x, AugmentConfig.off(), seed=0, epoch=1, dtype=dtype)
    assert out.dtype == dtype and out.tobytes() == x.tobytes()
    none = AugmentConfig(shift=None, rotation=None, scale=None, shear=None, elastic_alpha=None)
    assert none.enabled() == ()
    # The sampler itself is exact at integer points, not only short-circuited.
    assert (
        warp(x[:20], np.tile(np.eye(2), (20, 1, 1))).tobytes()
        == x[:20].astype(np.float32).tobytes()
    )


def test_shift_by_one_pixel_moves_the_ink_by_exactly_one_pixel(digits):
    x = digits[:50].astype(np.float32)
    right = warp(x, translations=np.tile([0.0, 1.0], (50, 1)))
    down = warp(x, translations=np.tile([1.0, 0.0], (50, 1)))
    np.testing.assert_array_equal(right[:, :, 1:], x[:, :, :-1])
    np.testing.assert_array_equal(right[:, :, 0], 0)
    np.testing.assert_array_equal(down[:, 1:, :], x[:, :-1, :])


def test_random_shifts_are_whole_pixel_translations_within_range(digits):
    x = np.zeros((200, 28, 28), np.uint8)
    x[:, 10:18, 11:17] = digits[:200, 10:18, 11:17] | 1  # ink well inside the frame
    out = augmented_epoch(x, ONLY_SHIFT, seed=0, epoch=1)
    seen = set()
    for orig, moved in zip(x, out):
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(np.roll(orig, (dy, dx), axis=(0, 1)), moved)
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == 25  # every shift in [-2, 2]^2 occurs


def test_rotation_by_90_degrees_matches_rot90():
    pattern = np.zeros((1, 28, 28), np.float32)
    pattern[0, 4:10, 14:24] = 1.0  # a bar right of centre, near the top
    pattern[0, 20, 3] = 0.5
    th = np.pi / 2
    A = np.array([[[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]])
    turned = warp(pattern, A)[0]
    np.testing.assert_allclose(turned, np.rot90(pattern[0]), atol=1e-5)  # counter-clockwise
    half = warp(pattern, np.linalg.matrix_power(A, 2))[0]
    np.testing.assert_allclose(half, pattern[0, ::-1, ::-1], atol=1e-5)


def test_scale_about_the_centre_and_shear_slant_as_documented():
    img = np.zeros((1, 29, 29), np.float32)
    img[0, 14, 18] = 1.0  # 4 px right of the centre (14, 14)
    twice = warp(img, np.array([[[2.0, 0.0], [0.0, 2.0]]]))[0]
    assert twice[14, 22] == 1.0  # 4 px -> 8 px from the centre
    img[0, 14, 18] = 0
    img[0, 18, 14] = 1.0  # 4 px below the centre
    sheared = warp(img, np.array([[[1.0, 0.0], [0.5, 1.0]]]))[0]  # x' = x + 0.5 y
    assert sheared[18, 16] == 1.0


def test_random_affine_draws_within_the_configured_ranges():
    cfg = AugmentConfig(shift=0, rotation=15, scale=0.2, shear=0)
    A, t = random_affine(np.random.default_rng(0), 5000, cfg)
    assert t is None
    s = np.sqrt(np.linalg.det(A))  # R S: det = s^2
    theta = np.degrees(np.arctan2(A[:, 1, 0], A[:, 0, 0]))
    assert 0.8 <= s.min() and s.max() <= 1.2 and abs(theta).max() <= 15
    assert s.max() - s.min() > 0.35 and theta.max() - theta.min() > 28  # the range is used


def test_gaussian_matrix_is_normalised_symmetric_in_the_interior_and_matches_scipy():
    K = gaussian_matrix(28, 4.0)
    np.testing.assert_allclose(K.sum(axis=1), 1.0)
    v = np.random.default_rng(0).random(28)
    ndimage = pytest.importorskip("scipy.ndimage")  # a test-time cross-check only
    np.testing.assert_allclose(K @ v, ndimage.gaussian_filter1d(v, 4.0, mode="reflect"))
    np.testing.assert_allclose(
        gaussian_matrix(10, 0.8) @ v[:10], ndimage.gaussian_filter1d(v[:10], 0.8, mode="reflect")
    )


def test_elastic_field_statistics():
    alpha, sigma = 34.0, 4.0
    d = elastic_field(np.random.default_rng(0), 2000, (28, 28), alpha, sigma)  # (n, 2, 28, 28)
    assert d.shape == (2000, 2, 28, 28) and d.dtype == np.float32
    assert abs(d.mean()) < 0.02  # mean displacement ~ 0
    # Var d[i, j] = alpha^2 / 3 * |K[i]|^2 |K[j]|^2 exactly; check it per pixel.
    k2 = (gaussian_matrix(28, sigma) ** 2).sum(axis=1)
    expected = np.sqrt(alpha**2 / 3 * np.outer(k2, k2))  # (28, 28)
    np.testing.assert_allclose(d.std(axis=(0, 1)), expected, rtol=0.05)
    # Smooth: neighbouring displacements nearly equal, unlike the raw noise.
    corr = np.corrcoef(d[:, :, 14, 14].ravel(), d[:, :, 14, 15].ravel())[0, 1]
    assert corr > 0.95
    assert abs(np.corrcoef(d[:, 0].ravel(), d[:, 1].ravel())[0, 1]) < 0.05  # dy, dx independent


@pytest.mark.parametrize("out_dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("in_dtype", [np.uint8, np.float32])
def test_output_dtype_shape_and_range(digits, in_dtype, out_dtype):
    x = digits[:300] if in_dtype == np.uint8 else digits[:300].astype(np.float32) / 255
    out = augmented_epoch(x, AugmentConfig(), seed=0, epoch=1, dtype=out_dtype)
    assert out.shape == x.shape and out.dtype == out_dtype
    top = 255 if out_dtype == np.uint8 else 1.0
    assert out.min() >= 0 and out.max() <= top and out.max() > 0.5 * top
    # Distorted, but still the same amount of ink, roughly.
    ink = out.reshape(300, -1).sum(axis=1, dtype=np.float64) / top
    ink0 = x.reshape(300, -1).sum(axis=1, dtype=np.float64) / (255 if in_dtype == np.uint8 else 1)
    assert 0.6 < np.median(ink / ink0) < 1.4


def test_uint8_and_float_outputs_agree(digits):
    a = augmented_epoch(digits[:100], AugmentConfig(), 0, 1, dtype=np.uint8)
    f = augmented_epoch(digits[:100], AugmentConfig(), 0, 1, dtype=np.float32)
    assert np.abs(a / 255 - f).max() <= 0.5 / 255 + 1e-6


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="rotation"):
        AugmentConfig(rotation=-5)
    with pytest.raises(ValueError, match="shift"):
        AugmentConfig(shift=1.5)
    with pytest.raises(ValueError, match="scale"):
        AugmentConfig(scale=1.0)
    with pytest.raises(ValueError, match="elastic_sigma"):
        AugmentConfig(elastic_sigma=0)
    with pytest.raises(ValueError, match="seed"):
        augmented_epoch(np.zeros((2, 28, 28), np.uint8), AugmentConfig(), seed=-1, epoch=1)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        augmented_epoch(np.zeros((2, 784), np.uint8), AugmentConfig(), seed=0, epoch=1)


def test_bilinear_sample_interpolates_and_reads_zero_outside():
    img = np.array([[[0.0, 10.0], [20.0, 30.0]]])
    ys = np.array([[[0.5, 0.5, -0.5, 5.0, 1.0]]])
    xs = np.array([[[0.5, 0.0, 0.0, 0.0, 1.5]]])
    np.testing.assert_allclose(bilinear_sample(img, ys, xs), [[[15.0, 10.0, 0.0, 0.0, 15.0]]])


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("steepest-augment")}


def test_prefetcher_yields_epochs_in_order_equal_to_the_direct_result(digits):
    x = np.concatenate([digits] * 5)  # 2,500 images: more than one block
    cfg = AugmentConfig()
    before = threading.active_count()
    with AugmentedEpochs(x, cfg, seed=9, start_epoch=4, stop_epoch=7) as epochs:
        got = list(epochs)
    assert [e for e, _ in got] == [4, 5, 6]
    for e, xa in got:
        assert xa.tobytes() == augmented_epoch(x, cfg, 9, e).tobytes()
    assert threading.active_count() == before and not _threads()


def test_prefetcher_as_a_callable_resumes_at_any_epoch(digits):
    cfg = AugmentConfig()
    x = digits[:200]
    aug = AugmentedEpochs(x, cfg, seed=2, start_epoch=1, dtype=np.float32)
    try:
        assert aug(1).tobytes() == augmented_epoch(x, cfg, 2, 1, np.float32).tobytes()
        assert aug(2).tobytes() == augmented_epoch(x, cfg, 2, 2, np.float32).tobytes()
        assert aug(7).tobytes() == augmented_epoch(x, cfg, 2, 7, np.float32).tobytes()  # jump
        assert aug(3).tobytes() == augmented_epoch(x, cfg, 2, 3, np.float32).tobytes()  # back
    finally:
        aug.close()
    aug.close()  # idempotent
    assert not _threads()
    with pytest.raises(RuntimeError, match="closed"):
        aug(4)


def test_prefetcher_stops_promptly_when_closed_mid_epoch_or_collected(digits):
    x = np.concatenate([digits] * 24)  # 12,000 images, several blocks
    before = threading.active_count()
    aug = AugmentedEpochs(x, AugmentConfig(), seed=0, ahead=2)
    aug.close()  # while the worker is busy
    assert threading.active_count() == before
    aug = AugmentedEpochs(digits, AugmentConfig(), seed=0)
    aug(1)
    del aug  # the finaliser stops the thread
    import gc

    gc.collect()
    for t in threading.enumerate():
        if t.name.startswith("steepest-augment"):
            t.join(timeout=5)
    assert threading.active_count() == before


def test_prefetcher_reports_worker_errors():
    bad = np.full((4, 28, 28), "a")  # strings: the worker cannot turn them into pixels
    with AugmentedEpochs(bad, AugmentConfig(), seed=0) as aug:
        with pytest.raises(RuntimeError, match="worker failed"):
            aug(1)


def test_train_with_epoch_data_uses_a_fresh_copy_and_is_unchanged_without(mnist_data):
    from steepest.network import Network
    from steepest.optimizers import SGD
    from steepest.training import train

    (x, y), _ = mnist_data
    x, y = x[:600], y[:600]

    def run(**kw):
        net = Network((784, 20, 10), rng=np.random.default_rng(0))
        train(net, SGD(net.parameters(), 0.5), x, y, epochs=2, batch_size=50,
              rng=np.random.default_rng(1), **kw)  # fmt: skip
        return net.get_weights()[0]

    plain = run()
    assert run().tobytes() == plain.tobytes()
    asked = []

    def same(epoch):
        asked.append(epoch)
        return x

    assert run(epoch_data=same).tobytes() == plain.tobytes() and asked == [1, 2]
    with AugmentedEpochs(x, AugmentConfig(), seed=0) as aug:
        augmented = run(epoch_data=aug)
    assert augmented.tobytes() != plain.tobytes()
    with pytest.raises(ValueError, match="shape"):
        run(epoch_data=lambda e: x[:10])


def test_prefetcher_makes_only_the_next_epoch_then_rests(digits):
    import time

    with AugmentedEpochs(digits[:100], AugmentConfig(), seed=0, ahead=1) as aug:
        aug(1)
        deadline = time.monotonic() + 10
        while aug._ready.qsize() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert aug._ready.qsize() == 1  # epoch 2 ready, epoch 3 not started
        aug(2)
        assert aug(3).tobytes() == augmented_epoch(digits[:100], AugmentConfig(), 0, 3).tobytes()


def test_bits_do_not_depend_on_the_number_of_blas_threads(digits):
    import threadpoolctl  # a dependency of steepest: missing, it fails rather than skips

    runs = []
    for n in (1, 2):
        with threadpoolctl.threadpool_limits(n):
            runs.append(augmented_epoch(digits, AugmentConfig(), seed=5, epoch=1).tobytes())
    assert runs[0] == runs[1]
