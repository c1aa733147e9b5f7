"""Train GAN, WGAN or WGAN-GP from the command line, crash-safe.

    python -m wgan_keras.train                      # WGAN-GP on 8 gaussians
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
the run's settings in ``OUT/run.json``. Run the same command again after a
crash or a kill and training resumes from the last good backup (or finishes
writing the files of a run whose training had completed); the result is the
same as an uninterrupted run. A rerun with different settings is refused,
naming each difference. A finished run is never overwritten unless
``--overwrite`` is given, which removes everything the earlier run wrote. A
loss or weight that becomes NaN or inf stops the run with
``wgan_keras.TrainingDiverged`` (exit code 3), keeping the last good backup.

Data: toy data is an endless stream whose batch k is drawn from
``(seed, k)`` (fresh samples for every critic update, as the official WGAN-GP
toy code draws them, in constant memory); digits are the bundled
scikit-learn digits. Every critic update reads a fresh batch, and a resumed
run reads exactly the batches an uninterrupted run would.

Output: a progress bar on a terminal, one line per epoch otherwise
(``--verbose``). TensorFlow's C++ start-up lines are hidden unless
``TF_CPP_MIN_LOG_LEVEL`` is set in the environment.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import sys
import time

MODELS = ("gan", "wgan", "wgan-gp")
TOY = ("8gaussians", "25gaussians", "swissroll")
IMAGES = ("digits", "mnist", "fashion_mnist", "cifar10", "celeb_a", "lsun/bedroom")
BACKENDS = ("tensorflow", "jax")

#: The official WGAN-GP toy code (gan_toy.py) uses lambda = 0.1 ("smaller
#: lambda makes things faster for toy tasks") and Adam(1e-4, 0.5, 0.9).
TOY_GP_WEIGHT = 0.1
TOY_BETA_1 = 0.5

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
ARTEFACTS = ("model.keras", "history.csv", "samples.png", "metrics.json", "run.json")


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
    parser = argparse.ArgumentParser(
        prog="python -m wgan_keras.train",
        description="Train GAN, WGAN (clipping) or WGAN-GP (gradient penalty), crash-safe.",
    )
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
    parser.add_argument("--seed", type=int, default=0, help="0 <= seed < 2**31 - 8")
    parser.add_argument("--strategy", default="auto", choices=("auto", "default", "mirrored", "multi_worker", "tpu"))
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"))
    parser.add_argument("--out", default=os.path.join("outputs", "run"))
    parser.add_argument(
        "--overwrite", action="store_true", help="start afresh: remove what an earlier run in OUT wrote"
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), help="0 silent, 1 progress bar, 2 a line per epoch")
    args = parser.parse_args(argv)
    for name in ("epochs", "steps_per_epoch", "batch_size", "n_critic", "hidden", "depth", "latent_dim", "image_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1; got {value}.")
    if args.gp_weight is not None and not (math.isfinite(args.gp_weight) and args.gp_weight >= 0):
        parser.error(f"--gp-weight must be a finite number >= 0; got {args.gp_weight}.")
    # The model uses seed, seed + 1 and seed + 2; the evaluation seed + 7.
    if not 0 <= args.seed < 2**31 - 8:
        parser.error(f"--seed must be in [0, {2**31 - 9}]; got {args.seed}.")
    toy = args.data in TOY
    args.batch_size = args.batch_size or (256 if toy else 64)
    args.latent_dim = args.latent_dim or (2 if toy else 128)
    if args.gp_weight is None:
        args.gp_weight = TOY_GP_WEIGHT if toy else 10.0
    if args.verbose is None:
        args.verbose = 1 if sys.stdout.isatty() else 2
    return args


# ------------------------------------------------------------ the run folder
def prepare_out(args):
    """Check ``--out`` before anything is written; returns ``"new"``, ``"resume"`` or raises ``UsageError``."""
    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out!r} is a file, not a folder.")
    existing = os.path.isdir(out) and os.listdir(out)
    if existing and args.overwrite:
        _check_writable(out)
        for name in ARTEFACTS:
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
        from wgan_keras.backup import AtomicBackupAndRestore

        AtomicBackupAndRestore(os.path.join(out, "backup")).delete()
        return "new"
    if os.path.exists(os.path.join(out, "metrics.json")):
        raise UsageError(
            f"{os.path.join(out, 'metrics.json')} exists: the run in {out!r} is complete. Pass --overwrite to "
            "train it again (its files are removed first) or choose another --out."
        )
    if existing:
        recorded = _read_settings(out)
        if recorded is None:
            if os.path.exists(os.path.join(out, "model.keras")):
                raise UsageError(
                    f"{out!r} holds a model.keras this command did not write (no run.json). Pass --overwrite to "
                    "replace it or choose another --out."
                )
        else:
            _check_same_settings(recorded, args)
            _check_writable(out)
            return "resume"
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out!r} cannot be created ({error.strerror}).") from None
    _check_writable(out)
    return "new"


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


def _read_settings(out):
    try:
        with open(os.path.join(out, "run.json")) as handle:
            return json.load(handle)["settings"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(
            f"{os.path.join(out, 'run.json')} is unreadable ({error}); pass --overwrite to start afresh."
        ) from None


def _check_same_settings(recorded, args):
    current = _settings(args)
    changed = [
        f"--{name.replace('_', '-')}: {recorded.get(name)!r} in the run, {current[name]!r} now"
        for name in RUN_SETTINGS
        if recorded.get(name) != current[name]
    ]
    if changed:
        raise UsageError(
            f"{args.out!r} holds an unfinished run with other settings, so resuming would mix them: "
            + "; ".join(changed)
            + ". Run the same command as before to resume it, or start afresh with --overwrite (its files are "
            "removed) or another --out."
        )


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
def history_logger(path, backup):
    """A ``CSVLogger`` that survives resumes: rows of epochs after the restored backup are dropped."""
    import keras

    from wgan_keras.backup import write_atomically

    class HistoryCSV(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            # It runs before the backup restores the model: read the backup's epoch itself.
            metadata = backup.read_metadata()
            first = metadata["epoch"] if metadata else 0
            self.rows = [row for row in _read_rows(path) if int(row["epoch"]) < first]

        def on_epoch_end(self, epoch, logs=None):
            from wgan_keras.arrays import scalar

            self.rows.append({"epoch": epoch, **{k: scalar(v) for k, v in (logs or {}).items()}})
            names = list(dict.fromkeys(k for row in self.rows for k in row))

            def write(partial):
                with open(partial, "w", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=names)
                    writer.writeheader()
                    writer.writerows(self.rows)

            write_atomically(path, write)

    return HistoryCSV()


def _read_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------ main
@contextlib.contextmanager
def _quiet_native_stderr():
    """Hide the C++ lines TensorFlow prints when it starts (unless TF_CPP_MIN_LOG_LEVEL is set)."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None):
    args = parse_args(argv)
    try:
        state = prepare_out(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    steps = f"{args.epochs} epochs x {args.steps_per_epoch} generator iterations"
    print(
        f"{'resuming' if state == 'resume' else 'training'} {args.model} on {args.data}: {steps}, out {args.out}",
        flush=True,
    )
    with _quiet_native_stderr():
        from wgan_keras import distribute

        strategy = distribute.get_strategy(args.strategy)  # first: multi-worker needs it before any op
        import keras

        import wgan_keras as wk
    print(f"backend {keras.backend.backend()}; building the networks...", flush=True)

    from wgan_keras.backup import write_atomically, write_json

    keras.utils.set_random_seed(args.seed)
    real, reference = real_data(args)
    if isinstance(real, keras.utils.PyDataset):
        sample_shape = tuple(real[0].shape[1:])
    else:
        sample_shape = tuple(real.shape[1:]) if hasattr(real, "shape") else tuple(real.element_spec.shape[1:])
    with strategy.scope():
        model = build_model(args, sample_shape)
    out = args.out
    write_json(os.path.join(out, "run.json"), {"settings": _settings(args), "backend": keras.backend.backend()})
    backup = wk.backup.AtomicBackupAndRestore(os.path.join(out, "backup"), delete_on_success=False)
    # The epoch's history row is written before its backup: a backup never
    # exists without the rows of the epochs it holds.
    callbacks = [history_logger(os.path.join(out, "history.csv"), backup), backup]
    fit = {"batch_size": args.batch_size} if args.data == "digits" else {}
    started = time.time()
    try:
        model.fit(
            real,
            epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch,
            callbacks=callbacks,
            verbose=args.verbose,
            **fit,
        )
    except wk.TrainingDiverged as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except wk.backup.BackupUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    seconds = time.time() - started
    # The files, each complete or absent; metrics.json last marks the run complete.
    write_atomically(os.path.join(out, "model.keras"), model.save)
    scores, samples = evaluate(model, args, reference)
    fig = figure(model, args, reference, samples)
    write_atomically(os.path.join(out, "samples.png"), lambda partial: fig.savefig(partial, dpi=100, format="png"))
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
    write_json(os.path.join(out, "metrics.json"), summary)
    backup.delete()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
