"""Validation of notebook and command-line parameters.

Each function raises ``ValueError`` naming the parameter and what is
allowed, so a bad papermill ``-p`` value fails in the first cells, before
any training.
"""

import math
import numbers

import numpy as np


def require_int(name, value, minimum=None, maximum=None):
    """An integer (not a bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {value!r}.")
    _check_range(name, value, minimum, maximum)
    return int(value)


def require_seed(value, name="seed"):
    """A seed: an integer in ``[0, 2**32)``."""
    return require_int(name, value, minimum=0, maximum=2**32 - 1)


def require_number(name, value, minimum=None, maximum=None, exclusive_minimum=False):
    """A finite real number within the bounds (``exclusive_minimum``: strictly above)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    if exclusive_minimum and minimum is not None and not value > minimum:
        raise ValueError(f"{name} must be > {minimum}; got {value!r}.")
    _check_range(name, value, None if exclusive_minimum else minimum, maximum)
    return float(value)


def require_choice(name, value, choices):
    """One of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}.")
    return value


def require_bool(name, value):
    """``True`` or ``False`` (a numpy bool too), returned as a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def _check_range(name, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value!r}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}; got {value!r}.")
