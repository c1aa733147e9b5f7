"""A small training job run in fresh processes by the tests, on the backend of KERAS_BACKEND.

    python tests/train_job.py OUT.npz --model wgan_gp --steps 4 [--load FILE]
        [--save FILE] [--replicas 2] [--seed 0] [--batch 32] [--optimizer paper|sgd]
    python tests/train_job.py OUT --model all --steps 3     # OUT_gan.npz, OUT_wgan.npz, OUT_wgan_gp.npz

Trains on a fixed, deterministic array of 2-D data (read in order, so a
resumed model continues where the saved one stopped) and writes the history
and every critic/generator weight to OUT.npz. ``--replicas N``: data
parallelism over N CPU devices (TensorFlow: ``MirroredStrategy`` over
logical CPUs; JAX: ``keras.distribution.DataParallel`` over host-platform
devices).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

N_CRITIC = 3


def strategy(replicas):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES"):
            from wgan_keras.distribute import get_strategy

            return get_strategy("multi_worker")  # before any other JAX operation
        if replicas > 1:
            # Before JAX starts: the CPU shows up as this many devices.
            os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={replicas}"
        from wgan_keras.distribute import get_strategy

        return get_strategy("mirrored" if replicas > 1 else "default")
    if backend == "torch":
        from wgan_keras.distribute import get_strategy

        return get_strategy("default" if replicas == 1 else "mirrored")  # more than one is refused
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        from wgan_keras.distribute import get_strategy

        return get_strategy("multi_worker")  # before any other TensorFlow op
    if replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
        return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(replicas)])
    return tf.distribute.get_strategy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--model", default="wgan_gp", choices=["gan", "wgan", "wgan_gp", "all"])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load")
    parser.add_argument("--save")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--jit", default="auto", choices=["auto", "true", "false"])
    parser.add_argument("--batch", type=int, default=32)
    # SGD: weights then move in proportion to the gradients, so a wrongly
    # scaled loss under data parallelism shows (Adam and RMSProp normalise it away).
    parser.add_argument("--optimizer", default="paper", choices=["paper", "sgd"])
    args = parser.parse_args()

    distribution = strategy(args.replicas)
    if args.model == "all":  # one process, three models: the same checks for a third of the start-up time
        for name in ("gan", "wgan", "wgan_gp"):
            train(args, name, distribution, f"{args.out}_{name}.npz")
    else:
        train(args, args.model, distribution, args.out)


def train(args, model_name, distribution, out):
    import keras
    import numpy as np

    import wgan_keras as wk

    keras.utils.set_random_seed(args.seed)
    with distribution.scope():
        if args.load:
            model = keras.models.load_model(args.load)
        else:
            generator = wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=32, depth=2, seed=args.seed)
            critic = wk.nets.mlp_critic(input_shape=(2,), hidden=32, depth=2, seed=args.seed)
            name = model_name.replace("_", "-")
            options = {"gan": {"n_discriminator": N_CRITIC}, "wgan": {"n_critic": N_CRITIC, "critic_warmup": False}}
            model = wk.build(name, generator, critic, seed=args.seed, **options.get(name, {"n_critic": N_CRITIC}))
            optimizers = {}
            if args.optimizer == "sgd":
                second = "discriminator_optimizer" if name == "gan" else "critic_optimizer"
                optimizers = {"generator_optimizer": keras.optimizers.SGD(0.05), second: keras.optimizers.SGD(0.05)}
            model.compile(jit_compile={"auto": "auto", "true": True, "false": False}[args.jit], **optimizers)

    data = np.random.default_rng(1234).normal(size=(args.batch * 200, 2)).astype("float32")
    history = model.fit(data, batch_size=args.batch, shuffle=False, epochs=1, steps_per_epoch=args.steps, verbose=0)
    if args.save:
        model.save(args.save)
    weights = [v.numpy() for v in model.generator.weights + model.critic.weights]
    np.savez(
        out,
        history=json.dumps(history.history),
        iterations=int(model.generator_iterations.numpy()),
        **{f"w{i}": w for i, w in enumerate(weights)},
    )


if __name__ == "__main__":
    main()
