import numpy as np
import pytest
from PIL import Image

from steepest.preprocess import load_image, preprocess_file, to_mnist


def test_mnist_digits_pass_through_almost_unchanged(mnist_data):
    _, (xt, _) = mnist_data
    for img in xt[:50]:
        out = to_mnist(img)
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert np.abs(out - img / 255).mean() < 0.01


def test_dark_on_light_is_inverted_cropped_scaled_and_centred():
    img = np.ones((200, 120), np.float32)  # white paper
    img[30:170, 40:60] = 0.0  # a thick black vertical bar, off-centre
    out = to_mnist(img)
    rows = np.flatnonzero(out.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] + 1 == 20  # longer side fit to 20 px
    ys, xs = np.nonzero(out)
    w = out[ys, xs]
    assert abs((ys * w).sum() / w.sum() - 14) < 0.6  # centre of mass at (14, 14)
    assert abs((xs * w).sum() / w.sum() - 14) < 0.6
    assert out[0].max() == 0 and out.max() == pytest.approx(1.0)


def test_light_on_dark_and_dark_on_light_agree():
    ink = np.zeros((90, 90), np.float32)
    ink[20:70, 30:40] = 1
    ink[20:30, 30:60] = 1
    np.testing.assert_allclose(to_mnist(ink), to_mnist(1 - ink), atol=1e-6)


def test_grey_paper_background_is_removed():
    img = np.full((60, 60), 0.8, np.float32)
    img[10:50, 25:32] = 0.1
    out = to_mnist(img)
    assert out[:, :5].max() == 0 and out.max() == pytest.approx(1.0)


def test_blank_image_gives_zeros():
    assert not to_mnist(np.ones((50, 50))).any()


def test_rejects_bad_arrays():
    with pytest.raises(ValueError, match="2-D grayscale"):
        to_mnist(np.zeros((3, 28, 28)))
    with pytest.raises(ValueError, match=r"finite and in \[0, 1\]"):
        to_mnist(np.full((28, 28), np.nan))
    with pytest.raises(ValueError, match=r"finite and in \[0, 1\]"):
        to_mnist(np.full((28, 28), 2.0))


def test_files_png_jpeg_rgba(tmp_path, mnist_data):
    _, (xt, _) = mnist_data
    digit = 255 - xt[0]  # dark on light, like a drawing
    Image.fromarray(digit).resize((140, 140)).save(tmp_path / "d.png")
    Image.fromarray(digit).convert("RGB").resize((140, 140)).save(tmp_path / "d.jpg", quality=95)
    rgba = np.zeros((140, 140, 4), np.uint8)  # black strokes on a transparent canvas
    rgba[..., 3] = 255 - np.asarray(Image.fromarray(digit).resize((140, 140)))
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    ref = to_mnist(xt[0])
    for name in ("d.png", "d.jpg", "t.png"):
        out = preprocess_file(tmp_path / name)
        assert np.abs(out - ref).mean() < 0.05, name


def test_not_an_image(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("hello")
    with pytest.raises(ValueError, match="notes.png: not a readable image"):
        load_image(p)
    with pytest.raises(ValueError, match="no such file"):
        load_image(tmp_path / "missing.png")
