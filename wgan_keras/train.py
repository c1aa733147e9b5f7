"""Train GAN, WGAN or WGAN-GP from the command line, crash-safe.

    python -m wgan_keras.train                      # WGAN-GP on 8 gaussians
    python -m wgan_keras.train --model wgan --data digits --epochs 20
    python -m wgan_keras.train --data mnist --data-dir ~/tensorflow_datasets

Writes into ``--out`` (default ``outputs/run``): ``model.keras`` (the trained
model, loadable with ``keras.models.load_model``), ``history.csv`` (one row
per epoch), ``metrics.json`` (the evaluation: exact W1 and mode coverage on
toy data, the sample-quality score on digits) and ``samples.png``.

Crash safety: a backup of the whole training state is written atomically at
the end of every epoch under ``OUT/backup``. Run the same command again after
a crash or a kill and training resumes from the last backup; the result is
the same as an uninterrupted run. An existing ``model.keras`` is never
overwritten unless ``--overwrite`` is given. A loss that becomes NaN or inf
stops the run at once with ``wgan_keras.TrainingDiverged`` (exit code 3),
keeping the last good backup.

Data: each epoch is one pass over a pool of real batches drawn once from the
seed, in a fixed order (as the official WGAN-GP toy code iterates its
25-gaussians set). Every critic update within an epoch sees a fresh batch,
and a resumed run sees exactly the batches an uninterrupted run would.
"""

import argparse
import csv
import json
import os
import sys
import time

MODELS = ("gan", "wgan", "wgan-gp")
TOY = ("8gaussians", "25gaussians", "swissroll")
IMAGES = ("digits", "mnist", "fashion_mnist", "cifar10", "celeb_a", "lsun/bedroom")

#: The official WGAN-GP toy code (gan_toy.py) uses lambda = 0.1 ("smaller
#: lambda makes things faster for toy tasks") and Adam(1e-4, 0.5, 0.9).
TOY_GP_WEIGHT = 0.1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m wgan_keras.train",
        description="Train GAN, WGAN (clipping) or WGAN-GP (gradient penalty), crash-safe.",
    )
    parser.add_argument("--model", default="wgan-gp", choices=MODELS)
    parser.add_argument("--data", default="8gaussians", choices=TOY + IMAGES)
    parser.add_argument("--epochs", type=int, default=5, help="passes over the pool of real batches")
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        default=100,
        help="toy data: generator iterations' worth of real batches per epoch (pool size)",
    )
    parser.add_argument("--batch-size", type=int, help="default: 256 on toy data, 64 on images")
    parser.add_argument("--n-critic", type=int, default=5)
    parser.add_argument("--gp-weight", type=float, help=f"default: {TOY_GP_WEIGHT} on toy data, 10 on images")
    parser.add_argument("--clip-value", type=float, default=0.01)
    parser.add_argument("--no-warmup", action="store_true", help="WGAN: no 100-critic-iteration warm-up")
    parser.add_argument("--learning-rate", type=float, help="both networks (default: the paper's)")
    parser.add_argument("--hidden", type=int, default=512, help="toy MLP width")
    parser.add_argument("--depth", type=int, default=3, help="toy MLP depth")
    parser.add_argument("--image-size", type=int, help="resize images to this size")
    parser.add_argument("--latent-dim", type=int, help="default: 2 on toy data, 128 on images")
    parser.add_argument("--data-dir", help="tensorflow-datasets directory (MNIST, CIFAR-10, ...)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="auto", choices=("auto", "default", "mirrored", "multi_worker", "tpu"))
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"))
    parser.add_argument("--out", default=os.path.join("outputs", "run"))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT/model.keras")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    for name in ("epochs", "steps_per_epoch", "batch_size", "n_critic", "hidden", "depth", "latent_dim", "image_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1; got {value}.")
    if args.gp_weight is not None and args.gp_weight < 0:
        parser.error(f"--gp-weight must be >= 0; got {args.gp_weight}.")
    if args.clip_value <= 0:
        parser.error(f"--clip-value must be > 0; got {args.clip_value}.")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0; got {args.seed}.")
    toy = args.data in TOY
    args.batch_size = args.batch_size or (256 if toy else 64)
    args.latent_dim = args.latent_dim or (2 if toy else 128)
    if args.gp_weight is None:
        args.gp_weight = TOY_GP_WEIGHT if toy else 10.0
    return args


def real_pool(args):
    """The real data: ``(tf.data pool of batches, sample for evaluation)``."""
    import numpy as np
    import tensorflow as tf

    from wgan_keras import data

    if args.data in TOY:
        batches = args.steps_per_epoch * args.n_critic
        pool = data.toy(args.data, batches * args.batch_size, seed=args.seed)
        reference = data.toy(args.data, 2500, seed=args.seed + 1)
    elif args.data == "digits":
        pool = data.digits(image_size=args.image_size or 8, split="train", seed=args.seed)
        reference = data.digits(image_size=args.image_size or 8, split="validation", seed=args.seed)
    else:
        stream = data.load(
            args.data,
            split="train",
            batch_size=args.batch_size,
            image_size=args.image_size,
            data_dir=args.data_dir,
            seed=args.seed,
            shuffle=False,
        )
        reference = np.concatenate([b.numpy() for b in stream.take(max(1, 2048 // args.batch_size))])
        return stream.shuffle(64, seed=args.seed, reshuffle_each_iteration=False), reference
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(pool, dtype="float32"))
    if args.data not in TOY:
        ds = ds.shuffle(len(pool), seed=args.seed, reshuffle_each_iteration=False)
    return ds.batch(args.batch_size, drop_remainder=True), reference


def build_model(args, sample_shape):
    import wgan_keras as wk

    if args.data in TOY:
        generator = wk.nets.mlp_generator(
            latent_dim=args.latent_dim, output_shape=sample_shape, hidden=args.hidden, depth=args.depth
        )
        critic = wk.nets.mlp_critic(input_shape=sample_shape, hidden=args.hidden, depth=args.depth)
    else:
        generator = wk.nets.dcgan_generator(latent_dim=args.latent_dim, image_shape=sample_shape, seed=args.seed)
        normalization = {"gan": "batch", "wgan": "batch", "wgan-gp": "layer"}[args.model]
        critic = wk.nets.dcgan_critic(image_shape=sample_shape, normalization=normalization, seed=args.seed)
    toy = args.data in TOY
    if args.model == "gan":
        model = wk.GAN(generator, critic, seed=args.seed)
        make = lambda: wk.optimizers.gan_adam(args.learning_rate or 2e-4)  # noqa: E731
    elif args.model == "wgan":
        model = wk.WGAN(
            generator,
            critic,
            n_critic=args.n_critic,
            clip_value=args.clip_value,
            critic_warmup=not args.no_warmup,
            seed=args.seed,
        )
        make = lambda: wk.optimizers.wgan_rmsprop(args.learning_rate or 5e-5)  # noqa: E731
    else:
        model = wk.WGANGP(generator, critic, n_critic=args.n_critic, gp_weight=args.gp_weight, seed=args.seed)
        # The toy code uses beta_1 = 0.5; the paper's Algorithm 1 uses 0.
        make = lambda: wk.optimizers.wgan_gp_adam(args.learning_rate or 1e-4, beta_1=0.5 if toy else 0.0)  # noqa: E731
    second = "discriminator_optimizer" if args.model == "gan" else "critic_optimizer"
    optimizers = {"generator_optimizer": make(), second: make()}
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    model.compile(jit_compile=jit, **optimizers)
    return model


def evaluate(model, args, reference):
    """Scores of the final generator, on the same footing for every model."""
    from wgan_keras import data, metrics

    samples = model.generate(len(reference), seed=args.seed + 7)
    if args.data in TOY:
        scores = {"w1": metrics.wasserstein1(samples, reference)}
        if args.data != "swissroll":
            centers, std = data.toy_modes(args.data)
            coverage = metrics.mode_coverage(samples, centers, std)
            scores.update(modes=int(coverage["modes"]), n_modes=len(centers), high_quality=float(coverage["high_quality"]))
        return scores, samples
    if args.data == "digits":
        scorer = metrics.QualityScorer.for_digits(seed=0, image_size=args.image_size or 8)
        scores = {k: float(v) for k, v in scorer.evaluate(samples, reference).items() if _is_number(v)}
        return scores, samples
    return {"sliced_w1": metrics.sliced_wasserstein(samples, reference, seed=args.seed)}, samples


def _is_number(value):
    return isinstance(value, (int, float)) or getattr(value, "shape", None) == ()


def save_figure(model, args, reference, samples, path):
    from wgan_keras import plots

    if args.data in TOY:
        fig = plots.critic_surface(model.critic, real=reference[:1000], fake=samples[:1000], title=f"{args.model} on {args.data}")
    else:
        fig = plots.image_grid(samples[:64], title=f"{args.model} on {args.data}")
    fig.savefig(path, dpi=100)


def read_history(path):
    """Rows of ``history.csv``, the last one kept for an epoch written twice."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        rows = {int(row["epoch"]): row for row in csv.DictReader(handle)}
    return [rows[k] for k in sorted(rows)]


def main(argv=None):
    args = parse_args(argv)
    final = os.path.join(args.out, "model.keras")
    if os.path.exists(final) and not args.overwrite:
        print(f"error: {final} exists; pass --overwrite to replace it or choose another --out.", file=sys.stderr)
        return 2

    from wgan_keras import distribute

    strategy = distribute.get_strategy(args.strategy)  # first: multi-worker needs it before any op

    import keras

    import wgan_keras as wk

    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    pool, reference = real_pool(args)
    with strategy.scope():
        model = build_model(args, tuple(pool.element_spec.shape[1:]))
    backup = wk.backup.AtomicBackupAndRestore(os.path.join(args.out, "backup"))
    history_csv = os.path.join(args.out, "history.csv")
    callbacks = [backup, keras.callbacks.CSVLogger(history_csv, append=True)]
    started = time.time()
    try:
        model.fit(pool, epochs=args.epochs, callbacks=callbacks, verbose=args.verbose)
    except wk.TrainingDiverged as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    seconds = time.time() - started
    if os.path.exists(final) and not args.overwrite:
        print(f"error: {final} appeared during training; not overwriting it.", file=sys.stderr)
        return 2
    model.save(final)
    scores, samples = evaluate(model, args, reference)
    summary = {
        "model": args.model,
        "data": args.data,
        "generator_iterations": int(model.generator_iterations.numpy()),
        "resumed_from_epoch": backup.restored_epoch,
        "train_seconds_this_process": round(seconds, 1),
        **scores,
    }
    with open(os.path.join(args.out, "metrics.json"), "w") as handle:
        json.dump(summary, handle, indent=2)
    save_figure(model, args, reference, samples, os.path.join(args.out, "samples.png"))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
