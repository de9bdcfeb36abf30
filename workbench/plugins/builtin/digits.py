"""``digits``: a Spatial Pooler learning handwritten digits, read by two classifiers side by side:
htm.core's softmax SDRClassifier and an MLP classifier trained by the workbench's autograd
(Etaler's issue #91: "SDRClassifier is in fact a simple 2 layer MLP"; a hidden layer should
read the same SDRs better). Digits come from scikit-learn (8x8, no download) by default, or
from MNIST / Fashion-MNIST IDX files in a folder the user gives.

Each pixel is encoded as a thermometer of ``levels`` bits (bit k is on when the intensity passes
(k + 1) / (levels + 1)), so grey levels survive binarisation. Each step trains on one image;
every ``eval_every`` steps both classifiers are scored on the whole test set with learning off.
"""

from __future__ import annotations

import math

import numpy as np

from workbench.engine.data.digits import load_digits_split
from workbench.engine.data.idx import load_mnist_folder
from workbench.engine.htm.classifiers import MLPClassifier, SDRClassifier
from workbench.engine.htm.sdr import SDR
from workbench.engine.htm.spatial_pooler import SpatialPooler
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param
from workbench.session.frames import Stream, StreamKind

from ._pipeline import MovingAverage


def thermometer(images: np.ndarray, levels: int) -> np.ndarray:
    """Images scaled to [0, 1], shape (n, h, w) -> bool (n, h, w, levels)."""
    thresholds = np.arange(1, levels + 1, dtype=np.float32) / np.float32(levels + 1)
    return images[..., None] > thresholds


class Digits(Experiment):
    name = "digits"
    title = "Digits: SP + SDRClassifier vs SP + MLP"
    description = ("A Spatial Pooler learns digit images; htm.core's softmax SDRClassifier and an "
                   "MLP classifier (autograd) read its columns side by side. Watch both test "
                   "accuracies climb; the MLP's hidden layer should pull ahead.")
    version = "1"
    params = (
        Param("dataset", "choice", "digits", "scikit-learn's 8x8 digits, or IDX files in a folder",
              choices=("digits", "idx-folder")),
        Param("folder", "path", "", "folder with MNIST or Fashion-MNIST IDX files (for idx-folder; "
              "Debian's dataset-fashion-mnist installs /usr/share/datasets/fashion-mnist)", optional=True),
        Param("train_limit", "int", 0, "use only this many training images (0 = all)", low=0, high=1000000),
        Param("epochs", "int", 4, "passes over the training images", low=1, high=100),
        Param("levels", "int", 4, "thermometer bits per pixel", low=1, high=16),
        Param("columns", "int", 1024, "Spatial Pooler columns", low=64, high=65536),
        Param("potential_pct", "float", 0.8, low=0.01, high=1.0),
        Param("local_area_density", "float", 0.05, low=0.005, high=0.5),
        Param("boost_strength", "float", 2.0, low=0.0, high=10.0),
        Param("sdr_alpha", "float", 0.01, "SDRClassifier learning rate", low=1e-5, high=1.0),
        Param("mlp_hidden", "int", 128, "MLP hidden units", low=1, high=4096),
        Param("mlp_learning_rate", "float", 0.001, "MLP Adam learning rate", low=1e-5, high=1.0),
        Param("eval_every", "int", 500, "steps between test-set evaluations", low=10, high=1000000),
    )

    def build(self, ctx):
        p = self.p
        if p["dataset"] == "digits":
            data = load_digits_split(seed=0)
            side = 8
        else:
            if not p["folder"]:
                raise ValueError("folder: give the folder holding the IDX files for dataset=idx-folder")
            data = load_mnist_folder(p["folder"])
            side = int(round(math.sqrt(data.x_train[0].size)))
        scale = 1.0 if data.x_train.max() <= 1.0 else 255.0
        x_train = data.x_train.reshape(len(data.x_train), side, side).astype(np.float32) / scale
        x_test = data.x_test.reshape(len(data.x_test), side, side).astype(np.float32) / scale
        if p["train_limit"]:
            x_train, y_train = x_train[:p["train_limit"]], data.y_train[:p["train_limit"]]
        else:
            y_train = data.y_train
        self.images = {"train": x_train, "test": x_test}
        self.labels = {"train": y_train.astype(np.int64), "test": data.y_test.astype(np.int64)}
        self.input_shape = (side, side, p["levels"])
        self.num_classes = int(max(self.labels["train"].max(), self.labels["test"].max())) + 1
        inputs = side * side * p["levels"]
        self.sp = SpatialPooler((inputs,), (p["columns"],), potential_radius=inputs,
                                potential_pct=p["potential_pct"], local_area_density=p["local_area_density"],
                                boost_strength=p["boost_strength"], wrap_around=False, seed=ctx.seed,
                                backend=ctx.backend)
        self.sdr_classifier = SDRClassifier(alpha=p["sdr_alpha"])
        self.mlp = MLPClassifier(p["columns"], self.num_classes, (p["mlp_hidden"],), seed=ctx.seed,
                                 learning_rate=p["mlp_learning_rate"], backend=ctx.backend)
        self.order_rng = np.random.Generator(np.random.PCG64(ctx.seed))
        self.order = self.order_rng.permutation(len(x_train))
        self.position = 0
        self.default_steps = p["epochs"] * len(x_train)
        self.train_hits = {"sdr": MovingAverage(200), "mlp": MovingAverage(200)}
        self.test_accuracy = {"sdr": math.nan, "mlp": math.nan}

    def streams(self):
        side = self.input_shape[0]
        return [
            Stream("image", StreamKind.IMAGE, "Input image"),
            Stream("label", StreamKind.TEXT, "Label"),
            Stream("guess", StreamKind.TEXT, "Guesses (SDRClassifier / MLP)"),
            Stream("encoding", StreamKind.SDR, "Encoded pixels", shape=(side, side * self.input_shape[2])),
            Stream("sp.active", StreamKind.SDR, "Active columns", shape=(self.p["columns"],)),
            Stream("train_accuracy_sdr", StreamKind.SCALAR, "SDRClassifier, training (last 200)", group="accuracy"),
            Stream("train_accuracy_mlp", StreamKind.SCALAR, "MLP, training (last 200)", group="accuracy"),
            Stream("test_accuracy_sdr", StreamKind.SCALAR, "SDRClassifier, test set", group="accuracy"),
            Stream("test_accuracy_mlp", StreamKind.SCALAR, "MLP, test set", group="accuracy"),
            Stream("probabilities_sdr", StreamKind.VECTOR, "SDRClassifier probabilities"),
            Stream("probabilities_mlp", StreamKind.VECTOR, "MLP probabilities"),
        ]

    def views(self):
        return [View("image", ["image"], "Input"), View("text", ["label", "guess"], "Label and guesses"),
                View("sdr", ["encoding"], "Encoded pixels"), View("sdr", ["sp.active"], "Active columns"),
                View("curves", ["train_accuracy_sdr", "train_accuracy_mlp", "test_accuracy_sdr",
                                "test_accuracy_mlp"], "Accuracy"),
                View("vector", ["probabilities_sdr", "probabilities_mlp"], "Class probabilities")]

    def encode(self, image: np.ndarray) -> SDR:
        bits = thermometer(image[None], self.input_shape[2])[0]
        return SDR.from_dense(bits.reshape(self.input_shape[0], -1))

    def _columns(self, image: np.ndarray, learn: bool) -> tuple[SDR, np.ndarray]:
        encoding = self.encode(image)
        return encoding, self.sp.compute(encoding.sparse, learn)

    def step(self):
        if self.position >= len(self.order):
            self.order = self.order_rng.permutation(len(self.order))
            self.position = 0
        index = int(self.order[self.position])
        self.position += 1
        image, label = self.images["train"][index], int(self.labels["train"][index])
        encoding, columns = self._columns(image, self.learning)
        p_sdr = self.sdr_classifier.infer(columns)
        p_mlp = self.mlp.infer(columns)
        guess_sdr = int(np.argmax(p_sdr)) if p_sdr.size else -1
        guess_mlp = int(np.argmax(p_mlp))
        if self.learning:
            self.sdr_classifier.learn(columns, label)
            self.mlp.learn(columns, label)
        values = {
            "train_accuracy_sdr": self.train_hits["sdr"].add(float(guess_sdr == label)),
            "train_accuracy_mlp": self.train_hits["mlp"].add(float(guess_mlp == label)),
        }
        if (self.steps_done + 1) % self.p["eval_every"] == 0:
            self.evaluate()
            values.update({f"test_accuracy_{k}": v for k, v in self.test_accuracy.items()})
        extra = {"probabilities_sdr": p_sdr} if p_sdr.size else {}
        return self.frame(image=(image * 255).astype(np.uint8), label=str(label),
                          guess=f"{guess_sdr if guess_sdr >= 0 else '-'} / {guess_mlp}", encoding=encoding,
                          probabilities_mlp=p_mlp, **{"sp.active": SDR.from_sparse((self.p["columns"],), columns,
                                                                                    validate=False)},
                          **values, **extra)

    def evaluate(self) -> dict[str, float]:
        """Both classifiers' accuracy on the test set, nothing learning."""
        hits = {"sdr": 0, "mlp": 0}
        for image, label in zip(self.images["test"], self.labels["test"]):
            _, columns = self._columns(image, learn=False)
            p_sdr = self.sdr_classifier.infer(columns)
            hits["sdr"] += int(p_sdr.size > 0 and int(np.argmax(p_sdr)) == label)
            hits["mlp"] += int(int(np.argmax(self.mlp.infer(columns))) == label)
        n = len(self.labels["test"])
        self.test_accuracy = {k: v / n for k, v in hits.items()}
        return dict(self.test_accuracy)

    def metrics(self):
        return {f"test_accuracy_{k}": v for k, v in self.evaluate().items()}

    def inspect(self, layer, index):
        if layer != "sp":
            return {}
        return {"kind": "column", "column": int(index), "input_shape": (self.input_shape[0], -1),
                "potential": self.sp.potential_pool(index), "permanences": self.sp.permanences(index),
                "connected": self.sp.connected_synapses(index), "threshold": float(self.sp.params.syn_perm_connected)}

    def state_dict(self):
        return {"sp": self.sp.state_dict(), "sdr_classifier": self.sdr_classifier.state_dict(),
                "mlp": self.mlp.state_dict(), "order_rng": self.order_rng.bit_generator.state,
                "order": self.order.copy(), "position": self.position, "steps": self.steps_done,
                "train_hits": {k: v.state_dict() for k, v in self.train_hits.items()},
                "test_accuracy": dict(self.test_accuracy)}

    def load_state_dict(self, state):
        self.sp.load_state_dict(state["sp"])
        self.sdr_classifier.load_state_dict(state["sdr_classifier"])
        self.mlp.load_state_dict(state["mlp"])
        self.order_rng.bit_generator.state = state["order_rng"]
        self.order = np.asarray(state["order"])
        self.position = int(state["position"])
        self.steps_done = int(state["steps"])
        for k, v in self.train_hits.items():
            v.load_state_dict(state["train_hits"][k])
        self.test_accuracy = dict(state["test_accuracy"])
