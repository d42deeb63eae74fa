"""Dataset and pattern-file readers."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import ebdm
from ebdm import data


def idx_images(images):
    count, rows, cols = images.shape
    return struct.pack(">IIII", 0x0803, count, rows, cols) + images.astype(np.uint8).tobytes()


def test_mnist_images_raw_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 7
    raw = tmp_path / "images-idx3-ubyte"
    raw.write_bytes(idx_images(images))
    gz = tmp_path / "images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(idx_images(images)))
    for path in (raw, str(gz)):
        got = data.read_mnist_images(path)
        assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
        np.testing.assert_array_equal(got, images)


def test_idx_labels(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(struct.pack(">II", 0x0801, 5) + bytes([3, 1, 4, 1, 5]))
    labels = data.read_idx_labels(path)
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, [3, 1, 4, 1, 5])


def test_patterns_and_matrix_files(tmp_path):
    text = tmp_path / "patterns.txt"
    text.write_text("# two patterns\n+-+-\n1, 1, -1, -1\n")
    p = data.read_patterns(text)
    assert p.dtype == np.int8
    np.testing.assert_array_equal(p, [[1, -1, 1, -1], [1, 1, -1, -1]])
    net = ebdm.Hopfield(p)
    assert net.neurons == 4
    npy = tmp_path / "patterns.npy"
    stored = ebdm.random_patterns(3, 10, seed=0)
    np.save(npy, stored)
    np.testing.assert_array_equal(data.read_patterns(npy), stored)
    m = tmp_path / "m.txt"
    m.write_text("0.5 1e-3\n-2 3\n")
    np.testing.assert_array_equal(data.read_matrix(m), [[0.5, 1e-3], [-2.0, 3.0]])


def test_reader_errors(tmp_path):
    missing = tmp_path / "nope.idx"
    with pytest.raises(FileNotFoundError, match="nope.idx"):
        data.read_mnist_images(missing)
    with pytest.raises(OSError):
        data.read_patterns(missing)
    with pytest.raises(OSError):
        data.read_idx_labels(tmp_path)  # a directory
    bad = tmp_path / "bad.idx"
    bad.write_bytes(struct.pack(">IIII", 0x0803, 10, 28, 28) + b"\0" * 5)
    with pytest.raises(ValueError, match="bad.idx"):
        data.read_mnist_images(bad)
    not_pm1 = tmp_path / "p.txt"
    not_pm1.write_text("1 -1\n1 0.5\n")
    with pytest.raises(ValueError, match="p.txt.*0.5"):
        data.read_patterns(not_pm1)


MNIST = Path(__file__).resolve().parents[2] / "data" / "mnist"


@pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte.gz").exists(), reason="no bundled MNIST")
def test_bundled_mnist_test_set():
    images = data.read_mnist_images(MNIST / "t10k-images-idx3-ubyte.gz")
    labels = data.read_idx_labels(MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and list(labels[:5]) == [7, 2, 1, 0, 4]
    digits = np.where(images[:5].reshape(5, -1) > 127, 1, -1)
    net = ebdm.Hopfield(digits, rule="pinv")
    cue = ebdm.corrupt(digits[0], 0.15, seed=0)
    out = net.retrieve(cue)
    np.testing.assert_array_equal(out.state, digits[0])
