"""Benchmark: the wall time of whole ``fit()`` calls, against a plain compiled loop, per backend.

    python -m wgan_keras.bench                       # every case, every installed backend
    python -m wgan_keras.bench --backends jax --cases toy_wgan_gp --iterations 30
    python -m wgan_keras.bench --accelerator --out DIR   # paper batch sizes and a paper-scale toy run
    python -m wgan_keras.bench --memory              # 20,000 iterations: resident memory
    python -m wgan_keras.bench --inputs --iterations 300 --repeats 3   # the toy case per input kind

What a user waits for is a whole ``fit()`` call, start-up and teardown
included, so that is what is timed, for each case and backend:

* ``long``: one ``fit`` of ``--iterations`` generator iterations;
* ``short``: ``--short-calls`` ``fit`` calls of ``iterations / short-calls``
  each (notebooks and the CLI call ``fit`` many times);
* ``in-fit``: the iteration rate between ``on_train_batch_end`` calls after
  warm-up (what a profiler of the loop would see);
* ``tail``: seconds from the last batch to ``fit`` returning;
* ``spe``: the long call again with ``compile(steps_per_execution=k)``.

Library and baseline are timed in alternation, in rounds (up to
``--repeats``, no new round after ``--seconds`` per case): on a shared or
virtual machine two back-to-back runs of the same code differ by a few
per cent, so the figures are medians over the rounds and the table gives
the range of the ratio.

The baseline is a plain compiled loop on identical networks, weights,
batches and optimizers, written the way most GAN code is written: on
TensorFlow a Python loop of critic steps inside one ``tf.function`` with
separate critic calls for real, fake and interpolated batches and a nested
tape; on JAX one ``jax.jit`` function with ``jax.value_and_grad`` (and a
nested ``jax.grad`` for the penalty) over the networks' stateless calls. Its
batches are prepared in memory beforehand, so it pays nothing for input; it
runs the same number of iterations and is synchronised at the end of each
run, as a user reading the results would be.

The floating-point work of one iteration is counted from the baseline's
compiled step (TensorFlow's profiler; XLA's cost analysis on JAX), and the
machine's own matrix-multiply rate is measured in the same process, so each
figure also reads as a fraction of what the machine can do.

``--inputs`` times the toy case (WGAN-GP, 3 x 512 MLPs, batch 256,
n_critic 5) fed each input a user passes (``INPUT_KINDS``: a ``tf.data``
pipeline of in-memory tensors, a numpy array, ``wk.data.toy_dataset``, a
user's ``PyDataset``) and the plain loop on batches in memory, every run
in a fresh process (a process's speed moves with what it ran before),
the kinds alternated within each round; it reports generator iterations
per second and, per round, each kind's rate over the ``tf.data`` one
(``inputs.json``, ``inputs.md``). The other figures feed the library a
numpy array of 8 iterations' worth of samples.

Results go to
``outputs/local/benchmarks/latest.json`` and ``latest.md`` (``--out`` elsewhere; the
committed figures in ``outputs/benchmarks/`` were made with ``--out outputs/benchmarks``).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
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
BACKENDS = ("tensorflow", "jax")


# ------------------------------------------------------------------ worker
def _keras():
    import keras

    return keras


def build_networks(case, seed):
    import wgan_keras as wk

    _keras().utils.set_random_seed(seed)
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
        keras = _keras()

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


def _tf_baseline(case, generator, critic, elements):
    import keras
    import tensorflow as tf

    from wgan_keras import optimizers

    make = optimizers.wgan_gp_adam if case["model"] == "wgan-gp" else optimizers.wgan_rmsprop
    g_opt, c_opt = make(), make()
    n_critic, batch = case["n_critic"], case["batch"]
    latent = generator.input_shape[-1]
    seed = keras.random.SeedGenerator(0)

    @tf.function
    def step(real_batches):
        for i in range(n_critic):
            real = real_batches[:, i]
            noise = keras.random.normal((batch, latent), seed=seed)
            with tf.GradientTape() as tape:
                fake = generator(noise, training=True)
                loss = tf.reduce_mean(critic(fake, training=True)) - tf.reduce_mean(critic(real, training=True))
                if case["model"] == "wgan-gp":
                    eps = keras.random.uniform((batch,) + (1,) * (len(real.shape) - 1), seed=seed)
                    x_hat = eps * real + (1 - eps) * fake
                    with tf.GradientTape() as inner:
                        inner.watch(x_hat)
                        hat_out = critic(x_hat, training=True)
                    grads = inner.gradient(hat_out, x_hat)
                    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, len(grads.shape)))) + 1e-12)
                    loss += 10.0 * tf.reduce_mean(tf.square(norms - 1.0))
            c_grads = tape.gradient(loss, critic.trainable_variables)
            c_opt.apply_gradients(zip(c_grads, critic.trainable_variables))
            if case["model"] == "wgan":
                for v in critic.trainable_variables:
                    v.assign(tf.clip_by_value(v, -0.01, 0.01))
        noise = keras.random.normal((batch, latent), seed=seed)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(critic(generator(noise, training=True), training=True))
        g_grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        return g_loss

    elements = [tf.constant(e) for e in elements]

    def run(count):
        for i in range(count):
            loss = step(elements[i % len(elements)])
        float(loss)

    def flops():
        graph = step.get_concrete_function(tf.TensorSpec(elements[0].shape, "float32")).graph
        options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops

    return run, flops


def _jax_baseline(case, generator, critic, elements):
    import jax
    import jax.numpy as jnp

    from wgan_keras import optimizers

    make = optimizers.wgan_gp_adam if case["model"] == "wgan-gp" else optimizers.wgan_rmsprop
    g_opt, c_opt = make(), make()
    g_opt.build(generator.trainable_variables)
    c_opt.build(critic.trainable_variables)
    n_critic, batch = case["n_critic"], case["batch"]
    latent = generator.input_shape[-1]

    def values(variables):
        return [v.value for v in variables]

    def critic_loss(c_w, c_s, real, fake, key):
        real_out, c_s = critic.stateless_call(c_w, c_s, real, training=True)
        fake_out, c_s = critic.stateless_call(c_w, c_s, fake, training=True)
        loss = jnp.mean(fake_out) - jnp.mean(real_out)
        if case["model"] == "wgan-gp":
            eps = jax.random.uniform(key, (batch,) + (1,) * (real.ndim - 1))
            x_hat = eps * real + (1 - eps) * fake
            grads = jax.grad(lambda x: jnp.sum(critic.stateless_call(c_w, c_s, x, training=True)[0]))(x_hat)
            norms = jnp.sqrt(jnp.sum(grads**2, axis=tuple(range(1, grads.ndim))) + 1e-12)
            loss = loss + 10.0 * jnp.mean((norms - 1.0) ** 2)
        return loss, c_s

    def generator_loss(g_w, g_s, c_w, c_s, noise):
        fake, g_s = generator.stateless_call(g_w, g_s, noise, training=True)
        out, c_s = critic.stateless_call(c_w, c_s, fake, training=True)
        return -jnp.mean(out), (g_s, c_s)

    @jax.jit
    def step(state, real_batches, key):
        g_w, g_s, c_w, c_s, g_o, c_o = state
        for i in range(n_critic):
            key, noise_key, eps_key = jax.random.split(key, 3)
            fake, g_s = generator.stateless_call(g_w, g_s, jax.random.normal(noise_key, (batch, latent)), training=True)
            (_, c_s), grads = jax.value_and_grad(critic_loss, has_aux=True)(c_w, c_s, real_batches[:, i], fake, eps_key)
            c_w, c_o = c_opt.stateless_apply(c_o, grads, c_w)
            if case["model"] == "wgan":
                c_w = [jnp.clip(w, -0.01, 0.01) for w in c_w]
        key, noise_key = jax.random.split(key)
        noise = jax.random.normal(noise_key, (batch, latent))
        (loss, (g_s, c_s)), grads = jax.value_and_grad(generator_loss, has_aux=True)(g_w, g_s, c_w, c_s, noise)
        g_w, g_o = g_opt.stateless_apply(g_o, grads, g_w)
        return (g_w, g_s, c_w, c_s, g_o, c_o), key, loss

    state = [
        values(generator.trainable_variables),
        values(generator.non_trainable_variables),
        values(critic.trainable_variables),
        values(critic.non_trainable_variables),
        values(g_opt.variables),
        values(c_opt.variables),
    ]
    elements = [jnp.asarray(e) for e in elements]
    key = [jax.random.key(0)]

    def run(count):
        nonlocal state
        for i in range(count):
            state, key[0], loss = step(state, elements[i % len(elements)], key[0])
        float(loss)

    def flops():
        cost = step.lower(state, elements[0], key[0]).compile().cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        return float(cost.get("flops", 0.0))

    return run, flops


def baseline_runner(case, warmup, seed=0):
    """The plain compiled loop, warmed up; returns ``run(iterations, calls)`` and its FLOPs per iteration."""
    keras = _keras()
    generator, critic = build_networks(case, seed)
    pool = real_pool(case, seed)
    batches = pool.reshape((-1, case["batch"]) + pool.shape[1:])
    elements = [np.swapaxes(batches[i : i + case["n_critic"]], 0, 1) for i in range(0, len(batches), case["n_critic"])]
    baseline = _jax_baseline if keras.backend.backend() == "jax" else _tf_baseline
    loop, flops = baseline(case, generator, critic, elements)
    loop(warmup)

    def run(iterations, calls=1):
        start = time.perf_counter()
        for _ in range(calls):
            loop(iterations // calls)
        return {"short_s" if calls > 1 else "long_s": time.perf_counter() - start}

    return run, float(flops())


def time_case(case, iterations, warmup, short_calls, repeats=1, seconds=0.0, seed=0):
    """Library and loop timed in alternation, round after round; the median of each figure.

    Rounds repeat up to ``repeats`` times while the case has run for less
    than ``seconds`` (at least one round), so short cases get several
    samples and long ones are not run for ever. Alternating the two within
    each round spreads any drift of the machine over both.
    """
    library = library_runner(case, warmup, seed)
    baseline, flops = baseline_runner(case, warmup, seed)
    rounds = []
    started = time.perf_counter()
    while len(rounds) < repeats and (not rounds or time.perf_counter() - started < seconds):
        sample = {}
        sample.update({f"library_{k}": v for k, v in library(iterations).items()})
        sample.update({f"baseline_{k}": v for k, v in baseline(iterations).items()})
        if short_calls:
            sample.update({f"library_{k}": v for k, v in library(iterations, short_calls).items()})
            sample.update({f"baseline_{k}": v for k, v in baseline(iterations, short_calls).items()})
        rounds.append(sample)
    result = {key: float(np.median([r[key] for r in rounds])) for key in rounds[0]}
    result["rounds"] = rounds
    result["library_jit_compile"] = library.jit_compile
    result["flops_per_iteration"] = flops
    return result


#: ``--inputs``: what the library is fed; ``loop`` is the plain loop on batches in memory.
INPUT_KINDS = ("tf.data", "array", "toy", "pydataset", "loop")


def _user_batches(array, batch):
    """A user's ``PyDataset`` of batches, as the Keras guide writes one (read on one thread)."""
    keras = _keras()

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


def input_table(rates):
    """``inputs.md``: per backend and kind, the median rate and, per round, the rate over tf.data's.

    ``rates``: ``{backend: {kind: [it/s per round]}}``.
    """
    lines = ["| backend | input | it/s, median [range] | / tf.data, median [range] |", "|---|---|---|---|"]
    for backend, kinds in rates.items():
        reference = kinds.get("tf.data")
        for kind, values in kinds.items():
            cell = f"{np.median(values):.2f} [{min(values):.2f}, {max(values):.2f}]"
            ratio = "-"
            if reference and kind != "tf.data":
                each = [v / r for v, r in zip(values, reference)]
                ratio = f"{np.median(each):.2f}x [{min(each):.2f}, {max(each):.2f}]"
            lines.append(f"| {backend} | {kind} | {cell} | {ratio} |")
    return "\n".join(lines) + "\n"


def run_inputs(backends, kinds, iterations, warmup, repeats):
    """Every (backend, kind) ``repeats`` times, each a fresh process, alternated within each round."""
    rates = {backend: {} for backend in backends}
    for _ in range(repeats):
        for backend in backends:
            for kind in kinds:
                if kind == "tf.data" and not _installed("tensorflow"):
                    continue
                argv = ["--input-kind", kind, "--iterations", str(iterations), "--warmup", str(warmup)]
                rate = _run_worker(backend, argv)["it_per_s"]
                rates[backend].setdefault(kind, []).append(rate)
                print(f"{backend:10s} {kind:9s} {rate:6.2f} it/s", flush=True)
    return rates


def matmul_rate(size=2048, seconds=3.0, dtype="float32"):
    """The machine's matrix-multiply rate in FLOP/s (best of repeated runs)."""
    keras = _keras()
    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        a = jax.random.normal(jax.random.key(1), (size, size), dtype)
        b = jax.random.normal(jax.random.key(2), (size, size), dtype)
        run = jax.jit(lambda x, y: jnp.sum(jnp.dot(x, y, preferred_element_type=jnp.float32)))
    else:
        import tensorflow as tf

        a = tf.cast(tf.random.stateless_normal((size, size), seed=(1, 2)), dtype)
        b = tf.cast(tf.random.stateless_normal((size, size), seed=(3, 4)), dtype)
        run = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.matmul(x, y), "float32")))
    float(run(a, b))
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        float(run(a, b))
        best = max(best, 2 * size**3 / (time.perf_counter() - start))
    return best


def machine_description():
    keras = _keras()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    description = {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    if keras.backend.backend() == "jax":
        import jax

        description.update(jax=jax.__version__, devices=[d.device_kind for d in jax.devices()])
    else:
        import tensorflow as tf

        description.update(tensorflow=tf.__version__, devices=[d.name for d in tf.config.list_physical_devices("GPU")])
    return description


def run_cases(names, iterations, warmup, short_calls, spe, accelerator=False, repeats=1, seconds=0.0):
    """Every case on this process's backend; returns the rows."""
    cases = dict(CASES, **ACCELERATOR_CASES)
    rate = matmul_rate()
    rows = []
    for name in names:
        case = cases[name]
        timed = time_case(case, iterations, warmup, short_calls, repeats, seconds)
        flops = timed.pop("flops_per_iteration")
        row = {"case": name, "batch": case["batch"], "n_critic": case["n_critic"], "iterations": iterations}
        row.update(timed)
        row["gflop_per_iteration"] = flops / 1e9
        if spe > 1:
            row["library_spe"] = spe
            row["library_spe_long_s"] = library_runner(case, warmup, steps_per_execution=spe)(iterations)["long_s"]
        row["images_per_s"] = iterations * case["batch"] * case["n_critic"] / row["library_long_s"]
        row["library_fraction_of_matmul_rate"] = iterations * flops / row["library_long_s"] / rate
        row["baseline_fraction_of_matmul_rate"] = iterations * flops / row["baseline_long_s"] / rate
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"machine": machine_description(), "matmul_gflop_per_s": rate / 1e9, "results": rows}
    if accelerator:
        result["matmul_bf16_gflop_per_s"] = matmul_rate(size=8192, dtype="bfloat16") / 1e9
        result["matmul_gflop_per_s"] = matmul_rate(size=8192) / 1e9
    return result


# -------------------------------------------------------- paper-scale toy
def paper_scale_toy(iterations, datasets=("8gaussians", "25gaussians"), seed=0, hidden=512, seconds=None):
    """``gan_toy.py``'s WGAN-GP (3 x 512 MLPs, lambda 0.1, Adam(1e-4, 0.5, 0.9), batch 256, 5 critic
    iterations) on each mixture; mode coverage (2,500 samples) and exact W1 to held-out data."""
    import wgan_keras as wk

    rows = []
    for name in datasets:
        case = dict(model="wgan-gp", nets="mlp", batch=256, n_critic=5, hidden=hidden)
        generator, critic = build_networks(case, seed)
        model = wk.WGANGP(generator, critic, gp_weight=0.1, seed=seed)
        model.compile(beta_1=0.5)
        stream = wk.data.toy_dataset(name, batch_size=256, seed=seed)
        reference = wk.data.toy(name, 2500, seed=seed + 1)
        start, done, chunk = time.perf_counter(), 0, 1000
        while done < iterations and (seconds is None or time.perf_counter() - start < seconds):
            model.fit(stream, epochs=1, steps_per_epoch=min(chunk, iterations - done), verbose=0)
            done += min(chunk, iterations - done)
        scores = wk.metrics.toy_scores(model.generate(2500, seed=seed + 7), reference, name)
        rows.append({"data": name, "iterations": done, "seconds": time.perf_counter() - start, **scores})
        print(json.dumps(rows[-1]), flush=True)
    return rows


# -------------------------------------------------------------- memory
def _rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_profile(iterations=20000, every=1000, hidden=64, batch=64, seed=0):
    """Resident memory of a long toy WGAN-GP run, sampled every ``every`` iterations.

    Retracing, growing histories or leaked tensors would show as a rising
    line. Linux only (reads /proc/self/statm).
    """
    import wgan_keras as wk

    keras = _keras()

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


# -------------------------------------------------------------- report
def _common_scale(results):
    """One matmul rate (the best any backend reached) and one FLOP count per case.

    The count is XLA's cost analysis where JAX ran (after XLA removed what
    the step does not need), else TensorFlow's profiler's, so that every
    backend's figure is a fraction of the same work and the same machine.
    """
    rate = max(result["matmul_gflop_per_s"] for result in results)
    flops = {}
    for result in sorted(results, key=lambda r: r["machine"]["backend"] == "jax"):
        for row in result["results"]:
            flops[row["case"]] = row["gflop_per_iteration"]
    return rate, flops


def _ratios(row, figure):
    """``loop / library`` of the medians, and the range over the rounds (one round: no range)."""
    ratio = f"{row[f'baseline_{figure}'] / row[f'library_{figure}']:.2f}x"
    rounds = row.get("rounds", [])
    if len(rounds) < 2:
        return ratio
    each = [r[f"baseline_{figure}"] / r[f"library_{figure}"] for r in rounds]
    return f"{ratio} [{min(each):.2f}, {max(each):.2f}]"


def markdown(results):
    """The tables of ``latest.md``: one row per case and backend."""
    rate, flops = _common_scale(results)
    lines = []
    for result in results:
        m = result["machine"]
        versions = f"JAX {m['jax']}" if m["backend"] == "jax" else f"TensorFlow {m['tensorflow']}"
        lines.append(
            f"- {m['backend']}: {m['cpu']}, {m['cpu_count']} cores, devices {', '.join(m['devices']) or 'CPU only'}; "
            f"{versions}, Keras {m['keras']}; measured matmul rate {result['matmul_gflop_per_s']:.1f} GFLOP/s "
            "(float32)"
            + (
                f", {result['matmul_bf16_gflop_per_s']:.1f} GFLOP/s (bfloat16)"
                if "matmul_bf16_gflop_per_s" in result
                else ""
            )
            + "."
        )
    lines += [
        "",
        "| case | backend | it. | rounds | one fit: library / loop (s) | ratio [range] "
        "| short fits: library / loop (s) | ratio [range] | in-fit it/s | tail after last batch (s) "
        "| with steps_per_execution (s) | images/s | GFLOP / it | library % of matmul rate |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["results"]:
            short = "- | -"
            if "library_short_s" in r:
                short = f"{r['library_short_s']:.2f} / {r['baseline_short_s']:.2f} | {_ratios(r, 'short_s')}"
            spe = f"{r['library_spe_long_s']:.2f} (k = {r['library_spe']})" if "library_spe_long_s" in r else "-"
            lines.append(
                f"| {r['case']} | {result['machine']['backend']}{' (XLA)' if r['library_jit_compile'] else ''} "
                f"| {r['iterations']} | {len(r.get('rounds', [r]))} "
                f"| {r['library_long_s']:.2f} / {r['baseline_long_s']:.2f} "
                f"| {_ratios(r, 'long_s')} | {short} | {r['library_in_fit_it_per_s']:.2f} "
                f"| {r['library_tail_s']:.2f} | {spe} | {r['images_per_s']:.0f} | {flops[r['case']]:.2f} "
                f"| {100 * r['iterations'] * flops[r['case']] / r['library_long_s'] / rate:.0f}% |"
            )
    lines += [
        "",
        "Ratio: the plain loop's wall time over the library's (above 1: the library is faster), the ratio of "
        "the medians over the rounds, with the range of the rounds' own ratios. "
        "Times are whole calls: `fit()` with its start-up and teardown; the loop synchronised at the end. "
        f"Work per iteration: XLA's count where JAX ran, else TensorFlow's profiler's; the matmul rate is the "
        f"best measured here ({rate:.1f} GFLOP/s).",
    ]
    return "\n".join(lines) + "\n"


def _worker(args):
    if args.input_kind:
        rate = input_rate(args.input_kind, CASES["toy_wgan_gp"], args.iterations, args.warmup)
        result = {"machine": machine_description(), "kind": args.input_kind, "it_per_s": rate}
    elif args.accelerator_toy:
        rows = paper_scale_toy(args.accelerator_toy, seconds=args.toy_seconds)
        result = {"machine": machine_description(), "paper_scale_toy": rows}
    else:
        result = run_cases(
            args.cases,
            args.iterations,
            args.warmup,
            args.short_calls,
            args.spe,
            args.accelerator,
            args.repeats,
            args.seconds,
        )
    with open(args.worker, "w") as handle:
        json.dump(result, handle, indent=2)


def _installed(backend):
    module = "tensorflow" if backend == "tensorflow" else "jax"
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def _run_worker(backend, argv, timeout=None):
    """This benchmark in a fresh process on ``backend``; returns its result."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "result.json")
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, "-m", "wgan_keras.bench", "--worker", path, *argv]
        subprocess.run(command, env=env, check=True, timeout=timeout)
        with open(path) as handle:
            return json.load(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m wgan_keras.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=None, choices=list(CASES) + list(ACCELERATOR_CASES))
    parser.add_argument("--backends", nargs="+", default=None, choices=BACKENDS, help="default: every one installed")
    parser.add_argument("--iterations", type=int, default=60, help="generator iterations of the long fit call")
    parser.add_argument("--short-calls", type=int, default=4, help="fit calls the same iterations are split into")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5, help="rounds of library and loop per case, at most")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="no new round once a case has run this long (one at least)"
    )
    parser.add_argument("--spe", type=int, default=5, help="steps_per_execution of the extra run (1: none)")
    parser.add_argument("--out", default=None, help="default: outputs/local/benchmarks")
    parser.add_argument("--memory", action="store_true", help="instead: a 20,000-iteration memory profile")
    parser.add_argument("--accelerator", action="store_true", help="the papers' GPU cases and a paper-scale toy run")
    parser.add_argument("--toy-iterations", type=int, default=20000, help="--accelerator: toy run length")
    parser.add_argument("--toy-seconds", type=float, default=None, help="--accelerator: toy run time limit per set")
    parser.add_argument(
        "--inputs", action="store_true", help="instead: the toy case per input kind, each run a fresh process"
    )
    parser.add_argument("--input-kinds", nargs="+", default=list(INPUT_KINDS), choices=INPUT_KINDS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--input-kind", default=None, choices=INPUT_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--accelerator-toy", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.iterations < 4 or args.warmup < 1 or args.short_calls < 0 or args.spe < 1 or args.repeats < 1:
        parser.error("--iterations must be >= 4, --warmup >= 1, --short-calls >= 0, --spe >= 1 and --repeats >= 1.")
    timed_calls = not (args.inputs or args.input_kind)  # --inputs times one fit call per process
    if timed_calls and args.short_calls and args.iterations % args.short_calls:
        parser.error(f"--iterations ({args.iterations}) must be a multiple of --short-calls ({args.short_calls}).")
    if timed_calls and args.spe > 1 and args.iterations % args.spe:
        parser.error(f"--iterations ({args.iterations}) must be a multiple of --spe ({args.spe}).")
    if args.cases is None:
        args.cases = list(CASES) + (list(ACCELERATOR_CASES) if args.accelerator else [])
    if args.worker:
        return _worker(args)

    from wgan_keras.paths import outputs_dir

    out = args.out or outputs_dir("benchmarks")
    os.makedirs(out, exist_ok=True)
    if args.inputs:
        backends = args.backends or [b for b in BACKENDS if _installed(b)]
        rates = run_inputs(backends, args.input_kinds, args.iterations, args.warmup, args.repeats)
        with open(os.path.join(out, "inputs.json"), "w") as handle:
            json.dump(
                {"machine": machine_description(), "iterations": args.iterations, "rates": rates}, handle, indent=2
            )
        text = input_table(rates)
        with open(os.path.join(out, "inputs.md"), "w") as handle:
            handle.write(text)
        print(text)
        return rates
    if args.memory:
        result = memory_profile()
        with open(os.path.join(out, "memory.json"), "w") as handle:
            json.dump({"machine": machine_description(), **result}, handle, indent=2)
        print(json.dumps(result))
        return None
    backends = args.backends or [b for b in BACKENDS if _installed(b)]
    common = ["--cases", *args.cases, "--iterations", str(args.iterations), "--warmup", str(args.warmup)]
    common += ["--short-calls", str(args.short_calls), "--spe", str(args.spe), "--repeats", str(args.repeats)]
    common += ["--seconds", str(args.seconds)] + (["--accelerator"] if args.accelerator else [])
    results = [_run_worker(backend, common) for backend in backends]
    report = {"results": results}
    if args.accelerator:
        toy = ["--accelerator-toy", str(args.toy_iterations)]
        if args.toy_seconds:
            toy += ["--toy-seconds", str(args.toy_seconds)]
        report["paper_scale_toy"] = _run_worker("jax" if "jax" in backends else backends[0], toy)
    name = "accelerator" if args.accelerator else "latest"
    with open(os.path.join(out, f"{name}.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    text = markdown(results)
    if args.accelerator:
        text += "\nPaper-scale toy run (gan_toy.py's settings, WGAN-GP, 3 x 512 MLPs):\n\n"
        text += "| data | iterations | seconds | exact W1 | modes |\n|---|---|---|---|---|\n"
        for row in report["paper_scale_toy"]["paper_scale_toy"]:
            modes = f"{row['modes']}/{row['n_modes']}" if "modes" in row else "-"
            text += f"| {row['data']} | {row['iterations']} | {row['seconds']:.0f} | {row['w1']:.3f} | {modes} |\n"
    with open(os.path.join(out, f"{name}.md"), "w") as handle:
        handle.write(text)
    print(text)
    return report


if __name__ == "__main__":
    main()
