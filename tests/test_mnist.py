import shutil

import numpy as np
import pytest

from steepest.datasets import mnist
from steepest.datasets.idx import write_idx


def test_bundled_shapes_dtypes_and_label_counts(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    # The published label counts.
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                             5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.max() == 255 and x_train.min() == 0


def test_bundled_files_are_package_data_with_checksums():
    d = mnist.data_dir()
    for name in mnist.FILES.values():
        assert (d / f"{name}.gz").is_file()
    assert set(mnist.SHA256) == set(mnist.FILES.values())


def test_checksum_mismatch_is_detected(tmp_path, monkeypatch):
    d = tmp_path / "data"
    shutil.copytree(mnist.data_dir(), d)
    write_idx(d / "t10k-labels-idx1-ubyte.gz", np.zeros(10000, np.uint8))  # valid IDX, wrong bytes
    monkeypatch.setattr(mnist, "data_dir", lambda: d)
    mnist._load.cache_clear()
    try:
        with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
            mnist.load_data()
    finally:
        mnist._load.cache_clear()


def small_set(d, n_train=20, n_test=5, labels=None):
    rng = np.random.default_rng(0)
    d.mkdir(exist_ok=True)
    write_idx(d / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28), np.uint8))
    write_idx(d / "train-labels-idx1-ubyte.gz",
              labels if labels is not None else rng.integers(0, 10, n_train).astype(np.uint8))
    write_idx(d / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28), np.uint8))
    write_idx(d / "t10k-labels-idx1-ubyte", rng.integers(0, 10, n_test).astype(np.uint8))
    return d


def test_directory_with_gz_and_raw_files(tmp_path):
    (x, y), (xt, yt) = mnist.load_data(small_set(tmp_path / "d"))
    assert x.shape == (20, 28, 28) and xt.shape == (5, 28, 28) and y.shape == (20,)


def test_missing_file(tmp_path):
    d = small_set(tmp_path / "d")
    (d / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(ValueError, match=r"missing t10k-labels-idx1-ubyte\(.gz\)"):
        mnist.load_data(d)


def test_count_mismatch(tmp_path):
    d = small_set(tmp_path / "d", labels=np.zeros(19, np.uint8))
    with pytest.raises(ValueError, match="20 images in train-images-idx3-ubyte.gz but 19 labels"):
        mnist.load_data(d)


def test_labels_out_of_range(tmp_path):
    labels = np.zeros(20, np.uint8)
    labels[3] = 12
    d = small_set(tmp_path / "d", labels=labels)
    with pytest.raises(ValueError, match=r"labels must be 0-9, found \[12\]"):
        mnist.load_data(d)


def test_not_a_directory(tmp_path):
    with pytest.raises(ValueError, match="no such directory"):
        mnist.load_data(tmp_path / "nope")


def test_keras_style_api():
    assert mnist.to_categorical(np.array([3]), 10).argmax() == 3


def test_wheel_ships_the_data_configs_notebooks_and_web_page(tmp_path):
    # Package data must reach an installed wheel, not only this checkout.
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(root)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("steepest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in mnist.FILES.values():
        assert f"steepest/datasets/data/{name}.gz" in names
    assert "steepest/configs/1-lecture.toml" in names
    assert {"steepest/web/static/index.html", "steepest/web/static/app.js"} <= names
    modules = {p.name for p in (root / "src" / "steepest" / "web" / "static" / "js").glob("*.js")}
    assert modules and {f"steepest/web/static/js/{m}" for m in modules} <= names  # app.js imports
    notebooks = {p.name for p in (root / "src" / "steepest" / "notebooks").glob("*.ipynb")}
    assert notebooks and {f"steepest/notebooks/{n}" for n in notebooks} <= names
    # the MIT licence travels with the package (PEP 639: .dist-info/licenses/)
    (info,) = {n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA")}
    assert f"{info}/licenses/LICENSE" in names
    assert "License-Expression: MIT" in zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
