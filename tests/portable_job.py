"""Save on one backend, load on the other (run by tests/test_portability.py).

    KERAS_BACKEND=tensorflow python tests/portable_job.py train OUT.keras SAMPLES.npy
    KERAS_BACKEND=jax python tests/portable_job.py resume IN.keras OUT.keras SAMPLES.npy STATE.json

``train`` trains a small WGAN-GP for 3 generator iterations, saves it and
writes the generator's output on a fixed noise batch. ``resume`` loads a
model, writes its output on the same noise and its counters, then trains 2
more iterations on the same data (which continues where the saved model
stopped) and saves it again.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import wgan_keras as wk  # noqa: E402

NOISE = np.random.default_rng(7).normal(size=(16, 2)).astype("float32")
DATA = np.random.default_rng(1).normal(size=(32 * 40, 2)).astype("float32")


def fit(model, steps):
    model.fit(DATA, batch_size=32, shuffle=False, epochs=1, steps_per_epoch=steps, verbose=0)


def main(command, *paths):
    if command == "train":
        out, samples = paths
        model = wk.WGANGP(
            wk.nets.mlp_generator(2, (2,), hidden=16, depth=2, seed=0),
            wk.nets.mlp_critic((2,), hidden=16, depth=2, seed=0),
            n_critic=2,
            seed=0,
        )
        model.compile()
        fit(model, 3)
    else:
        source, out, samples, state = paths
        model = keras.models.load_model(source)
        counters = {
            "backend": keras.backend.backend(),
            "generator_iterations": int(model.generator_iterations.numpy()),
            "critic_optimizer_iterations": int(model.critic_optimizer.iterations.numpy()),
            "critic_moments": float(np.sum([np.abs(v.numpy()).sum() for v in model.critic_optimizer.variables[2:]])),
        }
        np.save(samples, keras.ops.convert_to_numpy(model.generator(NOISE, training=False)))
        fit(model, 2)
        counters["after"] = int(model.generator_iterations.numpy())
        with open(state, "w") as handle:
            json.dump(counters, handle)
    model.save(out)
    if command == "train":
        np.save(samples, keras.ops.convert_to_numpy(model.generator(NOISE, training=False)))


if __name__ == "__main__":
    main(*sys.argv[1:])
