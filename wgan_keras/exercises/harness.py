"""How a check runs a student's function and reports it: cases, a table, a summary.

A check is a list of cases. Each case knows what it expects before the
student's function runs, calls the function, and says whether what came back
is right. Whatever the function does (a wrong value, a wrong shape, an
exception) ends up as one row of the table, never as a traceback: a student
who has not written the function yet sees every case fail with
``NotImplementedError: your code here``.

Beside its fixed reference cases, every check draws cases at random from a
seed of its own (``seed=None``: drawn from numpy's global generator, which
``keras.utils.set_random_seed`` seeds) and prints it, so that
``check_<name>(fn, seed=...)`` repeats a failure. Every case knows its
expected value before the student's function runs and gives the function
copies of its inputs: a function that writes into its arguments cannot
change what it is compared with. Functions that training differentiates
(the losses, the penalties) are differentiated too, and their gradients
compared with closed forms.
"""

import copy
import dataclasses
import math

import numpy as np
from keras import ops

from wgan_keras import autodiff, params
from wgan_keras.arrays import to_numpy

#: Widest cell of the printed table; longer texts are cut with an ellipsis.
CELL_WIDTH = 46


class Mismatch(Exception):
    """The student's output has the wrong kind or shape (shown as received, without a type name)."""


@dataclasses.dataclass
class Case:
    """One row of a check's table."""

    name: str
    expected: str
    received: str
    passed: bool


@dataclasses.dataclass
class CheckResult:
    """What a check found: its name and one :class:`Case` per row."""

    name: str
    cases: list
    seed: int | None = None

    @property
    def passed(self):
        """True when there is at least one case and every case passed."""
        return bool(self.cases) and all(case.passed for case in self.cases)

    @property
    def failed(self):
        """The cases that failed."""
        return [case for case in self.cases if not case.passed]

    def count(self):
        return sum(case.passed for case in self.cases), len(self.cases)

    def table(self):
        """The printed report: a header line, then one row per case."""
        passed, total = self.count()
        head = f"{self.name}: {passed} of {total} cases passed" + ("" if passed < total else " - well done")
        rows = [("", "case", "expected", "received")]
        rows += [("PASS" if c.passed else "FAIL", c.name, c.expected, c.received) for c in self.cases]
        cut = [tuple(_cut(text, 64 if i == 1 else CELL_WIDTH) for i, text in enumerate(row)) for row in rows]
        widths = [max(len(row[i]) for row in cut) for i in range(4)]
        lines = ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in cut]
        if self.seed is not None:
            again = f"{self.name}(..., seed={self.seed}) draws them again"
            head += f"\n  random cases drawn with seed={self.seed} ({again})"
        # A failed case's texts in full where the table had to cut them: what came back and what was expected.
        details = [
            f"  {case.name}:\n    expected: {_flat(case.expected)}\n    received: {_flat(case.received)}"
            for case, short in zip(self.cases, cut[1:])
            if not case.passed and short[1:] != (_flat(case.name), _flat(case.expected), _flat(case.received))
        ]
        tail = ["  in full, the failed cases cut above:"] + details if details else []
        return "\n".join([head] + ["  " + line for line in lines] + tail)

    def __repr__(self):
        passed, total = self.count()
        return f"CheckResult({self.name!r}, {passed}/{total} cases passed)"


def _flat(text):
    return " ".join(str(text).split())


def _cut(text, width):
    text = _flat(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def describe_error(error):
    """``Type: message`` of an exception, first line only: what a student needs, without the trace."""
    if isinstance(error, Mismatch):
        return str(error)
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def fmt(value, digits=6):
    """A short text for a number, an array or anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value) + 0.0  # -0.0 prints as 0
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{digits}g}"
    array = np.asarray(value)
    if array.ndim == 0:
        return fmt(array.item(), digits)
    if array.size <= 6:
        return "[" + ", ".join(fmt(v, 4) for v in array.ravel()) + "]" + ("" if array.ndim == 1 else f" {array.shape}")
    return f"array {array.shape}, first {fmt(array.ravel()[0], 4)}"


def to_array(value, what="the result"):
    """The student's value as a float64 numpy array (a tensor of either backend, a list, a number)."""
    try:
        array = np.asarray(to_numpy(value), dtype=np.float64)
    except Exception as error:  # noqa: BLE001 - any failure to convert is the student's result's fault
        raise Mismatch(f"{what} is not numeric: {type(value).__name__}") from error
    return array


def to_scalar(value, what="the result"):
    """The student's value as a Python float; a one-element array counts, anything bigger does not."""
    array = to_array(value, what)
    if array.size != 1:
        raise Mismatch(f"not a scalar: shape {array.shape}")
    return float(array.ravel()[0])


class Once:
    """Calls ``fn`` the first time it is asked and remembers the value or the exception.

    Several cases often judge one call of the student's function (the points a
    recording critic saw, the value and the gradient): if the call raised,
    each of those cases fails with the same message.
    """

    def __init__(self, fn):
        self.fn = fn
        self.done = False
        self.value = None
        self.error = None

    def __call__(self):
        if not self.done:
            self.done = True
            try:
                self.value = self.fn()
            except Exception as error:  # noqa: BLE001 - reported by every case that uses it
                self.error = error
        if self.error is not None:
            raise self.error
        return self.value


def require_function(name, fn):
    """``ValueError`` naming the argument when a check is not given a function."""
    if not callable(fn):
        raise ValueError(f"{name} must be the function you wrote (a callable); got {fn!r}.")
    return fn


#: Seeds a check draws when given none: small enough to read off the table and type.
SEED_RANGE = 1_000_000


def draw_seed(seed):
    """The seed of a check's random cases: ``seed`` itself, or one drawn from numpy's global generator.

    Drawn from the global generator (not the operating system) so that a
    notebook or a test that calls ``keras.utils.set_random_seed`` draws the
    same cases each run, while two calls of a check draw different ones.
    """
    if seed is None:
        return int(np.random.randint(SEED_RANGE))
    return params.require_seed(seed)


def fresh(value):
    """A copy for the student's function: arrays, lists and dicts are copied, tensors are immutable."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value) if isinstance(value, (list, dict, tuple)) else value


def calling(fn, *arguments):
    """``() -> fn(copies of arguments)``: each call gets its own copies, so the originals stay as drawn."""
    return lambda: fn(*(fresh(a) for a in arguments))


def _returned(value):
    """What a student's function returned, in words (for a result that is not a tensor)."""
    if isinstance(value, (bool, np.bool_)):
        return f"a bool ({value})"
    if isinstance(value, (int, float)):
        return f"a Python {type(value).__name__} ({fmt(value)})"
    if isinstance(value, np.generic):
        return f"a numpy {type(value).__name__} ({fmt(value)})"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


#: JAX's errors when traced code turns a tensor into a Python or numpy value.
_TRACER_CONVERSIONS = (
    "ConcretizationTypeError",
    "TracerArrayConversionError",
    "TracerBoolConversionError",
    "TracerIntegerConversionError",
)


def differentiate(compute, variables, wrt, before=None):
    """``(value, gradients)`` of the student's scalar ``compute()`` w.r.t. ``variables``, as numpy.

    Training differentiates a loss or a penalty w.r.t. the weights, so a
    result that is not a tensor (a Python float, a numpy number), or one
    that passes through numpy on the way, cannot train anything: the
    :class:`Mismatch` says what came back and what is expected. ``compute``
    runs once as it is (to see what it returns), then ``before()`` if given
    (a recording critic forgets that call), then under differentiation
    (``wk.autodiff.value_and_gradients``: TensorFlow's tape, ``jax.grad``).
    A gradient that does not reach a variable is zero.
    """
    value = compute()
    if not ops.is_tensor(value):
        raise Mismatch(
            f"returned {_returned(value)}; expected a scalar tensor made with keras.ops, which training "
            f"differentiates w.r.t. {wrt}: float(), .item(), .numpy() and numpy functions cut that gradient"
        )
    if int(np.prod(value.shape)) != 1:
        raise Mismatch(f"not a scalar: shape {tuple(value.shape)}")
    if before is not None:
        before()
    try:
        value, gradients = autodiff.value_and_gradients(lambda: ops.reshape(compute(), ()), variables)
    except Exception as error:
        if type(error).__name__ in _TRACER_CONVERSIONS:
            raise Mismatch(
                f"turns a tensor into a Python or numpy value on the way ({type(error).__name__} under "
                f"jax.grad: float(), .item(), np.asarray or a numpy function); expected keras.ops "
                f"throughout, so that training can differentiate the result w.r.t. {wrt}"
            ) from error
        raise
    return to_scalar(value), [np.asarray(to_numpy(g), np.float64) for g in gradients]


def gradient_text(expected, received):
    """``(received text, passed)`` comparing gradients, with a hint when nothing came through."""
    expected, received = np.asarray(expected, np.float64), np.asarray(received, np.float64)
    if received.shape != expected.shape:
        return f"shape {received.shape}, expected shape {expected.shape}", False
    if not np.all(np.isfinite(received)):
        return f"{int(np.sum(~np.isfinite(received)))} of {received.size} NaN/inf", False
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    passed = close(expected, received, rtol=1e-3, atol=1e-4 * max(scale, 1e-3))
    if not passed and not np.any(received):
        return "all 0: no gradient reaches them (stop_gradient, numpy or float on the way?)", False
    if received.size <= 6:
        return fmt(received), passed
    worst = float(np.max(np.abs(received - expected)))
    return f"max difference {fmt(worst, 3)} (largest expected {fmt(scale, 3)})", passed


def close(expected, received, rtol=1e-5, atol=1e-6):
    """``|received - expected| <= atol + rtol |expected|``; infinities must match exactly."""
    expected, received = np.asarray(expected, np.float64), np.asarray(received, np.float64)
    if expected.shape != received.shape:
        return False
    return bool(
        np.all(
            np.isclose(received, expected, rtol=rtol, atol=atol, equal_nan=False)
            | ((expected == received) & np.isinf(expected))
        )
    )


def run(name, cases, show=True, seed=None):
    """Run ``cases`` (``(case name, expected text, judge)``) and report them.

    ``judge()`` calls the student's function and returns ``(received text,
    passed)``; any exception it raises is a failed case that shows the
    exception's type and message. ``seed`` is the one the random cases were
    drawn with, printed under the table's head.
    """
    rows = []
    for case_name, expected, judge in cases:
        try:
            received, passed = judge()
        except Exception as error:  # noqa: BLE001 - the point of a check: report, never raise
            received, passed = describe_error(error), False
        rows.append(Case(case_name, str(expected), str(received), bool(passed)))
    result = CheckResult(name, rows, seed)
    if show:
        print(result.table())
    return result


def approx_case(case_name, expected, compute, rtol=1e-5, atol=1e-6, digits=6, expected_text=None):
    """A case comparing a scalar the student computes with ``expected`` (shown as ``expected_text`` if given)."""

    def judge():
        received = to_scalar(compute())
        return fmt(received, digits), close(expected, received, rtol, atol)

    return case_name, expected_text or fmt(expected, digits), judge


def array_case(case_name, expected, compute, rtol=1e-5, atol=1e-6):
    """A case comparing an array the student computes with ``expected`` (shape included)."""
    expected = np.asarray(expected, np.float64)

    def judge():
        received = to_array(compute())
        if received.shape != expected.shape:
            return f"shape {received.shape}, expected shape {expected.shape}", False
        passed = close(expected, received, rtol, atol)
        if not passed and not np.all(np.isfinite(received)):
            return f"{int(np.sum(~np.isfinite(received)))} NaN/inf values", False
        if received.size <= 6:
            return fmt(received), passed
        return f"max difference {fmt(float(np.max(np.abs(received - expected))), 3)}", passed

    text = fmt(expected) if expected.size <= 6 else f"array {expected.shape} (max difference <= {fmt(atol, 2)})"
    return case_name, text, judge


def summary(results, require_all=False):
    """Print one line per check and the total; with ``require_all``, fail loudly unless every check passed.

    ``results`` is the list of :class:`CheckResult` a notebook collects; a
    check run twice counts once, with its latest result. ``require_all`` is
    what CI sets (``solutions=True``): an ``AssertionError`` names the checks
    and cases that failed, so the papermill run fails.
    """
    latest = {}
    for result in results:
        if not isinstance(result, CheckResult):
            raise ValueError(f"results must hold the CheckResult objects the checks return; got {result!r}.")
        latest[result.name] = result
    passed = [r for r in latest.values() if r.passed]
    for result in latest.values():
        done, total = result.count()
        print(f"  {'PASS' if result.passed else 'FAIL'}  {result.name}: {done}/{total} cases")
    print(f"{len(passed)} of {len(latest)} checks passed.")
    if require_all:
        failed = [r for r in latest.values() if not r.passed]
        if not latest:
            raise AssertionError("No check ran: the notebook recorded no results.")
        if failed:
            details = "; ".join(
                f"{r.name}: " + ", ".join(c.name for c in r.failed) + ("" if r.seed is None else f" (seed={r.seed})")
                for r in failed
            )
            raise AssertionError(f"{len(failed)} check(s) failed with the reference solutions: {details}")
    return len(passed) == len(latest) and bool(latest)
