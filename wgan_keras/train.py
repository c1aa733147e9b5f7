"""Train GAN, WGAN or WGAN-GP from the command line, crash-safe.

    wgan-keras                                      # WGAN-GP on 8 gaussians
    python -m wgan_keras.train                      # the same program
    python -m wgan_keras.train --model wgan --data digits --epochs 20
    python -m wgan_keras.train --backend jax        # the same on JAX
    python -m wgan_keras.train --data mnist --data-dir ~/tensorflow_datasets

Writes into ``--out`` (default ``outputs/run``): ``model.keras`` (the trained
model, loadable with ``keras.models.load_model``), ``history.csv`` (one row
per epoch), ``samples.png`` and, last, ``metrics.json`` (the evaluation:
exact W1 and mode coverage on toy data, the sample-quality score on digits).
Every file is written under a temporary name and renamed, so each one is
complete or absent.

Every epoch is ``--steps-per-epoch`` generator iterations, for every model
(WGAN's warm-up iterations read more real batches; the data then continues
into its next pass).

Crash safety: the whole training state is backed up atomically at the end of
every epoch under ``OUT/backup`` (the latest and the previous backup), with
the run's settings and backend in ``OUT/run.json`` and in every backup. Run
the same command again after a crash, a kill or Ctrl-C and training resumes
from the last good backup (or finishes writing the files of a run whose
training had completed); the result is the same as an uninterrupted run. A
rerun with different settings, or on the other backend, is refused, naming
each difference. A finished run is never overwritten unless ``--overwrite``
is given, which removes everything the earlier run wrote. A loss or weight
that becomes NaN or inf stops the run with ``wgan_keras.TrainingDiverged``
(exit code 3), keeping the last good backup.

One run at a time per ``--out``: a run holds a lock on it (the kernel
releases it when the process ends, however it ends), and a second run is
refused at once, naming the first one's process. Everything that can be
checked (the arguments, the backend, the folder, the data) is checked before
anything is written into ``--out``: a refused run leaves nothing behind.

Exit codes: 0 done; 1 the disk is full (the line names the file and the
space it needs; free space and run the same command to resume); 2 refused
(bad arguments, backend, folder or data; the reason in one line); 3 the
training diverged; 130 interrupted (Ctrl-C, which during training stops the
run at the end of the running step, a second Ctrl-C at once; the line says how
to resume).

Data: toy data is an endless stream whose batch k is drawn from
``(seed, k)`` (fresh samples for every critic update, as the official WGAN-GP
toy code draws them, in constant memory); digits are the bundled
scikit-learn digits. Every critic update reads a fresh batch, and a resumed
run reads exactly the batches an uninterrupted run would.

Output: a progress bar on a terminal, one line per epoch otherwise
(``--verbose``). The lines TensorFlow's C++ runtime writes to the standard
error (start-up, "Compiled cluster using XLA") are hidden unless
``TF_CPP_MIN_LOG_LEVEL`` is set in the environment; Python's warnings and
errors are shown.
"""

import argparse
import contextlib
import csv
import io
import json
import math
import os
import re
import shlex
import signal
import sys
import time
import warnings

from wgan_keras import backends, params
from wgan_keras.lock import FolderBusy, FolderLock

MODELS = ("gan", "wgan", "wgan-gp")
TOY = ("8gaussians", "25gaussians", "swissroll")
IMAGES = ("digits", "mnist", "fashion_mnist", "cifar10", "celeb_a", "lsun/bedroom")
BACKENDS = ("tensorflow", "jax", "torch")

#: The official WGAN-GP toy code (gan_toy.py) uses lambda = 0.1 ("smaller
#: lambda makes things faster for toy tasks") and Adam(1e-4, 0.5, 0.9).
TOY_GP_WEIGHT = 0.1
TOY_BETA_1 = 0.5
#: Seeds ``--seed`` .. ``--seed + SEED_OFFSET`` are the command line's: the data draws from ``seed`` and
#: ``seed + 1``, the model from ``seed`` .. ``seed + 2``, the evaluation from ``seed + 7`` (one kept spare).
SEED_OFFSET = 8

#: Settings that define a run: a resumed run must use the same ones.
RUN_SETTINGS = (
    "model",
    "data",
    "steps_per_epoch",
    "batch_size",
    "n_critic",
    "gp_weight",
    "clip_value",
    "no_warmup",
    "learning_rate",
    "hidden",
    "depth",
    "image_size",
    "latent_dim",
    "seed",
    "jit_compile",
)
#: How the messages write this program (``wgan-keras`` is the same program, where the package is installed).
PROGRAM = "python -m wgan_keras.train"
ARTEFACTS = ("model.keras", "history.csv", "samples.png", "metrics.json", "run.json")
#: Copies of a damaged history.csv a resumed run replaced (``history.csv.damaged``, ``-2``, ...).
DAMAGED = re.compile(r"^history\.csv\.damaged(-\d+)?$")


class UsageError(Exception):
    """A bad command line or output folder: one line on stderr, exit code 2."""


def _positive_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def parse_args(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    # The checks of the constructors and of fit() that take these values, made before Keras loads.
    counts = ("epochs", "steps_per_epoch", "batch_size", "n_critic", "hidden", "depth", "latent_dim", "image_size")
    try:
        for name in counts:
            if getattr(args, name) is not None:
                params.require_int("--" + name.replace("_", "-"), getattr(args, name), minimum=1)
        if args.gp_weight is not None:
            params.require_number("--gp-weight", args.gp_weight, minimum=0)
    except ValueError as error:
        parser.error(str(error))
    try:
        params.require_seed(args.seed, "--seed", keras=True, offset=SEED_OFFSET)
    except ValueError:
        parser.error(f"--seed must be in [0, {params.seed_max(keras=True, offset=SEED_OFFSET)}]; got {args.seed}.")
    toy = args.data in TOY
    args.batch_size = args.batch_size or (256 if toy else 64)
    args.latent_dim = args.latent_dim or (2 if toy else 128)
    if args.gp_weight is None:
        args.gp_weight = TOY_GP_WEIGHT if toy else 10.0
    if args.verbose is None:
        args.verbose = 1 if sys.stdout.isatty() else 2
    return args


def _parser():
    from wgan_keras import __version__

    parser = argparse.ArgumentParser(
        prog="wgan-keras",
        description="Train GAN, WGAN (clipping) or WGAN-GP (gradient penalty), crash-safe. "
        "The same program runs as `wgan-keras` and as `python -m wgan_keras.train`.",
    )
    parser.add_argument("--version", action="version", version=f"wgan_keras {__version__}")
    parser.add_argument("--model", default="wgan-gp", choices=MODELS)
    parser.add_argument("--data", default="8gaussians", choices=TOY + IMAGES)
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else tensorflow)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps-per-epoch", type=int, default=100, help="generator iterations per epoch")
    parser.add_argument("--batch-size", type=int, help="default: 256 on toy data, 64 on images")
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--gp-weight", type=float, help=f"default: {TOY_GP_WEIGHT} on toy data, 10 on images")
    parser.add_argument("--clip-value", type=_positive_number, default=0.01)
    parser.add_argument("--no-warmup", action="store_true", help="WGAN: no 100-critic-iteration warm-up")
    parser.add_argument("--learning-rate", type=_positive_number, help="both networks (default: the paper's)")
    parser.add_argument("--hidden", type=int, default=512, help="toy MLP width")
    parser.add_argument("--depth", type=int, default=3, help="toy MLP depth")
    parser.add_argument("--image-size", type=int, help="resize images to this size")
    parser.add_argument("--latent-dim", type=int, help="default: 2 on toy data, 128 on images")
    parser.add_argument("--data-dir", help="tensorflow-datasets directory (MNIST, CIFAR-10, ...)")
    parser.add_argument(
        "--seed", type=int, default=0, help=f"0 <= seed <= {params.seed_max(keras=True, offset=SEED_OFFSET)}"
    )
    parser.add_argument("--strategy", default="auto", choices=("auto", "default", "mirrored", "multi_worker", "tpu"))
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"))
    parser.add_argument("--out", default=os.path.join("outputs", "run"))
    parser.add_argument(
        "--overwrite", action="store_true", help="start afresh: remove what an earlier run in OUT wrote"
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), help="0 silent, 1 progress bar, 2 a line per epoch")
    return parser


def resume_command(argv, backend):
    """The command that resumes the run of ``argv``: the same arguments without ``--overwrite``, on ``backend``."""
    options = [o for action in _parser()._actions for o in action.option_strings if o.startswith("--")]

    def option(token):  # argparse accepts unambiguous prefixes
        name = token.split("=", 1)[0]
        matches = [o for o in options if o.startswith(name)] if name.startswith("--") else []
        return name if name in options else (matches[0] if len(matches) == 1 else None)

    words, rest = [], list(argv)
    while rest:
        token = rest.pop(0)
        if token == "--":
            words += [token, *rest]
            break
        name = option(token)
        if name == "--overwrite":
            continue
        if name == "--backend":
            if "=" not in token and rest:
                rest.pop(0)
            continue
        words.append(token)
    return " ".join([PROGRAM, shlex.join([*words, "--backend", backend])])


# ------------------------------------------------------------ the run folder
def resolve_backend(args):
    """The backend this run will use (``--backend``, else ``KERAS_BACKEND``); ``UsageError`` if it cannot run."""
    if args.backend:
        requested, source = args.backend, "--backend"
    else:
        requested, source = os.environ.get("KERAS_BACKEND", "tensorflow"), "KERAS_BACKEND"
    problem = backends.problem(requested, choose="--backend {}")
    if problem:
        raise UsageError(f"{source}={requested}: {problem}")
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != requested:
        running = sys.modules["keras"].backend.backend()
        raise UsageError(f"{source}={requested}, but Keras already runs on {running} in this process.")
    return requested


def prepare_out(args, backend):
    """Check ``--out`` (locked) without writing anything; returns the plan of the run or raises ``UsageError``.

    The plan: ``state`` (``"new"``, ``"resume"`` or ``"overwrite"``), ``first`` (the epoch the backup
    resumes after), ``rows`` and ``damage`` (the history before it, and what was wrong with the file).
    """
    out = args.out
    plan = argparse.Namespace(state="new", first=0, rows=[], damage=None)
    names = set(os.listdir(out)) - {".lock"}
    if names and args.overwrite:
        plan.state = "overwrite"
        return plan
    if "metrics.json" in names:
        raise UsageError(
            f"{os.path.join(out, 'metrics.json')} exists: the run in {out!r} is complete. Pass --overwrite to "
            "train it again (its files are removed first) or choose another --out."
        )
    if not names:
        return plan
    recorded = _read_record(out)
    with _quiet_native_stderr():
        from wgan_keras.backup import AtomicBackupAndRestore

    backup = AtomicBackupAndRestore(os.path.join(out, "backup"))
    with warnings.catch_warnings():  # training begins with the same warnings, if any
        warnings.simplefilter("ignore")
        metadata = backup.read_metadata()
    # What the backup holds is what a resume continues: its own record comes first.
    recorded = (metadata or {}).get("run") or recorded
    if recorded is None:
        if metadata is not None or backup.has_backup_files():
            raise UsageError(
                f"{out!r} holds backup files but no run.json, and no backup records the settings it was made "
                "with (an older version wrote it, or it is damaged), so resuming could mix two runs' settings. Put "
                "back its run.json to resume it, or start afresh with --overwrite (its files are removed) or "
                "another --out."
            )
        mine = [name for name in ("model.keras", "history.csv", "samples.png") if name in names]
        if mine:
            raise UsageError(
                f"{out!r} holds {', '.join(mine)} this command did not write (no run.json). Pass --overwrite to "
                "replace it or choose another --out."
            )
        return plan
    _check_same_run(recorded, args, backend)
    plan.state = "resume"
    plan.first = metadata["epoch"] if metadata else 0
    plan.rows, plan.damage = read_history(os.path.join(out, "history.csv"), plan.first)
    return plan


def _check_writable(out):
    probe = os.path.join(out, f".write-test-{os.getpid()}")
    try:
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise UsageError(f"--out {out!r} is not writable ({error.strerror}).") from None


def _settings(args):
    return {name: getattr(args, name) for name in RUN_SETTINGS}


def _read_record(out):
    """``run.json``: ``{"settings": ..., "backend": ...}``, or ``None`` when there is none."""
    try:
        with open(os.path.join(out, "run.json")) as handle:
            record = json.load(handle)
        record["settings"].keys()
        return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError(
            f"{os.path.join(out, 'run.json')} is unreadable ({error}); pass --overwrite to start afresh."
        ) from None


def _check_same_run(recorded, args, backend):
    current = _settings(args)
    settings = recorded["settings"]
    changed = [
        f"--{name.replace('_', '-')}: {settings.get(name)!r} in the run, {current[name]!r} now"
        for name in RUN_SETTINGS
        if settings.get(name) != current[name]
    ]
    ran_on = recorded.get("backend")
    if ran_on not in (None, backend):
        # Continuing on the other backend gives a result equal to neither backend's run: refuse.
        if not changed:
            raise UsageError(
                f"{args.out!r} holds an unfinished run trained on {ran_on}; continuing it on {backend} would mix "
                f"two backends' numbers in one run. Start afresh on {backend} with --overwrite (its files are "
                f"removed) or another --out, or resume it with: {resume_command(args.argv, ran_on)}"
            )
        changed.append(f"--backend: {ran_on!r} in the run, {backend!r} now")
    if changed:
        raise UsageError(
            f"{args.out!r} holds an unfinished run with other settings, so resuming would mix them: "
            + "; ".join(changed)
            + ". Run the same command as before to resume it, or start afresh with --overwrite (its files are "
            "removed) or another --out."
        )


def _remove_earlier_run(out):
    """``--overwrite``: remove what an earlier run wrote in ``out`` (once the new run has been checked)."""
    from wgan_keras.backup import AtomicBackupAndRestore

    for name in os.listdir(out):
        if name in ARTEFACTS or DAMAGED.match(name):
            os.remove(os.path.join(out, name))
    AtomicBackupAndRestore(os.path.join(out, "backup")).delete()


# ------------------------------------------------------------------ data
def real_data(args):
    """``(real samples or batches for fit, held-out sample for evaluation)``."""
    import numpy as np

    from wgan_keras import data

    if args.data in TOY:
        # A stream, in constant memory whatever the run's length: batch k is
        # a function of (seed, k), fresh samples for every critic update as
        # gan_toy.py's inf_train_gen draws them.
        stream = data.toy_dataset(args.data, batch_size=args.batch_size, seed=args.seed)
        return stream, data.toy(args.data, 2500, seed=args.seed + 1)
    if args.data == "digits":
        size = args.image_size or 8
        train = data.digits(image_size=size, split="train", seed=args.seed)
        return train, data.digits(image_size=size, split="validation", seed=args.seed)
    stream = data.load(
        args.data,
        split="train",
        batch_size=args.batch_size,
        image_size=args.image_size,
        data_dir=args.data_dir,
        seed=args.seed,
        repeat=True,
    )
    reference = data.load(
        args.data,
        split="train",
        batch_size=256,
        image_size=args.image_size,
        data_dir=args.data_dir,
        seed=args.seed + 1,
    )
    return stream, np.concatenate([np.asarray(b) for b in reference.take(8)])


def build_model(args, sample_shape):
    import wgan_keras as wk

    if args.data in TOY:
        generator = wk.nets.mlp_generator(
            latent_dim=args.latent_dim, output_shape=sample_shape, hidden=args.hidden, depth=args.depth, seed=args.seed
        )
        critic = wk.nets.mlp_critic(input_shape=sample_shape, hidden=args.hidden, depth=args.depth, seed=args.seed)
    else:
        generator = wk.nets.dcgan_generator(latent_dim=args.latent_dim, image_shape=sample_shape, seed=args.seed)
        normalization = {"gan": "batch", "wgan": "batch", "wgan-gp": "layer"}[args.model]
        critic = wk.nets.dcgan_critic(image_shape=sample_shape, normalization=normalization, seed=args.seed)
    options = {
        "gan": {},
        "wgan": {"n_critic": args.n_critic, "clip_value": args.clip_value, "critic_warmup": not args.no_warmup},
        "wgan-gp": {"n_critic": args.n_critic, "gp_weight": args.gp_weight},
    }[args.model]
    model = wk.build(args.model, generator, critic, seed=args.seed, **options)
    # The toy code's Adam uses beta_1 = 0.5; the paper's Algorithm 1 uses 0.
    beta_1 = TOY_BETA_1 if args.model == "wgan-gp" and args.data in TOY else None
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    model.compile(jit_compile=jit, learning_rate=args.learning_rate, beta_1=beta_1)
    return model


def evaluate(model, args, reference):
    """Scores of the final generator, on the same footing for every model."""
    from wgan_keras import metrics
    from wgan_keras.arrays import scalar

    samples = model.generate(len(reference), seed=args.seed + 7)
    if args.data in TOY:
        return metrics.toy_scores(samples, reference, args.data), samples
    if args.data == "digits":
        scorer = metrics.QualityScorer.for_digits(seed=0, image_size=args.image_size or 8)
        scores = {k: scalar(v) for k, v in scorer.evaluate(samples, reference).items() if scalar(v) is not None}
        return scores, samples
    return {"sliced_w1": metrics.sliced_wasserstein(samples, reference, seed=args.seed)}, samples


def figure(model, args, reference, samples):
    from wgan_keras import measures, plots

    title = f"{args.model} on {args.data}"
    if args.data in TOY:
        grid = measures.critic_values_on_grid(model)
        return plots.critic_surface(grid, real=reference[:1000], fake=samples[:1000], title=title)
    return plots.image_grid(samples[:64], title=title)


# --------------------------------------------------------------- history
def history_logger(path, rows, damage=None):
    """A ``CSVLogger`` that survives resumes: ``rows`` (the epochs before the restored backup), then a row per epoch.

    ``damage``: the history file is damaged (see :func:`read_history`); a copy of it is kept before it is replaced.
    """
    import keras

    from wgan_keras.backup import write_atomically

    class HistoryCSV(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rows = list(rows)

        def on_epoch_end(self, epoch, logs=None):
            from wgan_keras.arrays import scalar

            if damage:  # nothing the run wrote is lost: the damaged file is kept beside
                _keep_damaged(path)
            self.rows.append({"epoch": epoch, **{k: scalar(v) for k, v in (logs or {}).items()}})
            names = list(dict.fromkeys(k for row in self.rows for k in row))

            def write(partial):
                with open(partial, "w", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=names)
                    writer.writeheader()
                    writer.writerows(self.rows)

            write_atomically(path, write)

    return HistoryCSV()


def read_history(path, first):
    """``(rows, damage)``: the rows of epochs ``0 .. first - 1`` that can be read, and ``None`` or what is wrong.

    Rows of later epochs are dropped without a word (a run killed after an epoch's row was written and
    before its backup). A file that cannot be read, rows that cannot be read or missing epochs are damage.
    """
    if not os.path.exists(path):
        return [], (f"{path} is missing" if first else None)
    problems, by_epoch = [], {}
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            lines = list(reader)
            fields = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        lines, fields = [], ["epoch"]
        problems.append(f"cannot be read ({error})")
    if "epoch" not in fields:
        problems.append("has no epoch column")
        lines = []
    unreadable = 0
    for row in lines:
        try:
            epoch = int(row["epoch"])
        except (TypeError, ValueError):
            epoch = None
        if epoch is None or epoch < 0 or None in row or None in row.values():
            unreadable += 1
        elif epoch < first:
            by_epoch.setdefault(epoch, row)
    if unreadable:
        problems.append(f"has {unreadable} unreadable row{'s' * (unreadable > 1)}")
    missing = [epoch for epoch in range(first) if epoch not in by_epoch]
    if missing:
        problems.append(f"has no row for epochs {_epochs(missing)}")
    return [by_epoch[epoch] for epoch in sorted(by_epoch)], (f"{path} " + ", ".join(problems) if problems else None)


def _epochs(numbers):
    """``0, 1`` or ``0-41, 43``: consecutive runs of three or more as ranges."""
    parts, run = [], [numbers[0]]
    for number in numbers[1:] + [None]:
        if number is not None and number == run[-1] + 1:
            run.append(number)
            continue
        parts += [f"{run[0]}-{run[-1]}"] if len(run) > 2 else [str(n) for n in run]
        run = [number]
    return ", ".join(parts)


def _damaged_copy(path):
    """Where the damaged ``path`` is kept: an existing copy with the same content, else a free name."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        content = handle.read()
    for index in range(1, 1000):
        name = f"{path}.damaged" + (f"-{index}" if index > 1 else "")
        if not os.path.exists(name):
            return name
        with open(name, "rb") as handle:
            if handle.read() == content:
                return name
    return f"{path}.damaged-{os.getpid()}"


def _keep_damaged(path):
    from wgan_keras.backup import write_atomically

    copy = _damaged_copy(path)
    if copy is None or os.path.exists(copy):
        return
    with open(path, "rb") as handle:
        content = handle.read()

    def write(partial):
        with open(partial, "wb") as handle:
            handle.write(content)

    write_atomically(copy, write, size=len(content))


# ------------------------------------------------------------------ main
#: The user's choice, read when the command starts: importing JAX sets TF_CPP_MIN_LOG_LEVEL itself.
_SHOW_NATIVE_LINES = "TF_CPP_MIN_LOG_LEVEL" in os.environ


@contextlib.contextmanager
def _quiet_native_stderr():
    """Hide what TensorFlow's C++ runtime writes to file descriptor 2, keep Python's standard error.

    ``TF_CPP_MIN_LOG_LEVEL`` hides the start-up lines on TensorFlow 2.21 but not
    on 2.20, whose absl logger prints "All log messages before
    absl::InitializeLog()" and "Compiled cluster using XLA" during training. So
    descriptor 2 points at the null device for the whole run while Python's
    ``sys.stderr`` (warnings, errors, tracebacks) writes to a copy of the real
    one. A user who sets ``TF_CPP_MIN_LOG_LEVEL`` sees everything.
    """
    if _SHOW_NATIVE_LINES:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    encoding = python_stderr.encoding
    sys.stderr = open(saved, "w", buffering=1, closefd=False, encoding=encoding, errors="backslashreplace")
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None):
    """The command line; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.argv = argv
    loaded = sys.modules.get("keras")
    if args.backend and loaded is not None and loaded.backend.backend() != args.backend:
        # Keras picks its backend once per process, when it is first imported.
        print(
            f"error: --backend {args.backend}: Keras was already imported with the {loaded.backend.backend()} "
            "backend in this process; run the command in a fresh process (wgan-keras or python -m "
            "wgan_keras.train), or set KERAS_BACKEND before importing Keras.",
            file=sys.stderr,
        )
        return 2
    try:
        args.resolved_backend = resolve_backend(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.environ["KERAS_BACKEND"] = args.resolved_backend
    lock = FolderLock(args.out, command=" ".join([PROGRAM, shlex.join(argv)]))
    progress = {"phase": "setup", "epoch": 0, "state": "new"}
    try:
        _lock(lock, args)
        with ctrl_c_between_steps(progress):
            return _run(args, progress)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_interrupted(args, progress), file=sys.stderr)
        return 130
    finally:
        # A run that wrote nothing leaves nothing, not even the folder it made.
        lock.release(remove_folder_if_empty=True)


def _lock(lock, args):
    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out!r} is a file, not a folder.")
    try:
        lock.acquire()
    except FolderBusy as error:
        raise UsageError(f"{error}: wait until it ends, or choose another --out.") from None
    except OSError as error:
        made = os.path.isdir(out)
        raise UsageError(
            f"--out {out!r} {'is not writable' if made else 'cannot be created'} ({error.strerror})."
        ) from None
    _check_writable(out)


def _interrupted(args, progress):
    """The line Ctrl-C prints: where the run stood, its last backup, the command that resumes it."""
    command = resume_command(args.argv, args.resolved_backend)
    epoch = None
    if progress["phase"] != "setup" or progress["state"] == "resume":
        from wgan_keras.backup import AtomicBackupAndRestore

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metadata = AtomicBackupAndRestore(os.path.join(args.out, "backup")).read_metadata()
        epoch = metadata and metadata["epoch"]
    backup = (
        f"the last backup is of epoch {epoch}, in {os.path.join(args.out, 'backup')}"
        if epoch
        else "no backup was made yet"
    )
    if progress["phase"] == "setup":
        if progress["state"] != "resume":
            return "interrupted before training started; nothing was written."
        where = "interrupted before training resumed"
    elif progress["phase"] == "training":
        where = f"interrupted in epoch {progress['epoch']}/{args.epochs}"
    else:
        where = "interrupted while writing the results of the finished training"
    return f"{where}; {backup}; resume with: {command}"


def _run(args, progress):
    out, backend = args.out, args.resolved_backend
    plan = prepare_out(args, backend)
    progress["state"] = plan.state
    steps = f"{args.epochs} epochs x {args.steps_per_epoch} generator iterations"
    print(
        f"{'resuming' if plan.state == 'resume' else 'training'} {args.model} on {args.data}: {steps}, out {out}",
        flush=True,
    )
    if plan.damage:
        copy = _damaged_copy(os.path.join(out, "history.csv"))
        kept = f", and keeps the damaged file as {copy}" if copy else ""
        print(f"warning: {plan.damage}: the resumed history keeps the rows that can be read{kept}.", file=sys.stderr)
    with _quiet_native_stderr():
        return _train(args, progress, plan)


def _train(args, progress, plan):
    out, backend = args.out, args.resolved_backend
    from wgan_keras import distribute

    strategy = distribute.get_strategy(args.strategy)  # first: multi-worker needs it before any op
    import keras

    import wgan_keras as wk

    print(f"backend {keras.backend.backend()}; building the networks...", flush=True)

    from wgan_keras.backup import DiskFull, remove_stale_partials, write_atomically, write_json
    from wgan_keras.data import DatasetNotFoundError

    # The lock is ours: temporary files of an earlier, killed process are stale.
    remove_stale_partials(out, of=lambda name: name in ARTEFACTS or bool(DAMAGED.match(name)))
    remove_stale_partials(os.path.join(out, "backup"))

    keras.utils.set_random_seed(args.seed)
    try:
        real, reference = real_data(args)
    except (ValueError, ImportError, DatasetNotFoundError) as error:
        raise UsageError(f"--data {args.data}: {error}") from None
    if hasattr(real, "shape") and len(real) < args.batch_size:
        raise UsageError(
            f"--batch-size {args.batch_size} is larger than the {len(real)} training samples of --data "
            f"{args.data}: use --batch-size {len(real)} or less."
        )
    if isinstance(real, keras.utils.PyDataset):
        sample_shape = tuple(real[0].shape[1:])
    else:
        sample_shape = tuple(real.shape[1:]) if hasattr(real, "shape") else tuple(real.element_spec.shape[1:])
    with strategy.scope():
        try:
            model = build_model(args, sample_shape)
        except ValueError as error:  # the library's argument checks: one line each
            raise UsageError(str(error)) from None
    if plan.state == "overwrite":
        _remove_earlier_run(out)
    record = {"settings": _settings(args), "backend": keras.backend.backend()}
    backup = wk.backup.AtomicBackupAndRestore(os.path.join(out, "backup"), delete_on_success=False, run=record)
    run_json = run_json_writer(os.path.join(out, "run.json"), record)
    # run.json, then the epoch's history row, then its backup: a backup never exists without them,
    # and a run that never finished an epoch leaves nothing.
    callbacks = [
        progress_logger(progress),
        run_json,
        history_logger(os.path.join(out, "history.csv"), plan.rows, plan.damage),
        backup,
    ]
    fit = {"batch_size": args.batch_size} if args.data == "digits" else {}
    started = time.time()
    try:
        if plan.state == "resume":
            run_json.write()  # a run resumed without its run.json gets it back
        progress["phase"], progress["epoch"] = "training", plan.first
        model.fit(
            real,
            epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch,
            callbacks=callbacks,
            verbose=args.verbose,
            **fit,
        )
        seconds = time.time() - started
        progress["phase"] = "writing"
        if progress.get("ctrl_c"):  # pressed after the last step's check
            raise KeyboardInterrupt
        # The files, each complete or absent; metrics.json last marks the run complete.
        latest = backup.read_metadata()
        weights = latest and os.path.join(backup.backup_dir, latest["weights"])
        write_atomically(os.path.join(out, "model.keras"), model.save, size=weights and os.path.getsize(weights))
        scores, samples = evaluate(model, args, reference)
        fig = figure(model, args, reference, samples)
        write_atomically(
            os.path.join(out, "samples.png"),
            lambda partial: fig.savefig(partial, dpi=100, format="png"),
            size=lambda: _png_size(fig),
        )
    except wk.TrainingDiverged as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except wk.backup.BackupUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DiskFull as error:
        print(
            f"error: {error}. Free some space, then resume with: {resume_command(args.argv, backend)}",
            file=sys.stderr,
        )
        return 1
    summary = {
        "model": args.model,
        "data": args.data,
        "backend": keras.backend.backend(),
        "generator_iterations": int(keras.ops.convert_to_numpy(model.generator_iterations)),
        "resumed_from_epoch": backup.restored_epoch,
        "train_seconds_this_process": round(seconds, 1),
        # JSON has no NaN: a score that is undefined (no high-quality sample) is null.
        **{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in scores.items()},
    }
    try:
        write_json(os.path.join(out, "metrics.json"), summary)
    except DiskFull as error:
        print(
            f"error: {error}. Free some space, then resume with: {resume_command(args.argv, backend)}",
            file=sys.stderr,
        )
        return 1
    backup.delete()
    print(json.dumps(summary))
    return 0


def _png_size(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    return buffer.tell()


def progress_logger(progress):
    """Keeps ``progress["epoch"]`` (1-based, as Keras prints it) for the line Ctrl-C prints.

    Also stops the training, with ``KeyboardInterrupt``, at the first step or
    epoch boundary after a Ctrl-C that :func:`ctrl_c_between_steps` deferred.
    """
    import keras

    def stop_if_asked():
        if progress.get("ctrl_c"):
            raise KeyboardInterrupt

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            stop_if_asked()
            progress["epoch"] = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            stop_if_asked()

    return Progress()


@contextlib.contextmanager
def ctrl_c_between_steps(progress):
    """While training, Ctrl-C stops the run at the end of the running step; a second Ctrl-C at once.

    Python raises ``KeyboardInterrupt`` in whatever Python code runs next;
    during a step that can be code a native runtime calls back and whose
    exceptions it may discard, and the run would train on to its end. A flag
    that the training loop reads between steps cannot be lost, and the run
    stops at a step boundary. Outside training the interrupt is raised at once,
    as usual. A process that ignores SIGINT (started with ``&`` by a
    non-interactive shell) keeps ignoring it.
    """

    def handler(signum, frame):
        if progress["phase"] != "training" or progress.get("ctrl_c"):
            raise KeyboardInterrupt
        progress["ctrl_c"] = True

    try:
        previous = signal.getsignal(signal.SIGINT)
        heeded = previous is signal.default_int_handler
        if heeded:
            signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: signals cannot be handled here
        heeded = False
    try:
        yield
    finally:
        if heeded:
            signal.signal(signal.SIGINT, previous)


def run_json_writer(path, record):
    """Writes ``run.json`` (``record``: settings and backend) at the end of the first epoch, or at ``write()``."""
    import keras

    from wgan_keras.backup import write_json

    class RunJson(keras.callbacks.Callback):
        written = False

        def write(self):
            write_json(path, record)
            self.written = True

        def on_epoch_end(self, epoch, logs=None):
            if not self.written:
                self.write()

    return RunJson()


if __name__ == "__main__":
    sys.exit(main())
