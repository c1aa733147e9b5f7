"""Argument checks shared by the metrics: samples, images and features as numpy."""

import numpy as np

from wgan_keras.arrays import to_numpy


def require_samples(name, value):
    """``value`` as float64 ``(n, ...)`` with n >= 1, finite; 1-D -> (n, 1)."""
    array = to_numpy(value, name).astype(np.float64, copy=False)
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array of samples (n,) or (n, ...); got a scalar.")
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] == 0 or array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; all samples must be finite.")
    return array


def require_paired_samples(x, y, x_name="x", y_name="y"):
    x = require_samples(x_name, x)
    y = require_samples(y_name, y)
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"{x_name} and {y_name} must have the same shape per sample; got {x_name} {x.shape} "
            f"(per sample {x.shape[1:]}) and {y_name} {y.shape} (per sample {y.shape[1:]})."
        )
    return x.reshape(len(x), -1), y.reshape(len(y), -1)


def require_features(name, value, min_rows=2):
    array = to_numpy(value, name).astype(np.float64, copy=False)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n, features); got shape {array.shape}.")
    if len(array) < min_rows or array.shape[1] == 0:
        raise ValueError(
            f"{name} needs at least {min_rows} rows (a covariance is estimated) and one feature; "
            f"got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def require_images(name, value, channels=None):
    """float32 ``(N, H, W, C)``; ``(N, H, W)`` gets C = 1; finite; N >= 1."""
    array = to_numpy(value, name)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[0] == 0 or min(array.shape[1:]) == 0:
        raise ValueError(
            f"{name} must be a non-empty batch of images (N, H, W, C) or (N, H, W); got shape {array.shape}."
        )
    if channels is not None and array.shape[-1] not in channels:
        raise ValueError(f"{name} must have {' or '.join(map(str, channels))} channels; got shape {array.shape}.")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; images must be finite floats in [-1, 1].")
    return array
