"""Seeded work that leaves the caller's random state as it found it."""

import contextlib
import random

import keras
import numpy as np


@contextlib.contextmanager
def seeded_scope(seed):
    """``keras.utils.set_random_seed(seed)`` inside, the caller's RNG state after.

    Python's and NumPy's global generators and Keras's global seed and
    SeedGenerator are restored on exit; TensorFlow's eager global seed is
    restored too (best effort: it uses TensorFlow's context internals).
    So building a scorer in the middle of a training script does not change
    the script's random streams.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    saved = {}
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator

        names = ("global_random_seed", seed_generator.GLOBAL_SEED_GENERATOR)
        saved["keras"] = (global_state, {name: global_state.get_global_attribute(name) for name in names})
    except Exception:  # noqa: BLE001 - private API moved: skip restoring it
        pass
    if keras.backend.backend() == "tensorflow":
        try:
            from tensorflow.python.eager import context as tf_context

            ctx = tf_context.context()
            saved["tf"] = (ctx, ctx._seed, ctx._rng)  # noqa: SLF001
        except Exception:  # noqa: BLE001 - private API moved: skip restoring it
            pass
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        if "keras" in saved:
            state, values = saved["keras"]
            for name, value in values.items():
                state.set_global_attribute(name, value)
        if "tf" in saved:
            ctx, tf_seed, tf_rng = saved["tf"]
            try:
                ctx._seed, ctx._rng = tf_seed, tf_rng  # noqa: SLF001
            except Exception:  # noqa: BLE001
                pass
