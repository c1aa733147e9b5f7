"""A small training job run in fresh processes by the tests.

    python tests/train_job.py OUT.npz --model wgan_gp --steps 4 [--load FILE]
        [--save FILE] [--skip-steps K] [--replicas 2] [--seed 0] [--batch 32]
        [--optimizer paper|sgd]

Trains on a fixed, deterministic stream of 2-D data and writes the history
and every critic/generator weight to OUT.npz. ``--skip-steps K`` starts the
data stream K generator iterations in (what a resumed run must see).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N_CRITIC = 3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--model", default="wgan_gp", choices=["gan", "wgan", "wgan_gp"])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load")
    parser.add_argument("--save")
    parser.add_argument("--skip-steps", type=int, default=0)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--jit", default="auto", choices=["auto", "true", "false"])
    parser.add_argument("--batch", type=int, default=32)
    # SGD: weights then move in proportion to the gradients, so a wrongly
    # scaled loss under tf.distribute shows (Adam and RMSProp normalise it away).
    parser.add_argument("--optimizer", default="paper", choices=["paper", "sgd"])
    args = parser.parse_args()

    if os.environ.get("TF_CONFIG"):
        from wgan_keras.distribute import get_strategy

        strategy = get_strategy("multi_worker")  # before any other TensorFlow op
    elif args.replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.replicas
        )
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(args.replicas)])
    else:
        strategy = tf.distribute.get_strategy()

    import keras

    import wgan_keras as wk

    keras.utils.set_random_seed(args.seed)
    with strategy.scope():
        if args.load:
            model = keras.models.load_model(args.load)
        else:
            generator = wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=32, depth=2)
            critic = wk.nets.mlp_critic(input_shape=(2,), hidden=32, depth=2)
            if args.model == "gan":
                model = wk.GAN(generator, critic, n_discriminator=N_CRITIC, seed=args.seed)
            elif args.model == "wgan":
                model = wk.WGAN(generator, critic, n_critic=N_CRITIC, critic_warmup=False, seed=args.seed)
            else:
                model = wk.WGANGP(generator, critic, n_critic=N_CRITIC, seed=args.seed)
            optimizers = {}
            if args.optimizer == "sgd":
                second = "discriminator_optimizer" if args.model == "gan" else "critic_optimizer"
                optimizers = {"generator_optimizer": keras.optimizers.SGD(0.05), second: keras.optimizers.SGD(0.05)}
            model.compile(jit_compile={"auto": "auto", "true": True, "false": False}[args.jit], **optimizers)

    data = np.random.default_rng(1234).normal(size=(args.batch * 200, 2)).astype("float32")
    stream = tf.data.Dataset.from_tensor_slices(data).batch(args.batch, drop_remainder=True)
    stream = stream.skip(args.skip_steps * N_CRITIC).repeat()
    history = model.fit(stream, epochs=1, steps_per_epoch=args.steps, verbose=0).history
    if args.save:
        model.save(args.save)
    weights = [v.numpy() for v in model.generator.weights + model.critic.weights]
    np.savez(
        args.out,
        history=json.dumps(history),
        iterations=int(model.generator_iterations.numpy()),
        **{f"w{i}": w for i, w in enumerate(weights)},
    )


if __name__ == "__main__":
    main()
