"""``--inputs``: the toy case fed each kind of input a user passes, each run in a fresh process."""

import time

from benchmarks.baselines import baseline_runner
from benchmarks.cases import library_model, real_pool
from benchmarks.processes import installed, run_worker

#: ``--inputs``: what the library is fed; ``loop`` is the plain loop on batches in memory.
INPUT_KINDS = ("tf.data", "array", "toy", "pydataset", "loop")


def _user_batches(array, batch):
    """A user's ``PyDataset`` of batches, as the Keras guide writes one (read on one thread)."""
    import keras

    class UserBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()

        @property
        def num_batches(self):
            return len(array) // batch

        def __getitem__(self, index):
            return array[index * batch : (index + 1) * batch]

    return UserBatches()


def input_rate(kind, case, iterations, warmup, seed=0, model=None):
    """Generator iterations per second of one ``fit`` of ``iterations`` on input ``kind`` (after a warm-up fit).

    ``model``: the library model to fit (default: a new one of ``case``).
    """
    import wgan_keras as wk

    if kind == "loop":
        run, _ = baseline_runner(case, warmup, seed)
        return iterations / run(iterations)["long_s"]
    model = model or library_model(case, seed)
    fit = {}
    if kind == "array":
        x, fit = real_pool(case, seed, iterations + warmup), {"batch_size": case["batch"]}
    elif kind == "toy":
        if case["nets"] != "mlp":
            raise ValueError(f"input kind 'toy' needs the toy case (2-D samples); got nets={case['nets']!r}.")
        x = wk.data.toy_dataset("8gaussians", batch_size=case["batch"], seed=seed)
    elif kind == "pydataset":
        x = _user_batches(real_pool(case, seed, iterations + warmup), case["batch"])
    elif kind == "tf.data":
        import tensorflow as tf

        pool = real_pool(case, seed, iterations + warmup)
        x = tf.data.Dataset.from_tensor_slices(pool).repeat().batch(case["batch"], drop_remainder=True)
    else:
        raise ValueError(f"input kind must be one of {INPUT_KINDS}; got {kind!r}.")
    model.fit(x, epochs=1, steps_per_epoch=warmup, verbose=0, **fit)
    start = time.perf_counter()
    model.fit(x, epochs=1, steps_per_epoch=iterations, verbose=0, **fit)
    return iterations / (time.perf_counter() - start)


def run_inputs(backends, kinds, iterations, warmup, repeats):
    """Every (backend, kind) ``repeats`` times, each a fresh process, alternated within each round."""
    rates = {backend: {} for backend in backends}
    for _ in range(repeats):
        for backend in backends:
            for kind in kinds:
                if kind == "tf.data" and not installed("tensorflow"):
                    continue
                argv = ["--input-kind", kind, "--iterations", str(iterations), "--warmup", str(warmup)]
                rate = run_worker(backend, argv)["it_per_s"]
                rates[backend].setdefault(kind, []).append(rate)
                print(f"{backend:10s} {kind:9s} {rate:6.2f} it/s", flush=True)
    return rates
