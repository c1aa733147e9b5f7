"""A download-free sample-quality score: a small classifier as the feature extractor.

The Inception Score (Salimans et al. 2016) and the Frechet Inception
Distance (Heusel et al. 2017) with a small convnet trained on the real
labelled images (scikit-learn's digits by default) instead of InceptionV3.
Training is deterministic and its weights are cached, keyed by a hash of the
data and the settings, so every run scores against the same classifier.
"""

import hashlib
import json
import math
import numbers
import os
import re
import time
import warnings

import keras
import numpy as np

from wgan_keras import compiled, params
from wgan_keras.arrays import to_numpy
from wgan_keras.data.batching import ArrayBatches
from wgan_keras.data.feeding import keras_input
from wgan_keras.metrics._inputs import require_images
from wgan_keras.metrics._seeding import seeded_scope
from wgan_keras.metrics.frechet import frechet_distance_features
from wgan_keras.metrics.inception import scores_from_probabilities


def default_cache_dir() -> str:
    """``$WGAN_KERAS_CACHE/quality`` if the variable is set, else ``~/.cache/wgan_keras/quality``."""
    root = os.environ.get("WGAN_KERAS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wgan_keras")
    return os.path.join(root, "quality")


_ARCHITECTURE = "convnet-v1: conv3x3(32) + stride-2 conv3x3(64) to <= 4x4 + dense(64, relu, 'features') + softmax"
_FEATURES = 64


def _build_classifier(image_shape, num_classes, seed):
    """A small convnet; its penultimate 64-unit ReLU layer ``"features"`` gives the features."""
    layers = keras.layers
    init = lambda k: keras.initializers.HeNormal(seed=seed + k)  # noqa: E731
    inputs = keras.Input(shape=image_shape, name="quality_images")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(0), name="quality_conv0")(
        inputs
    )
    size, k = min(image_shape[:2]), 1
    while size > 4 or k == 1:
        x = layers.Conv2D(
            64, 3, strides=2, padding="same", activation="relu", kernel_initializer=init(k), name=f"quality_conv{k}"
        )(x)
        size, k = (size + 1) // 2, k + 1
    x = layers.Flatten(name="quality_flatten")(x)
    features = layers.Dense(_FEATURES, activation="relu", kernel_initializer=init(k), name="features")(x)
    probs = layers.Dense(
        num_classes,
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k + 1),
        name="probabilities",
    )(features)
    return keras.Model(inputs, probs, name="quality_classifier")


def _cache_key(images, labels, settings):
    digest = hashlib.sha256()
    digest.update(_ARCHITECTURE.encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    digest.update(repr(images.shape).encode())
    digest.update(np.ascontiguousarray(images, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _auto_epochs(n_train, batch_size):
    """About 1,200 optimiser steps, between 1 and 30 epochs."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    return int(min(30, max(1, math.ceil(1200 / steps_per_epoch))))


class QualityScorer:
    """Sample quality from a small classifier trained on real labelled images.

    A download-free stand-in for the Inception Score and FID on small image
    sets (digits, MNIST-like data): the same formulas (Salimans et al. 2016;
    Heusel et al. 2017), with this classifier instead of InceptionV3. Scores
    are comparable only between runs using the same scorer (same data,
    seed and settings), which the cache guarantees.

    Build it with :meth:`for_digits` or :meth:`fit`; training is
    deterministic (explicit initializer seeds, a seeded NumPy batch order,
    no dropout, and ``keras.utils.set_random_seed`` in a scope that restores
    the caller's random state) and the weights are cached, keyed by a hash
    of the data and settings, so later constructions load instead of train.

    Attributes:
        model: the Keras classifier (images -> class probabilities).
        info: dict: ``name``, ``key``, ``validation_accuracy`` (held-out),
            ``train_seconds``, ``n_train``, ``n_validation``, ``epochs``,
            ``image_shape``, ``num_classes``, ``loaded_from_cache``,
            ``weights_path``.
    """

    def __init__(self, model, info=None):
        if not isinstance(model, keras.Model):
            raise ValueError(f"model must be a keras.Model; got {type(model).__name__}.")
        try:
            features = model.get_layer("features").output
        except ValueError:
            raise ValueError("model must have a layer named 'features' (its output gives the features).") from None
        self.model = model
        self.info = dict(info or {})
        self.image_shape = tuple(int(s) for s in model.input_shape[1:])
        self.num_classes = int(model.output_shape[-1])
        # Features and probabilities side by side, in one compiled call.
        self._both_outputs = keras.Model(
            model.inputs, keras.layers.Concatenate()([features, model.outputs[0]]), name="quality_features_and_probs"
        )
        self._reference = None  # (hash, features) of the last reference set

    # ------------------------------------------------------------ builders
    @classmethod
    def for_digits(cls, seed=0, image_size=8, cache_dir=None, **kwargs):
        """A scorer for scikit-learn's 8x8 digits (offline, about 1,800 images).

        Data from ``wgan_keras.data.digits(image_size, split="all")``:
        ``sklearn.datasets.load_digits`` scaled to [-1, 1] as (H, W, 1)
        images, bilinearly resized when ``image_size != 8``. With the default ``validation_fraction=0.2`` the
        held-out images are exactly ``data.digits(split="validation",
        seed=seed)``: score generators against that split.

        Args:
            seed: seeds the split, the initial weights and the batch order.
            image_size: side of the images the generator produces.
            cache_dir: weights cache (default :func:`default_cache_dir`);
                ``False`` disables caching.
            **kwargs: passed to :meth:`fit` (``epochs``, ``batch_size``, ...).
        """
        from wgan_keras import data

        image_size = params.require_int("image_size", image_size, minimum=1)
        images, labels = data.digits(image_size=image_size, split="all", return_labels=True)
        return cls.fit(images, labels, seed=seed, cache_dir=cache_dir, name=f"digits{image_size}", **kwargs)

    @classmethod
    def fit(
        cls,
        images,
        labels,
        seed=0,
        cache_dir=None,
        name="custom",
        epochs=None,
        batch_size=32,
        validation_fraction=0.2,
        learning_rate=1e-3,
        verbose=0,
    ):
        """Train (or load from the cache) a scorer on real labelled images.

        Args:
            images: ``(N, H, W, C)`` (or ``(N, H, W)``) real images in [-1, 1].
            labels: ``(N,)`` integer classes 0..K-1, K >= 2.
            seed: integer in [0, 2**32): split, initial weights, batch order.
            cache_dir: folder for the cached weights (default
                :func:`default_cache_dir`: ``$WGAN_KERAS_CACHE/quality`` or
                ``~/.cache/wgan_keras/quality``); ``False`` disables caching.
            name: file-name prefix in the cache (letters, digits, ``._-``).
            epochs: ``None`` picks about 1,200 optimiser steps (1..30 epochs).
            batch_size, learning_rate: Adam training settings.
            validation_fraction: in (0, 1): held-out share (stratified) for
                ``info["validation_accuracy"]``.
            verbose: Keras ``fit`` verbosity.
        """
        images, labels = _training_data(images, labels)
        seed = params.require_seed(seed)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"name must be a non-empty string of letters, digits, '.', '_' or '-'; got {name!r}.")
        batch_size = params.require_int("batch_size", batch_size, minimum=1)
        learning_rate = params.require_number("learning_rate", learning_rate, minimum=0, exclusive_minimum=True)
        validation_fraction = params.require_number("validation_fraction", validation_fraction)
        if not 0.0 < validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in the open interval (0, 1); got {validation_fraction!r}.")
        if epochs is not None:
            epochs = params.require_int("epochs", epochs, minimum=1)

        from wgan_keras.data import stratified_split

        num_classes = int(labels.max()) + 1
        train_idx, val_idx = stratified_split(labels, validation_fraction, seed)
        settings = {
            "seed": seed,
            "epochs": _auto_epochs(len(train_idx), batch_size) if epochs is None else epochs,
            "batch_size": batch_size,
            "validation_fraction": validation_fraction,
            "learning_rate": learning_rate,
            "num_classes": num_classes,
        }
        info = {
            "name": name,
            "key": _cache_key(images, labels, settings),
            "image_shape": list(images.shape[1:]),
            "num_classes": num_classes,
            "n_train": int(len(train_idx)),
            "n_validation": int(len(val_idx)),
            **settings,
        }
        cache = None if cache_dir is False else _Cache(default_cache_dir() if cache_dir is None else cache_dir, info)
        if cache is not None:
            cached = cache.load(lambda: _build_classifier(images.shape[1:], num_classes, seed))
            if cached is not None:
                return cls(*cached)
        model, accuracy, seconds = cls._train(images, labels, train_idx, val_idx, settings, verbose)
        info.update(validation_accuracy=accuracy, train_seconds=seconds, loaded_from_cache=False, weights_path=None)
        if cache is not None:
            info["weights_path"] = cache.save(model, info)
        return cls(model, info)

    @staticmethod
    def _train(images, labels, train_idx, val_idx, settings, verbose):
        """Train the classifier; returns ``(model, held-out accuracy, seconds)``."""
        start = time.perf_counter()
        seed, batch_size = settings["seed"], settings["batch_size"]
        rng = np.random.default_rng(seed)
        order = np.concatenate([train_idx[rng.permutation(len(train_idx))] for _ in range(settings["epochs"])])
        with seeded_scope(seed):
            model = _build_classifier(images.shape[1:], settings["num_classes"], seed)
            model.compile(
                optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            batches = ArrayBatches(
                (images, labels), batch_size, shuffle=False, repeat=False, drop_remainder=False, order=order
            )
            model.fit(keras_input(batches), epochs=1, verbose=verbose, shuffle=False)
        probs = compiled.predict(model, images[val_idx], batch_size=512)
        accuracy = float(np.mean(np.argmax(probs, axis=1) == labels[val_idx]))
        return model, accuracy, time.perf_counter() - start

    # ------------------------------------------------------------ scoring
    @property
    def loaded_from_cache(self) -> bool:
        """True when the weights came from the cache instead of training."""
        return bool(self.info.get("loaded_from_cache", False))

    @property
    def accuracy(self):
        """Held-out accuracy of the classifier (``info["validation_accuracy"]``)."""
        return self.info.get("validation_accuracy")

    def _prepare(self, name, images):
        array = require_images(name, images)
        if array.shape[1:] != self.image_shape:
            raise ValueError(
                f"{name} must have images of shape {self.image_shape} (what this scorer was trained on); "
                f"got {array.shape}. Build the scorer for that size (e.g. for_digits(image_size=...))."
            )
        # Out-of-range generator values are clipped, as writing an image would.
        return np.clip(array, -1.0, 1.0)

    def _outputs(self, name, images):
        both = compiled.predict(self._both_outputs, self._prepare(name, images), batch_size=512)
        return both[:, : -self.num_classes].astype(np.float64), both[:, -self.num_classes :].astype(np.float64)

    def features(self, images) -> np.ndarray:
        """Penultimate-layer activations ``(N, 64)`` of float images in [-1, 1]."""
        return self._outputs("images", images)[0]

    def predict(self, images) -> np.ndarray:
        """Class probabilities ``(N, K)``."""
        return self._outputs("images", images)[1]

    def _reference_features(self, reference):
        array = self._prepare("reference", reference)
        digest = hashlib.sha256(array.tobytes() + repr(array.shape).encode()).hexdigest()
        if self._reference is None or self._reference[0] != digest:
            self._reference = (digest, self._outputs("reference", array)[0])
        return self._reference[1]

    def frechet_distance(self, images_a, images_b) -> float:
        """FID formula (Heusel et al. 2017) on this classifier's features.

        The squared Frechet distance between Gaussian fits of
        ``features(images_a)`` and ``features(images_b)``
        (:func:`frechet_distance_features`); each set needs >= 2 images.
        """
        return frechet_distance_features(self.features(images_a), self._reference_features(images_b))

    def classifier_score(self, images, min_fraction=0.01) -> dict:
        """Inception-Score formula (Salimans et al. 2016) with this classifier.

        Returns:
            dict: ``{"score": exp(E_x KL(p(y|x) || p(y))) in [1, K],
            "class_coverage": fraction of the K classes that are the argmax
            of at least max(1, min_fraction * N) images, "confidence": mean
            max probability}``.
        """
        if isinstance(min_fraction, bool) or not isinstance(min_fraction, numbers.Real) or not 0 <= min_fraction <= 1:
            raise ValueError(f"min_fraction must be a number in [0, 1]; got {min_fraction!r}.")
        return self._probability_scores(self._outputs("images", images)[1], min_fraction)

    def _probability_scores(self, probs, min_fraction=0.01):
        counts = np.bincount(np.argmax(probs, axis=1), minlength=self.num_classes)
        needed = max(1.0, min_fraction * len(probs))
        return {
            "score": scores_from_probabilities(probs, 1)[0],
            "class_coverage": float(np.mean(counts >= needed)),
            "confidence": float(probs.max(axis=1).mean()),
        }

    def evaluate(self, generated, reference) -> dict:
        """All scores at once: ``{"fd", "score", "class_coverage", "confidence"}``.

        ``fd`` is :meth:`frechet_distance` (generated vs. reference; the
        reference features are cached between calls with the same array);
        the others are :meth:`classifier_score` of ``generated``.
        """
        features, probs = self._outputs("generated", generated)
        if len(features) < 2:
            raise ValueError(f"generated needs at least 2 images; got {len(features)}.")
        scores = {"fd": frechet_distance_features(features, self._reference_features(reference))}
        scores.update(self._probability_scores(probs))
        return scores

    def __repr__(self):
        acc = self.accuracy
        acc = "?" if acc is None else f"{acc:.3f}"
        return (
            f"QualityScorer(name={self.info.get('name')!r}, image_shape={self.image_shape}, "
            f"classes={self.num_classes}, held-out accuracy={acc}, cached={self.loaded_from_cache})"
        )


def _training_data(images, labels):
    """Images in [-1, 1] and one integer class per image, at least two classes."""
    images = require_images("images", images)
    if images.min() < -1.001 or images.max() > 1.001:
        raise ValueError(
            f"images must be scaled to [-1, 1]; got values in [{images.min():.3g}, {images.max():.3g}] "
            "(e.g. for uint8 pixels use x / 127.5 - 1)."
        )
    labels = to_numpy(labels, "labels")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be {len(images)} integers (one per image); got dtype {labels.dtype} and shape {labels.shape}."
        )
    if labels.min() < 0 or len(np.unique(labels)) < 2:
        raise ValueError("labels must be integers >= 0 with at least 2 different classes.")
    if len(images) < 2:
        raise ValueError(f"images must hold at least 2 images (a training and a held-out one); got {len(images)}.")
    return images, labels.astype(np.int64)


class _Cache:
    """The weights of one scorer, keyed by the hash of its data and settings."""

    def __init__(self, folder, info):
        self.info = info
        stem = os.path.join(os.fspath(folder), f"{info['name']}-{info['key'][:20]}")
        self.weights_path, self.info_path = stem + ".weights.h5", stem + ".json"

    def load(self, build):
        """``(model, info)`` from the cache, or ``None`` (missing, another key, or unreadable)."""
        if not (os.path.exists(self.weights_path) and os.path.exists(self.info_path)):
            return None
        try:
            with seeded_scope(self.info["seed"]):
                model = build()
            model.load_weights(self.weights_path)
            with open(self.info_path) as handle:
                saved = json.load(handle)
        except Exception as error:  # noqa: BLE001 - a broken cache entry: train again
            warnings.warn(f"QualityScorer: could not load {self.weights_path} ({error}); training again.", stacklevel=3)
            return None
        if saved.get("key") != self.info["key"]:
            return None
        saved.update(loaded_from_cache=True, weights_path=self.weights_path)
        return model, saved

    def save(self, model, info):
        """Write the weights and the info atomically; returns the weights' path."""
        os.makedirs(os.path.dirname(self.weights_path), exist_ok=True)
        partial = f"{self.weights_path[: -len('.weights.h5')]}.{os.getpid()}.partial.weights.h5"
        model.save_weights(partial)
        os.replace(partial, self.weights_path)
        partial = f"{self.info_path}.{os.getpid()}.partial"
        with open(partial, "w") as handle:
            json.dump(
                {k: v for k, v in info.items() if k not in ("loaded_from_cache", "weights_path")}, handle, indent=1
            )
        os.replace(partial, self.info_path)
        return self.weights_path
