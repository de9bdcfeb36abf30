"""Data loaders: the digits split, and IDX files the tests write themselves byte by byte."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from workbench.engine.data import (DataSplit, IDXFormatError, find_mnist_files, load_digits_split,
                                   load_mnist_folder, read_idx)


def test_digits_split_is_fixed_stratified_and_complete():
    a, b = load_digits_split(), load_digits_split()
    assert a.x_train.shape == (1438, 64) and a.x_test.shape == (359, 64)
    assert a.x_train.dtype == np.float32 and 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert a.num_classes == 10
    test_share = np.bincount(a.y_test) / (np.bincount(a.y_test) + np.bincount(a.y_train))
    assert np.all(np.abs(test_share - 0.2) < 0.01)
    # every sample is used exactly once: the union equals scikit-learn's set, row for row
    from sklearn.datasets import load_digits
    bunch = load_digits()
    original = np.column_stack([bunch.data / 16.0, bunch.target])
    ours = np.column_stack([np.vstack([a.x_train, a.x_test]), np.concatenate([a.y_train, a.y_test])])
    np.testing.assert_allclose(ours[np.lexsort(ours.T)], original[np.lexsort(original.T)], atol=1e-7)
    other = load_digits_split(seed=1)
    assert not np.array_equal(other.y_test, a.y_test)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_split(test_fraction=1.0)


def test_standardized_uses_training_statistics_only():
    split = DataSplit(np.array([[0.0, 1.0], [2.0, 1.0]], dtype=np.float32), np.array([0, 1]),
                      np.array([[4.0, 3.0]], dtype=np.float32), np.array([1]))
    s = split.standardized(min_std=0.1)
    np.testing.assert_allclose(s.x_train, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(s.x_test, [[3.0, 20.0]])  # (4-1)/1 and (3-1)/0.1 (floored std)
    assert split.flattened().x_train.shape == (2, 2)


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("dtype, code", [(np.uint8, 0x08), (np.int16, 0x0B), (np.int32, 0x0C),
                                         (np.float32, 0x0D), (np.float64, 0x0E)])
def test_read_idx_round_trips_each_type(tmp_path, gz, dtype, code):
    array = (np.arange(24).reshape(2, 3, 4) * 3 - (0 if dtype == np.uint8 else 20)).astype(dtype)
    raw = idx_bytes(array, code)
    path = tmp_path / "data.idx"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


@pytest.mark.parametrize("content, match", [
    (b"", "empty file"),
    (b"\x01\x02\x08\x01", "not an IDX file"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "truncated header"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x01\x02", "truncated or corrupt"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x01\x02", "holds 2"),
    (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
])
def test_read_idx_explains_corrupt_files(tmp_path, content, match):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=match):
        read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_idx(tmp_path / "nothing")


def write_mnist_folder(folder, gz_names=(), n_train=5, n_test=3):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 4, 3)).astype(np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 4, 3)).astype(np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    for name, array in arrays.items():
        raw = idx_bytes(array, 0x08)
        if name in gz_names:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return arrays


def test_load_mnist_folder_mixing_gzipped_and_plain_files(tmp_path):
    arrays = write_mnist_folder(tmp_path, gz_names=("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
    split = load_mnist_folder(tmp_path)
    np.testing.assert_array_equal(split.x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(split.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert split.y_train.dtype == np.int64 and split.x_test.shape == (3, 4, 3)
    assert find_mnist_files(tmp_path)["train images"].name == "train-images-idx3-ubyte.gz"


def test_load_mnist_folder_accepts_dotted_names(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").rename(tmp_path / "t10k-images.idx3-ubyte")
    assert load_mnist_folder(tmp_path).x_test.shape == (3, 4, 3)


def test_load_mnist_folder_names_the_missing_files(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"lacks t10k-labels-idx1-ubyte\[\.gz\]"):
        load_mnist_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="data folder not found"):
        load_mnist_folder(tmp_path / "nowhere")


def test_load_mnist_folder_checks_images_and_labels_agree(tmp_path):
    write_mnist_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(IDXFormatError, match="train: 5 images but 4 labels"):
        load_mnist_folder(tmp_path)
