"""Numbers from any backend as numpy, the one converter of the package.

Metrics, plots, callbacks and the command line all take arrays, tensors of
the active backend, Keras variables or Python numbers; they convert them
here so that a bad input gets the same clear error everywhere.
"""

import numbers

import keras
import numpy as np
from keras import ops


def to_numpy(value, name="value", dtype=None):
    """``value`` as a numpy array of numbers (``dtype`` when given).

    Raises ``ValueError`` naming ``name`` for anything that is not numbers
    (strings, objects, ragged lists).
    """
    try:
        if isinstance(value, keras.Variable):
            value = value.numpy()
        elif not isinstance(value, (np.ndarray, numbers.Number, list, tuple)) and hasattr(value, "shape"):
            value = ops.convert_to_numpy(value)
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - any conversion failure is the caller's bad input
        raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__} ({error}).") from None
    if array.dtype == object or not _numeric(array.dtype):
        raise ValueError(f"{name} must be an array of numbers; got dtype {array.dtype}.")
    return array if dtype is None else array.astype(dtype, copy=False)


def _numeric(dtype):
    """Numbers and booleans, ml_dtypes' too (bfloat16, float8: what accelerators compute in)."""
    return np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_) or dtype.type.__module__ == "ml_dtypes"


def scalar(value):
    """``value`` as a Python float when it is a single number, else ``None``."""
    if isinstance(value, (bool, numbers.Real)):
        return float(value)
    try:
        array = to_numpy(value)
    except ValueError:
        return None
    if array.shape == () and np.issubdtype(array.dtype, np.number):
        return float(array)
    return None
