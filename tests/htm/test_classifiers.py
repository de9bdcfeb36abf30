"""SDRClassifier, Predictor and MLPClassifier (HTM_SPEC.md, "Classifiers and anomaly").

The SDRClassifier's update is checked on a 2-bit, 2-class case worked by hand; the Predictor on
a sequence with a missing record; the MLPClassifier on a separable SDR task, and against the
SDRClassifier (with no hidden layer it must take exactly the same step).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.engine import available_backends, get_backend
from workbench.engine.htm.classifiers import MLPClassifier, Predictor, SDRClassifier
from workbench.engine.htm.sdr import SDR

BACKENDS = [b for b in available_backends() if b != "opencl"]
FP64_BACKENDS = [b for b in BACKENDS if get_backend(b).fp64]


def two_way(z0: float, z1: float) -> list[float]:
    """softmax of two logits, written out: 1 / (1 + e^(z1 - z0)) and its complement."""
    p0 = 1.0 / (1.0 + math.exp(z1 - z0))
    return [p0, 1.0 - p0]


# -- SDRClassifier --------------------------------------------------------------------------

def test_sdr_classifier_two_bits_two_classes_by_hand():
    c = SDRClassifier(alpha=0.1)
    assert c.infer([0, 1]).size == 0  # nothing learned yet: no categories

    c.learn([0, 1], 0)  # one category: p = [1] = target, so nothing moves
    np.testing.assert_array_equal(c.weights, [[0.0], [0.0]])
    np.testing.assert_array_equal(c.infer([0]), [1.0])

    c.learn([0, 1], 1)  # grows to 2 categories at 0: p = [1/2, 1/2], target [0, 1]
    np.testing.assert_allclose(c.weights, [[-0.05, 0.05], [-0.05, 0.05]], rtol=0, atol=1e-17)
    np.testing.assert_allclose(c.infer([0]), two_way(-0.05, 0.05), rtol=1e-15)
    np.testing.assert_allclose(c.infer([0, 1]), two_way(-0.1, 0.1), rtol=1e-15)

    c.learn([1], 0)  # only bit 1: p = softmax(-0.05, 0.05) = [0.47502..., 0.52497...]
    p = two_way(-0.05, 0.05)
    np.testing.assert_allclose(p, [0.4750208125210601, 0.5249791874789399], rtol=1e-15)
    np.testing.assert_allclose(c.weights[0], [-0.05, 0.05], rtol=0, atol=1e-17)  # bit 0 untouched
    np.testing.assert_allclose(c.weights[1], [-0.05 + 0.1 * (1 - p[0]), 0.05 + 0.1 * (0 - p[1])],
                               rtol=1e-14)
    np.testing.assert_allclose(c.weights[1], [0.0024979187478940, -0.0024979187478940], rtol=1e-12)
    assert c.weights.dtype == np.float64


def test_sdr_classifier_several_labels_share_the_target():
    c = SDRClassifier(alpha=1.0)
    c.load_state_dict({"alpha": 1.0, "weights": np.array([[0.2, 0.0, 0.0]])})
    c.learn([0], [2, 1, 2])  # labels {1, 2}: target [0, 1/2, 1/2]; repeats count once
    e = math.exp(0.2)
    p = [e / (e + 2), 1 / (e + 2), 1 / (e + 2)]
    np.testing.assert_allclose(c.weights[0], [0.2 - p[0], 0.5 - p[1], 0.5 - p[2]], rtol=1e-14)


def test_sdr_classifier_grows_and_unseen_bits_weigh_nothing():
    c = SDRClassifier(alpha=0.5)
    c.learn(SDR.from_sparse(10, [1, 3]), 4)
    assert c.weights.shape == (4, 5) and c.num_categories == 5  # rows up to the highest bit seen
    np.testing.assert_allclose(c.infer([9]), np.full(5, 0.2))  # bit 9 never seen: uniform
    np.testing.assert_allclose(c.infer([1, 9]), c.infer([1]))


def test_sdr_classifier_equals_the_formula_as_it_grows_bit_for_bit():
    """Labels and bits that keep growing (many reallocations) against the spec's formula on a
    plain matrix padded with zeros exactly when needed."""
    gen = np.random.default_rng(2)
    c, w, alpha = SDRClassifier(alpha=0.3), np.zeros((0, 0)), 0.3
    for step in range(300):
        bits = np.sort(gen.choice(step + 20, 6, replace=False))
        label = int(gen.integers(0, step // 4 + 2))
        if w.shape[1]:
            known = bits[bits < w.shape[0]]
            z = w[known].sum(axis=0)
            e = np.exp(z - z.max())
            np.testing.assert_array_equal(c.infer(bits), e / e.sum())
        w = np.pad(w, ((0, max(0, bits[-1] + 1 - w.shape[0])), (0, max(0, label + 1 - w.shape[1]))))
        z = w[bits].sum(axis=0)
        e = np.exp(z - z.max())
        target = np.zeros(w.shape[1])
        target[label] = 1.0
        w[bits] += alpha * (target - e / e.sum())
        c.learn(bits, label)
        np.testing.assert_array_equal(c.weights, w)
    np.testing.assert_array_equal(c.state_dict()["weights"], w)


def test_sdr_classifier_softmax_is_max_subtracted():
    c = SDRClassifier()
    c.load_state_dict({"alpha": 0.001, "weights": np.array([[1000.0, 0.0], [1000.0, 10.0]])})
    p = c.infer([0, 1])
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, [1.0, math.exp(-1990.0)], rtol=1e-15)


def test_sdr_classifier_weights_are_read_only():
    c = SDRClassifier()
    c.learn([0], 0)
    with pytest.raises(ValueError):
        c.weights[0, 0] = 1.0


@pytest.mark.parametrize("pattern, labels, match", [
    ([0, 0], 1, "repeat"),
    ([-1], 1, ">= 0"),
    ([0.5], 1, "integer bit indices"),
    ([0], [], "at least one label"),
    ([0], -2, "non-negative"),
])
def test_sdr_classifier_rejects_bad_input(pattern, labels, match):
    with pytest.raises(ValueError, match=match):
        SDRClassifier().learn(pattern, labels)


def test_sdr_classifier_rejects_bad_settings():
    with pytest.raises(ValueError, match="alpha"):
        SDRClassifier(alpha=0)


# -- Predictor ------------------------------------------------------------------------------

A, B, C = [0, 1], [2, 3], [4, 5]


def test_predictor_matches_records_by_number_across_a_gap():
    """Records 0, 1, 3 (2 is missing). Horizon 1 learns A -> label of record 1 and nothing at
    record 3 (record 2 is missing); horizon 2 learns B (record 1) -> label of record 3."""
    p = Predictor(steps=(1, 2), alpha=0.1)
    p.learn(A, 0, record=0)
    p.learn(B, 1, record=1)
    p.learn(C, 2, record=3)
    one, two = p.classifiers[1], p.classifiers[2]
    assert one.num_categories == 2  # label 2 never reached horizon 1
    np.testing.assert_allclose(one.weights[A], [[-0.05, 0.05]] * 2, atol=1e-17)
    assert np.all(one.weights[2:] == 0)  # B was never a source for horizon 1
    np.testing.assert_allclose(two.weights[B], [[-0.1 / 3, -0.1 / 3, 0.2 / 3]] * 2, rtol=1e-15)
    assert np.all(two.weights[A] == 0) and two.weights.shape[0] == 4  # C (bits 4, 5) never a source
    probs = p.infer(B)
    assert sorted(probs) == [1, 2]
    assert np.argmax(probs[2]) == 2 and probs[1].size == 2


def test_predictor_without_gap_uses_each_earlier_record():
    p = Predictor(steps=(1,), alpha=0.1)
    for pattern, label in [(A, 0), (B, 1), (C, 0)]:
        p.learn(pattern, label)  # records 0, 1, 2 by default
    c = p.classifiers[1]
    assert c.weights[B].any() and c.weights[A].any()  # A -> 1 and B -> 0 were both learned


def test_predictor_step_zero_classifies_the_current_record():
    p = Predictor(steps=(0,), alpha=0.5)
    p.learn(A, 1)
    assert p.classifiers[0].weights[A].any()


def test_predictor_record_numbers_must_increase_until_reset():
    p = Predictor(steps=(1,))
    p.learn(A, 0, record=5)
    with pytest.raises(ValueError, match="must increase.*reset"):
        p.learn(B, 0, record=5)
    p.reset()
    p.learn(B, 0, record=0)  # a new sequence: nothing from record 5 is paired with it
    assert p.classifiers[1].weights.size == 0
    with pytest.raises(ValueError, match="steps"):
        Predictor(steps=())
    with pytest.raises(ValueError, match="steps"):
        Predictor(steps=(-1,))


# -- MLPClassifier --------------------------------------------------------------------------

def noisy_samples(rng, prototypes, n_per_class, size, flips):
    samples = []
    for label, proto in enumerate(prototypes):
        for _ in range(n_per_class):
            keep = rng.choice(proto, proto.size - flips, replace=False)
            fresh = rng.choice(np.setdiff1d(np.arange(size), proto), flips, replace=False)
            samples.append((SDR.from_indices(size, np.concatenate([keep, fresh])), label))
    order = rng.permutation(len(samples))
    return [samples[i] for i in order]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_mlp_classifier_learns_a_separable_sdr_task(backend_name):
    size, classes = 400, 4
    rng = np.random.default_rng(0)
    prototypes = [rng.choice(size, 20, replace=False) for _ in range(classes)]
    train = noisy_samples(rng, prototypes, 6, size, flips=4)
    test = noisy_samples(rng, prototypes, 5, size, flips=4)
    clf = MLPClassifier(size, classes, hidden_sizes=(32,), seed=3, learning_rate=0.01,
                        backend=backend_name)
    before = np.mean([np.argmax(clf.infer(s)) == y for s, y in test])
    for _ in range(5):
        for sdr, label in train:
            clf.learn(sdr, label)
    after = [clf.infer(s) for s, _ in test]
    assert before < 0.6
    assert np.mean([np.argmax(p) == y for p, (_, y) in zip(after, test)]) == 1.0
    assert all(p.dtype == np.float64 and abs(p.sum() - 1) < 1e-5 for p in after)


@pytest.mark.parametrize("backend_name", FP64_BACKENDS)
def test_mlp_classifier_without_hidden_layers_takes_the_sdr_classifier_step(backend_name):
    """No hidden layer, no bias, SGD at rate alpha from zero weights: cross-entropy's gradient
    with respect to the logits is p - target, so both make the same update."""
    size, classes, alpha = 30, 3, 0.2
    mlp = MLPClassifier(size, classes, hidden_sizes=(), seed=0, learning_rate=alpha, optimizer="sgd",
                        bias=False, dtype=np.float64, backend=backend_name)
    state = mlp.state_dict()
    state["model"] = {"0.weight": np.zeros((size, classes))}
    mlp.load_state_dict(state)
    reference = SDRClassifier(alpha=alpha)
    reference.load_state_dict({"alpha": alpha, "weights": np.zeros((size, classes))})
    rng = np.random.default_rng(1)
    for step in range(20):
        bits = np.sort(rng.choice(size, 6, replace=False))
        labels = [step % 3] if step % 4 else [0, 2]
        mlp.learn(bits, labels)
        reference.learn(bits, labels)
    np.testing.assert_allclose(mlp.model[0].weight.numpy(), reference.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mlp.infer(bits), reference.infer(bits), rtol=1e-12)


def test_mlp_classifier_rejects_unknown_labels_and_settings():
    clf = MLPClassifier(10, 2, seed=0)
    with pytest.raises(ValueError, match="outside the 2 categories"):
        clf.learn([1, 2], 2)
    with pytest.raises(ValueError, match="optimizer"):
        MLPClassifier(10, 2, seed=0, optimizer="rmsprop")
    with pytest.raises(ValueError, match="activation"):
        MLPClassifier(10, 2, seed=0, activation="gelu")
    other = MLPClassifier(10, 3, seed=0)
    with pytest.raises(ValueError, match="built with"):
        other.load_state_dict(clf.state_dict())


# -- one API, identical round trips -----------------------------------------------------------

FACTORIES = {
    "sdr": lambda backend, seed=4: SDRClassifier(alpha=0.05),
    "predictor": lambda backend, seed=4: Predictor(steps=(0, 1, 3), alpha=0.05),
    "mlp": lambda backend, seed=4: MLPClassifier(50, 3, hidden_sizes=(16, 8), seed=seed, backend=backend),
}


def probabilities(clf, pattern) -> np.ndarray:
    out = clf.infer(pattern)
    return np.concatenate([out[n] for n in sorted(out)]) if isinstance(out, dict) else out


@pytest.mark.parametrize("kind", list(FACTORIES))
def test_learning_raises_the_label_probability(backend_name, kind):
    clf = FACTORIES[kind](backend_name)
    pattern = SDR.from_sparse(50, [3, 7, 20, 41])
    clf.learn(pattern, 1)
    clf.learn(pattern, 2)
    before = clf.infer(pattern)
    for _ in range(5):
        clf.learn(pattern, 2)
    after = clf.infer(pattern)
    if kind == "predictor":
        before, after = before[0], after[0]
    assert after[2] > before[2]
    np.testing.assert_allclose(after.sum(), 1.0, rtol=1e-6)


@pytest.mark.parametrize("kind", list(FACTORIES))
def test_state_dict_round_trip_is_identical(backend_name, kind):
    rng = np.random.default_rng(2)
    patterns = [np.sort(rng.choice(50, 8, replace=False)) for _ in range(12)]
    original = FACTORIES[kind](backend_name)
    for i, bits in enumerate(patterns[:8]):
        original.learn(bits, i % 3)
    copy = FACTORIES[kind](backend_name, seed=5)  # the MLP starts from other weights
    copy.load_state_dict(original.state_dict())
    for bits in patterns:
        np.testing.assert_array_equal(probabilities(copy, bits), probabilities(original, bits))
    for i, bits in enumerate(patterns[8:]):  # and they keep learning in step
        original.learn(bits, i % 3)
        copy.learn(bits, i % 3)
    for bits in patterns:
        np.testing.assert_array_equal(probabilities(copy, bits), probabilities(original, bits))
