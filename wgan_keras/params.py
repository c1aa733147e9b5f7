"""Validation of arguments and of notebook and command-line parameters.

Each function raises ``ValueError`` naming the parameter and what is
allowed, so a bad value (a papermill ``-p`` value, a constructor argument)
fails at once, before any training. ``NotebookParameters`` also refuses
parameters a notebook does not have.
"""

import ast
import collections
import math
import numbers
import re

import numpy as np

#: The seed policy, in one place. numpy's generators (the data, the metrics) take seeds in ``[0, 2**32)``;
#: Keras's random streams (``keras.random.SeedGenerator``, an int32 on JAX) in ``[0, 2**31)``.
SEED_MAX = 2**32 - 1
KERAS_SEED_MAX = 2**31 - 1
#: A model draws from three Keras streams: ``seed``, ``seed + 1`` and ``seed + 2`` (training, sampling, validation).
MODEL_SEED_OFFSET = 2


def require_int(name, value, minimum=None, maximum=None):
    """An integer (not a bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {value!r}.")
    _check_range(name, value, minimum, maximum)
    return int(value)


def seed_max(keras=False, offset=0):
    """The largest seed ``s`` for which ``s + offset`` is still a seed (of a Keras random stream with ``keras``)."""
    return (KERAS_SEED_MAX if keras else SEED_MAX) - offset


def require_seed(value, name="seed", keras=False, offset=0):
    """A seed: an integer in ``[0, seed_max(keras, offset)]``.

    ``keras``: a Keras random stream draws from it (``[0, 2**31)``; else numpy's
    ``[0, 2**32)``). ``offset``: the largest ``k`` the caller adds (``seed + k``).
    """
    return require_int(name, value, minimum=0, maximum=seed_max(keras, offset))


def require_number(name, value, minimum=None, maximum=None, exclusive_minimum=False):
    """A finite real number within the bounds (``exclusive_minimum``: strictly above)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        low = "" if minimum is None else f" {'>' if exclusive_minimum else '>='} {minimum}"
        high = "" if maximum is None else f"{' and' if low else ''} <= {maximum}"
        raise ValueError(f"{name} must be a finite number{low}{high}; got {value!r}.")
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
    """A notebook's parameters, read from its parameters cell, each checked once, nothing else accepted.

    The parameters are the names the cell tagged ``parameters`` declares, one
    per line, ``name: type = value  # [constraint] meaning``. The optional
    constraint that opens the comment says what is allowed: an interval
    ``[1, )``, ``(0, )``, ``[0.05, 0.95]`` (``(``/``)`` exclusive, an empty end
    unbounded) or a set of choices ``{8 | 16}``. papermill's ``-p NAME VALUE``
    sets ``NAME`` in its own cell after the parameters cell even when the
    notebook has no such parameter (it only warns), so a typo (``-p epoch 5``)
    or a name the notebook uses for something else (``-p os 5``, rebound by
    ``import os``) would run the notebook at its defaults: :meth:`finish`
    refuses every name papermill set that the parameters cell does not declare.

    Args:
        namespace: the notebook's ``globals()``.
        cell: the source of the parameters cell.
        given: the names papermill set (its ``injected-parameters`` cell).
    """

    def __init__(self, namespace, cell, given=()):
        self.namespace = namespace
        self.declared = parse_parameters_cell(cell)
        self.given = list(given)
        self.names = []

    @classmethod
    def from_history(cls, namespace):
        """The parameters of the notebook running in this IPython kernel (its input history ``In``).

        The parameters cell is the latest executed cell made only of annotated
        assignments; papermill's cell is the one after it that opens with
        ``# Parameters``.
        """
        history = list(namespace.get("In") or [])
        cells = [i for i, source in enumerate(history) if _is_parameters_cell(source)]
        if not cells and namespace.get("__annotations__"):
            # A kernel that keeps no input history (nbval re-executing an executed notebook): the annotated
            # assignments of the parameters cell are still known by name and type, not their allowed values.
            kinds = {name: getattr(kind, "__name__", str(kind)) for name, kind in namespace["__annotations__"].items()}
            cell = "\n".join(f"{name}: {kind} = None  # {_ANY.get(kind, '')}" for name, kind in kinds.items())
            return cls(namespace, cell)
        if not cells:
            raise ValueError(
                "No parameters cell has run in this kernel (a cell of 'name: type = value  # meaning' lines): "
                "run the notebook from the top."
            )
        cell = history[cells[-1]]
        given = []
        for source in history[cells[-1] + 1 :]:
            if source.lstrip().startswith("# Parameters"):
                given += [target.id for node in ast.parse(source).body for target in node.targets]
        return cls(namespace, cell, given)

    def check_all(self, seed_headroom=0):
        """Check every declared parameter against its type and constraint, write it back, then :meth:`finish`.

        ``seed_headroom``: how far the notebook offsets ``seed`` (``seed + k``).
        Returns ``{name: value}``.
        """
        values = {}
        for name, (kind, constraint) in self.declared.items():
            if name == "backend":
                value = self.backend()
            elif name == "seed":
                value = self.seed(headroom=seed_headroom)
            elif isinstance(constraint, tuple) and not isinstance(constraint, Interval):
                value = self.choice(name, constraint)
            elif kind == "bool":
                value = self.bool(name)
            elif kind == "str":
                value = self.text(name)
            elif kind == "int":
                value = self.int(name, **_bounds(name, constraint, integer=True))
            elif kind == "float":
                value = self.number(name, **_bounds(name, constraint))
            else:
                raise ValueError(f"parameter {name}: unsupported type {kind!r} (int, float, bool or str).")
            self.namespace[name] = values[name] = value
        self.finish()
        return values

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
        """A seed the notebook may offset by up to ``headroom`` (``seed + k``) and give to a model."""
        return require_seed(self._value(name), name, keras=True, offset=MODEL_SEED_OFFSET + headroom)

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
        """Refuse names papermill set that the parameters cell does not declare (listing the parameters)."""
        unknown = sorted(set(self.given) - set(self.declared))
        if unknown:
            raise ValueError(
                f"Unknown notebook parameter(s) {unknown}: this notebook's parameters are {sorted(self.declared)}. "
                "Check the names given to papermill -p."
            )


_ANY = {"int": "(, )", "float": "(, )"}  # any value of the type (used without the cell's source)
Interval = collections.namedtuple("Interval", "low high low_open high_open")
_INTERVAL = re.compile(r"^([\[(])\s*([^,\])]*?)\s*,\s*([^\])]*?)\s*([\])])")
_CHOICES = re.compile(r"^\{([^}]*)\}")


def parse_parameters_cell(source):
    """``{name: (type, constraint)}`` of a parameters cell, in order.

    ``constraint`` is ``None``, a tuple of choices, or an :class:`Interval`
    (``None`` for an unbounded end).
    """
    declared = {}
    for line in source.splitlines():
        code, _, comment = line.partition("#")
        if not code.strip():
            continue
        (node,) = ast.parse(code).body
        if not isinstance(node, ast.AnnAssign):
            raise ValueError(f"parameters cell: every line is 'name: type = value  # meaning'; got {line!r}.")
        kind = ast.unparse(node.annotation)
        declared[node.target.id] = (kind, _constraint(node.target.id, kind, comment.strip()))
    return declared


def _constraint(name, kind, comment):
    convert = {"int": int, "float": float}.get(kind, str)
    if match := _INTERVAL.match(comment):
        low, high = (convert(end) if end else None for end in match.group(2, 3))
        return Interval(low, high, match.group(1) == "(", match.group(4) == ")")
    if match := _CHOICES.match(comment):
        return tuple(convert(choice.strip().strip("'\"")) for choice in match.group(1).split("|"))
    if kind in ("int", "float") and name != "seed":
        raise ValueError(f"parameter {name}: its comment must open with its allowed range, e.g. [1, ) or (0, ).")
    return None


def _bounds(name, interval, integer=False):
    low, high, low_open, high_open = interval
    if high_open and high is not None:
        raise ValueError(f"parameter {name}: an open upper bound is not supported; write ']'.")
    if low_open and low is not None:
        if integer:
            return {"minimum": low + 1, "maximum": high}
        return {"minimum": low, "maximum": high, "exclusive_minimum": True}
    return {"minimum": low, "maximum": high}


def _is_parameters_cell(source):
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, ast.AnnAssign) and node.simple for node in body)


def setup(namespace, seed_headroom=0):
    """The one call after a notebook's parameters cell (and its generated Colab bootstrap).

    Checks every parameter the parameters cell declares and refuses any other
    name papermill set (:class:`NotebookParameters`), checks that Keras runs on
    the requested ``backend``, seeds Keras with ``seed``, hides two messages
    that are about the library's internals rather than the notebook (TensorFlow's
    retracing notice; the note that the small digits set is read many times per
    epoch, which the notebooks do on purpose) and prints the versions.
    Returns ``{name: value}`` of the checked parameters.
    """
    import warnings

    import keras

    import wgan_keras

    values = NotebookParameters.from_history(namespace).check_all(seed_headroom=seed_headroom)
    if "seed" in values:
        keras.utils.set_random_seed(values["seed"])
    warnings.filterwarnings("ignore", message="The critic schedule reads .* real batches")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    print(
        f"wgan_keras {wgan_keras.__version__} | keras {keras.__version__} | backend {keras.backend.backend()} | "
        f"{len(values)} parameters checked"
    )
    return values
