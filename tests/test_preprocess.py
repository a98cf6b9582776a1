import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from craft import png_header, white_png
from steepest.preprocess import MAX_SIDE, is_blank, load_image, preprocess_file, to_mnist


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


@pytest.mark.parametrize(("width", "height"), [(MAX_SIDE + 1, 10), (10, 9500), (15000, 15000)])
def test_an_image_over_the_limit_is_refused_by_its_header(tmp_path, width, height):
    # The file holds no pixel data: decoding it would fail with "not a readable image".
    p = tmp_path / "huge.png"
    p.write_bytes(png_header(width, height))
    with pytest.raises(ValueError, match=rf"huge.png: image too large; .* up to {MAX_SIDE}x"):
        load_image(p)


def test_a_real_huge_png_is_refused_quietly_and_in_little_memory(tmp_path):
    # 10000 x 9500 white pixels in 24 KB: decoded, it took 1.16 GB and 4.5 s.
    p = tmp_path / "white.png"
    p.write_bytes(white_png(10000, 9500))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # Pillow's DecompressionBombWarning would show here
        with pytest.raises(ValueError, match=r"white.png: .* \(this one is 10000x9500\)"):
            load_image(p)
    assert caught == []
    # Peak memory in a fresh process (VmHWM: ru_maxrss would count pytest's, inherited at fork).
    measure = ("import sys\n"
               "from steepest.preprocess import load_image\n"
               "try:\n    load_image(sys.argv[1])\nexcept ValueError:\n    pass\n"
               "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    peak_kb = int(subprocess.run([sys.executable, "-c", measure, str(p)], capture_output=True,
                                 text=True, check=True).stdout)
    assert peak_kb < 150_000  # the interpreter with NumPy and Pillow: about 40 MB


def test_an_image_at_the_limit_is_read(tmp_path):
    Image.new("L", (MAX_SIDE, 2), 255).save(tmp_path / "wide.png")
    assert load_image(tmp_path / "wide.png").shape == (2, MAX_SIDE)


def test_predict_help_states_the_limit():
    from steepest.cli.basics import predict

    assert f"{MAX_SIDE}x{MAX_SIDE}" in predict.help


@pytest.mark.parametrize("image", [np.ones((30, 20)), np.zeros((28, 28)), np.full((9, 9), 0.4),
                                   np.full((5, 7), 200, np.uint8)])
def test_blank_images(image):
    assert is_blank(image) and not to_mnist(image).any()


def test_one_dot_is_ink():
    img = np.ones((50, 50), np.float32)
    img[20, 30] = 0.99
    assert not is_blank(img) and to_mnist(img).max() == pytest.approx(1.0)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 40)),
              elements=st.sampled_from([0.0, 1.0, 0.5, 0.25, 1e-7, 1 - 1e-7])))
def test_is_blank_agrees_with_to_mnist(image):
    # One rule for the CLI (which checks the preprocessed digit) and the web lab
    # (which may check the drawing itself): the same answer either way.
    out = to_mnist(image)
    assert is_blank(image) == is_blank(out) == (not out.any())


def test_is_blank_refuses_what_to_mnist_refuses():
    with pytest.raises(ValueError, match="2-D grayscale"):
        is_blank(np.zeros(784))
    with pytest.raises(ValueError, match="finite"):
        is_blank(np.full((28, 28), np.nan))
