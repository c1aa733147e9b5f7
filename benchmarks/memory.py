"""``--memory``: resident memory of a long toy run."""

import os
import time


def _rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_profile(iterations=20000, every=1000, hidden=64, batch=64, seed=0):
    """Resident memory of a long toy WGAN-GP run, sampled every ``every`` iterations.

    Retracing, growing histories or leaked tensors would show as a rising
    line. Linux only (reads /proc/self/statm).
    """
    import keras

    import wgan_keras as wk

    class Sampler(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.samples = []

        def on_epoch_end(self, epoch, logs=None):
            self.samples.append((int(keras.ops.convert_to_numpy(self.model.generator_iterations)), _rss_mib()))

    keras.utils.set_random_seed(seed)
    model = wk.WGANGP(
        wk.nets.mlp_generator(2, (2,), hidden=hidden, depth=3, seed=seed),
        wk.nets.mlp_critic((2,), hidden=hidden, depth=3, seed=seed),
        gp_weight=0.1,
        seed=seed,
    )
    model.compile()
    sampler = Sampler()
    started = time.perf_counter()
    model.fit(
        wk.data.toy_dataset("8gaussians", batch_size=batch, seed=seed),
        epochs=iterations // every,
        steps_per_epoch=every,
        callbacks=[sampler],
        verbose=0,
    )
    seconds = time.perf_counter() - started
    mib = [m for _, m in sampler.samples]
    # Growth after the first sample (warm-up: tracing, allocator pools).
    return {
        "iterations": iterations,
        "seconds": seconds,
        "rss_mib": sampler.samples,
        "growth_after_first_mib": mib[-1] - mib[0],
        "max_minus_min_after_first_mib": max(mib[1:] or mib) - min(mib[1:] or mib),
    }
