"""The Inception Score and the Frechet Inception Distance with Keras's InceptionV3.

Nothing is ever downloaded from here: without the ImageNet weights file in
the Keras cache a clear ``RuntimeError`` says how to get it.
"""

import os

import keras
import numpy as np
import scipy.special

from wgan_keras import compiled, params
from wgan_keras.metrics._inputs import require_images
from wgan_keras.metrics._seeding import seeded_scope
from wgan_keras.metrics.frechet import frechet_distance_features

#: The file ``keras.applications.InceptionV3(weights="imagenet")`` loads.
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def scores_from_probabilities(probs, splits):
    """``exp(E_x KL(p(y|x) || p(y)))`` on each of ``splits`` chunks (Salimans et al. 2016, Section 4)."""
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(scipy.special.rel_entr(part, marginal), axis=1)
        scores.append(float(np.exp(kl.mean())))
    return scores


#: Built InceptionV3 models, keyed by the weights (None or a file path): from
#: images in [-1, 1] of any size to the 2048 pool-3 features and the 1000
#: probabilities side by side.
_INCEPTION_MODELS = {}


def _keras_cache_dirs():
    """Where ``keras.utils.get_file`` keeps downloads: ``$KERAS_HOME`` if set, else Keras's home and ``~/.keras``."""
    if os.environ.get("KERAS_HOME"):
        return [os.path.expanduser(os.environ["KERAS_HOME"])]
    dirs = []
    try:
        from keras.src.backend import config

        dirs.append(os.path.expanduser(config.keras_home()))
    except Exception:  # noqa: BLE001
        pass
    dirs.append(os.path.join(os.path.expanduser("~"), ".keras"))
    dirs.append(os.path.join("/tmp", ".keras"))  # get_file's fallback when home is read-only
    return list(dict.fromkeys(dirs))


def inception_weights_path(weights="imagenet"):
    """The local InceptionV3 weights file for ``weights``, never downloading.

    Args:
        weights: ``"imagenet"`` (looks for ``models/`` +
            :data:`INCEPTION_WEIGHTS_FILE` in the Keras cache: ``$KERAS_HOME``
            when set, else ``~/.keras``), a path to a Keras ``.h5`` weights
            file of the full InceptionV3 (with its 1000-class top), or
            ``None`` (random weights, for tests).

    Returns:
        The file path, or ``None`` for ``weights=None``.

    Raises:
        RuntimeError: ``"imagenet"`` weights are not in the cache.
        ValueError: any other value, or a path that does not exist.
    """
    if weights is None:
        return None
    if weights == "imagenet":
        candidates = [os.path.join(d, "models", INCEPTION_WEIGHTS_FILE) for d in _keras_cache_dirs()]
        for path in candidates:
            if os.path.isfile(path):
                return path
        raise RuntimeError(
            f"The ImageNet InceptionV3 weights ({INCEPTION_WEIGHTS_FILE}, about 92 MB) are not in the Keras "
            f"cache (looked in: {', '.join(candidates)}), and wgan_keras never downloads them. Either run once "
            "with internet access (e.g. on Colab) `keras.applications.InceptionV3(weights='imagenet')`, which "
            "saves the file under ~/.keras/models (or $KERAS_HOME/models), and copy it to this machine; or pass "
            "weights='/path/to/inception_v3_weights_tf_dim_ordering_tf_kernels.h5'. weights=None uses random "
            "weights (meaningless scores; for testing only)."
        )
    if isinstance(weights, (str, os.PathLike)):
        path = os.path.expanduser(os.fspath(weights))
        if not os.path.isfile(path):
            raise ValueError(
                f"weights must be 'imagenet', None or an existing .h5 weights file; {path!r} does not exist."
            )
        return os.path.abspath(path)
    raise ValueError(f"weights must be 'imagenet', None or a path to an .h5 weights file; got {weights!r}.")


def _inception(weights, image_shape):
    """The cached InceptionV3 for ``weights`` and RGB images of ``image_shape``; built once."""
    path = inception_weights_path(weights)  # raises before anything is built
    key = (path, tuple(image_shape))
    if key not in _INCEPTION_MODELS:
        with seeded_scope(0):
            base = keras.applications.InceptionV3(include_top=True, weights=None, input_shape=(299, 299, 3))
        if path is not None:
            base.load_weights(path)
        inputs = keras.Input(image_shape)
        # Inputs in [-1, 1] are what InceptionV3's preprocess_input produces.
        resized = keras.layers.Resizing(299, 299, interpolation="bilinear")(inputs)
        outputs = keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.outputs[0]])(resized)
        _INCEPTION_MODELS[key] = keras.Model(inputs, keras.layers.Concatenate()(outputs), name="inception_v3_fid_is")
    return _INCEPTION_MODELS[key]


def _inception_outputs(name, images, batch_size, weights):
    batch_size = params.require_int("batch_size", batch_size, minimum=1)
    images = np.clip(require_images(name, images, channels=(1, 3)), -1.0, 1.0)
    if images.shape[-1] == 1:  # grey -> RGB
        images = np.repeat(images, 3, axis=-1)
    both = compiled.predict(_inception(weights, images.shape[1:]), images, batch_size).astype(np.float64)
    return both[:, :2048], both[:, 2048:]


def inception_score(images, splits=10, batch_size=32, weights="imagenet"):
    """Inception Score (Salimans et al. 2016) with Keras's InceptionV3.

    ``IS = exp(E_x KL(p(y|x) || p(y)))`` over the 1000 ImageNet classes,
    computed on each of ``splits`` equal chunks (``numpy.array_split``);
    returns the mean and standard deviation over the chunks, as the
    original code does (10 splits of 50,000 images in the papers). Images
    (float, [-1, 1], (N, H, W, 1 or 3); grey is repeated to RGB) are
    bilinearly resized to 299x299. Keras's InceptionV3 is not the TF1 graph
    of the original code (1008 outputs), so values differ slightly from
    published ones: compare numbers computed the same way.

    Args:
        images: generated images.
        splits: integer in [1, N].
        batch_size: images per forward pass.
        weights: ``"imagenet"`` (from the local Keras cache, never
            downloaded: ``RuntimeError`` when absent), a path to the ``.h5``
            file, or ``None`` (random weights; only for testing. InceptionV3
            at 299x299 is slow on a CPU: about a second per image or two).

    Returns:
        ``(mean, std)`` as Python floats.
    """
    splits = params.require_int("splits", splits, minimum=1)
    inception_weights_path(weights)  # fail fast, before touching the images
    images = require_images("images", images, channels=(1, 3))
    if splits > len(images):
        raise ValueError(f"splits must be at most the number of images ({len(images)}); got {splits}.")
    _, probs = _inception_outputs("images", images, batch_size, weights)
    scores = scores_from_probabilities(probs, splits)
    return float(np.mean(scores)), float(np.std(scores))


def frechet_inception_distance(images_a, images_b, batch_size=32, weights="imagenet") -> float:
    """Frechet Inception Distance (Heusel et al. 2017) with Keras's InceptionV3.

    The squared Frechet distance between Gaussian fits of the 2048-d pool-3
    (``avg_pool``) activations of the two image sets
    (:func:`frechet_distance_features`). Images are float in [-1, 1],
    (N, H, W, 1 or 3), bilinearly resized to 299x299; each set needs at
    least 2 images (the papers use 10,000-50,000; FID is biased upwards for
    small sets, so compare at equal sizes). ``weights`` as in
    :func:`inception_score`.
    """
    inception_weights_path(weights)  # fail fast
    images_a = require_images("images_a", images_a, channels=(1, 3))
    images_b = require_images("images_b", images_b, channels=(1, 3))
    if len(images_a) < 2 or len(images_b) < 2:
        raise ValueError(f"images_a and images_b need at least 2 images each; got {len(images_a)} and {len(images_b)}.")
    features_a, _ = _inception_outputs("images_a", images_a, batch_size, weights)
    features_b, _ = _inception_outputs("images_b", images_b, batch_size, weights)
    return frechet_distance_features(features_a, features_b)
