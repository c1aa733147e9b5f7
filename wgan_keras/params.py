"""Validation of arguments and of notebook and command-line parameters.

Each function raises ``ValueError`` naming the parameter and what is
allowed, so a bad value (a papermill ``-p`` value, a constructor argument)
fails at once, before any training. ``NotebookParameters`` also refuses
parameters a notebook does not have.
"""

import math
import numbers
import types

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


class NotebookParameters:
    """A notebook's parameters, each checked once, and nothing else accepted.

    papermill's ``-p NAME VALUE`` defines ``NAME`` in the notebook even when
    the notebook has no such parameter (it only warns), so a typo
    (``-p epoch 5``) would run the notebook at its defaults. Capture the
    names defined before the cell tagged ``parameters``, check every
    parameter through this object, then call :meth:`finish`: any other new
    name is refused with the list of valid ones.

    Args:
        namespace: the notebook's ``globals()``.
        before: the names defined before the ``parameters`` cell.
    """

    def __init__(self, namespace, before):
        self.namespace = namespace
        self.before = set(before)
        self.names = []

    def _value(self, name):
        self.names.append(name)
        return self.namespace[name]

    def int(self, name, minimum=None, maximum=None):
        return require_int(name, self._value(name), minimum, maximum)

    def number(self, name, minimum=None, maximum=None, exclusive_minimum=False):
        return require_number(name, self._value(name), minimum, maximum, exclusive_minimum)

    def choice(self, name, choices):
        return require_choice(name, self._value(name), choices)

    def bool(self, name):
        return require_bool(name, self._value(name))

    def seed(self, name="seed", headroom=0):
        """A seed the notebook may offset by up to ``headroom`` (``seed + k``)."""
        return require_int(name, self._value(name), minimum=0, maximum=2**31 - 3 - headroom)

    def backend(self, name="backend"):
        """The Keras backend the notebook asked for, which must be the one Keras runs on.

        The notebook sets ``KERAS_BACKEND`` from this parameter before it
        imports Keras; a kernel that imported Keras earlier keeps its backend.
        """
        from wgan_keras import backends

        value = self._value(name)
        if not isinstance(value, str):
            require_choice(name, value, backends.SUPPORTED)
        # Before Keras is imported: an unsupported or missing backend is named, not a ModuleNotFoundError.
        problem = backends.problem(value, choose=f"-p {name} {{}}")
        if problem:
            raise ValueError(f"{name}={value!r}: {problem}")
        import keras

        if keras.backend.backend() != value:
            raise ValueError(
                f"{name}={value!r}, but this kernel already runs Keras on {keras.backend.backend()!r} (the backend "
                "is fixed when Keras is first imported): restart the kernel and run the notebook from the top."
            )
        return value

    def text(self, name):
        value = self._value(name)
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string; got {value!r}.")
        return value

    def finish(self):
        """Refuse names that are not parameters (listing the parameters)."""
        unknown = sorted(
            name
            for name, value in self.namespace.items()
            if name not in self.before
            and name not in self.names
            and not name.startswith("_")
            and not isinstance(value, types.ModuleType)  # imports in the checking cell itself
            and value is not self
        )
        if unknown:
            raise ValueError(
                f"Unknown notebook parameter(s) {unknown}: this notebook's parameters are {sorted(self.names)}. "
                "Check the names given to papermill -p."
            )
