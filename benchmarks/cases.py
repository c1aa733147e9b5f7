"""The timed cases, their networks and real batches, and the library side of each timing."""

import time

import numpy as np

CASES = {
    "toy_wgan_gp": dict(model="wgan-gp", nets="mlp", batch=256, n_critic=5),
    "dcgan28_wgan_gp": dict(model="wgan-gp", nets="dcgan", shape=(28, 28, 1), batch=64, n_critic=5),
    "dcgan28_wgan": dict(model="wgan", nets="dcgan", shape=(28, 28, 1), batch=64, n_critic=5),
}
#: Added by ``--accelerator``: WGAN-GP's CIFAR-10 networks at the papers' batch size.
ACCELERATOR_CASES = {
    "dcgan32_wgan_gp": dict(model="wgan-gp", nets="dcgan", shape=(32, 32, 3), batch=64, n_critic=5),
    "resnet32_wgan_gp": dict(model="wgan-gp", nets="resnet", shape=(32, 32, 3), batch=64, n_critic=5),
}
BACKENDS = ("tensorflow", "jax", "torch")


def build_networks(case, seed):
    import keras

    import wgan_keras as wk

    keras.utils.set_random_seed(seed)
    if case["nets"] == "mlp":
        hidden = case.get("hidden", 512)
        return (
            wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=hidden, depth=3, seed=seed),
            wk.nets.mlp_critic(input_shape=(2,), hidden=hidden, depth=3, seed=seed),
        )
    if case["nets"] == "resnet":
        return (
            wk.nets.resnet_generator(latent_dim=128, image_shape=case["shape"], seed=seed),
            wk.nets.resnet_critic(image_shape=case["shape"], seed=seed),
        )
    normalization = "layer" if case["model"] == "wgan-gp" else "batch"
    return (
        wk.nets.dcgan_generator(latent_dim=128, image_shape=case["shape"], seed=seed),
        wk.nets.dcgan_critic(image_shape=case["shape"], normalization=normalization, seed=seed),
    )


def sample_shape(case):
    return (2,) if case["nets"] == "mlp" else tuple(case["shape"])


def real_pool(case, seed, elements=8):
    """Real-looking samples in the generators' range, ``elements`` generator iterations' worth."""
    rng = np.random.default_rng(seed)
    size = case["batch"] * case["n_critic"] * elements
    return np.tanh(rng.normal(size=(size,) + sample_shape(case))).astype("float32")


def library_model(case, seed, steps_per_execution=1):
    import wgan_keras as wk

    generator, critic = build_networks(case, seed)
    options = {"critic_warmup": False} if case["model"] == "wgan" else {}
    model = wk.build(case["model"], generator, critic, n_critic=case["n_critic"], seed=seed, **options)
    model.compile(steps_per_execution=steps_per_execution)
    return model


class _BatchTimes:
    """When each batch's results were ready, without changing how ``fit`` runs.

    A callback with its own ``on_train_batch_end`` makes Keras wait for every
    step's logs in the training loop; JAX then loses its asynchronous
    dispatch (3-10% of the toy case's time). Declared ``async_safe``, the
    timer is called from Keras's callback thread once the step's logs are
    ready (where the backend allows it; TensorFlow's loop waits for them
    anyway), so it observes the loop instead of slowing it.
    """

    def __init__(self):
        import keras

        class Timer(keras.callbacks.Callback):
            async_safe = True

            def __init__(self):
                super().__init__()
                self.marks = []

            def on_train_batch_end(self, batch, logs=None):
                self.marks.append(time.perf_counter())

        self.callback = Timer()

    @property
    def marks(self):
        return sorted(self.callback.marks)  # callback threads may finish out of order


def library_runner(case, warmup, seed=0, steps_per_execution=1):
    """A compiled library model; returns ``run(iterations, calls)`` -> wall-time figures of whole fit calls.

    ``calls == 1``: one ``fit`` of ``iterations``, with the in-fit rate and
    the tail read from a batch timer; ``calls > 1``: that many ``fit``
    calls of ``iterations / calls`` each, timed together.
    """
    model = library_model(case, seed, steps_per_execution)
    pool = real_pool(case, seed)
    fit = dict(batch_size=case["batch"], verbose=0)
    model.fit(pool, epochs=1, steps_per_epoch=warmup * steps_per_execution, **fit)  # compiles

    def run(iterations, calls=1):
        if calls > 1:
            start = time.perf_counter()
            for _ in range(calls):
                model.fit(pool, epochs=1, steps_per_epoch=iterations // calls, **fit)
            return {"short_s": time.perf_counter() - start}
        timer = _BatchTimes()
        start = time.perf_counter()
        model.fit(pool, epochs=1, steps_per_epoch=iterations, callbacks=[timer.callback], **fit)
        end = time.perf_counter()
        marks = timer.marks
        skip = min(2, len(marks) - 2)
        in_fit = (len(marks) - 1 - skip) * steps_per_execution / (marks[-1] - marks[skip])
        return {"long_s": end - start, "tail_s": end - marks[-1], "in_fit_it_per_s": in_fit}

    run.jit_compile = bool(model.jit_compile)
    return run
