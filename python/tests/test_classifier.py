"""The dense associative memory classifier (ebdm.DenseClassifier)."""

import pickle

import numpy as np
import pytest

import ebdm


def fixture(count, dim=36, classes=3, noise=1.0, seed=0):
    """Noisy copies of `classes` random ±1 prototypes, as uint8 images and labels."""
    rng = np.random.default_rng(seed)
    protos = rng.choice([-1.0, 1.0], size=(classes, dim))
    labels = np.arange(count) % classes
    x = np.clip(protos[labels] + noise * rng.uniform(-1, 1, size=(count, dim)), -1, 1)
    images = np.round((x + 1) * 127.5).astype(np.uint8)
    return images, labels


def test_fit_predict_and_history():
    all_images, all_labels = fixture(900)
    images, labels = all_images[:600], all_labels[:600]
    test_images, test_labels = all_images[600:], all_labels[600:]
    clf = ebdm.DenseClassifier(memories=12, n=3, m=3, temperature=8.0)
    assert clf.memories is None and clf.classes is None
    h = clf.fit(images, labels, epochs=15, batch_size=100, lr=0.05, seed=3,
                test_images=test_images, test_labels=test_labels)
    assert set(h) >= {"epoch", "train_loss", "train_error", "test_error", "test_loss", "learning_rate", "interrupted"}
    assert list(h["epoch"]) == list(range(1, 16))
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert np.allclose(h["learning_rate"], 0.05 * 0.998 ** np.arange(15))
    assert h["test_error"][-1] < 0.1 and not h["interrupted"]
    assert clf.classes == 3
    mem = clf.memories
    assert mem.shape == (12, 36 + 3) and mem.dtype == np.float64
    assert mem.min() >= -1 and mem.max() <= 1
    pred = clf.predict(test_images)
    assert pred.dtype == np.int64 and pred.shape == (300,)
    assert np.mean(pred != test_labels) == pytest.approx(clf.error_rate(test_images, test_labels))
    out = clf.outputs(test_images[:5])
    assert out.shape == (5, 3) and np.all(np.abs(out) <= 1)
    assert np.array_equal(np.argmax(out, axis=1), pred[:5])


def test_float_images_and_3d_shapes():
    images, labels = fixture(200, dim=16)
    scaled = images.astype(np.float64) * 2 / 255 - 1
    a = ebdm.DenseClassifier(memories=4, n=2, m=2, temperature=4.0)
    b = ebdm.DenseClassifier(memories=4, n=2, m=2, temperature=4.0)
    a.fit(images, labels, epochs=2, batch_size=50)
    b.fit(scaled.reshape(200, 4, 4), labels, epochs=2, batch_size=50)
    assert np.allclose(a.memories, b.memories, atol=1e-6)


def test_seeded_and_thread_independent():
    images, labels = fixture(500, seed=4)
    runs = []
    for threads in (1, 2):
        clf = ebdm.DenseClassifier(memories=6, n=4, m=4, temperature=10.0)
        clf.fit(images, labels, epochs=3, batch_size=200, seed=7, threads=threads)
        runs.append(clf.memories)
    assert np.array_equal(runs[0], runs[1])


def test_pickle_round_trip():
    images, labels = fixture(100)
    clf = ebdm.DenseClassifier(memories=5, n=3, m=2, temperature=6.0)
    clf.fit(images, labels, epochs=2, batch_size=50)
    copy = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(copy.memories, clf.memories)
    assert np.array_equal(copy.predict(images), clf.predict(images))
    assert (copy.n, copy.m, copy.temperature, copy.count, copy.classes) == (3, 2, 6.0, 5, 3)
    unfitted = pickle.loads(pickle.dumps(ebdm.DenseClassifier()))
    assert unfitted.memories is None and unfitted.temperature == pytest.approx(540.0)


def test_bad_input_raises_value_error():
    images, labels = fixture(20)
    for kwargs, needle in [({"n": 0}, "degree"), ({"m": 0}, "loss_power"), ({"memories": 0}, "memories"),
                           ({"temperature": 0.0}, "temperature"), ({"temperature": float("nan")}, "temperature")]:
        with pytest.raises(ValueError, match=needle):
            ebdm.DenseClassifier(**kwargs)
    clf = ebdm.DenseClassifier(memories=3, n=2, m=2, temperature=3.0, classes=3)
    with pytest.raises(ValueError, match="not fitted"):
        clf.predict(images)
    with pytest.raises(ValueError, match="labels"):
        clf.fit(images, labels[:-1], epochs=1)
    bad = labels.copy()
    bad[0] = 5
    with pytest.raises(ValueError, match="out of range"):
        clf.fit(images, bad, epochs=1)
    with pytest.raises(ValueError, match="not a non-negative integer"):
        clf.fit(images, labels - 1, epochs=1)
    nan_images = images.astype(np.float64)
    nan_images[0, 0] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        clf.fit(nan_images, labels, epochs=1)
    with pytest.raises(ValueError, match="precision"):
        clf.fit(images, labels, epochs=1, precision="f16")
    with pytest.raises(ValueError, match="momentum"):
        clf.fit(images, labels, epochs=1, momentum=1.0)
    clf.fit(images, labels, epochs=1)
    with pytest.raises(ValueError, match="model takes"):
        clf.predict(images[:, :10])
