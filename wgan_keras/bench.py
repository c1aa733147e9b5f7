"""Benchmark: generator iterations per second, against a plain Keras baseline.

    python -m wgan_keras.bench                 # all cases, writes outputs/benchmarks/
    python -m wgan_keras.bench --cases toy_wgan_gp --iterations 30

For each case it times, after warm-up, (1) the library's ``fit()`` and (2) a
plain baseline on identical networks, weights and batches, written the way
most Keras GAN code is written: a Python loop of critic steps inside one
``tf.function``, separate critic calls for the real, fake and interpolated
batches, and a nested tape for the penalty. It counts the floating-point
work of one generator iteration from the compiled graph (TensorFlow's
profiler: the FLOPs of every matmul and convolution, forward and backward),
measures the machine's own float32 matrix-multiply rate in the same run, and
reports iterations/s, the ratio library/baseline and the fraction of the
matmul rate achieved. Results go to ``outputs/benchmarks/latest.json`` and
``latest.md``.
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import tensorflow as tf

import keras

CASES = {
    "toy_wgan_gp": dict(model="wgan_gp", nets="mlp", batch=256, n_critic=5),
    "dcgan28_wgan_gp": dict(model="wgan_gp", nets="dcgan", batch=64, n_critic=5),
    "dcgan28_wgan": dict(model="wgan", nets="dcgan", batch=64, n_critic=5),
}


def matmul_rate(size=2048, seconds=3.0):
    """The machine's float32 matmul rate in FLOP/s (best of repeated runs)."""
    a = tf.random.stateless_normal((size, size), seed=(1, 2))
    b = tf.random.stateless_normal((size, size), seed=(3, 4))
    run = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    run(a, b).numpy()
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        run(a, b).numpy()
        best = max(best, 2 * size**3 / (time.perf_counter() - start))
    return best


def graph_flops(function, *args):
    """FLOPs of one call of a ``tf.function``, counted by TensorFlow's profiler."""
    graph = function.get_concrete_function(*args).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops


def build_networks(case, seed):
    import wgan_keras as wk

    keras.utils.set_random_seed(seed)
    if case["nets"] == "mlp":
        generator = wk.nets.mlp_generator(latent_dim=2, output_shape=(2,), hidden=512, depth=3)
        critic = wk.nets.mlp_critic(input_shape=(2,), hidden=512, depth=3)
    else:
        normalization = "layer" if case["model"] == "wgan_gp" else "batch"
        generator = wk.nets.dcgan_generator(latent_dim=128, image_shape=(28, 28, 1), seed=seed)
        critic = wk.nets.dcgan_critic(image_shape=(28, 28, 1), normalization=normalization, seed=seed)
    return generator, critic


def real_elements(case, seed):
    """An endless stream of ``(batch, n_critic, ...)`` elements of real-looking data."""
    shape = (2,) if case["nets"] == "mlp" else (28, 28, 1)
    rng = np.random.default_rng(seed)
    pool = np.tanh(rng.normal(size=(case["batch"] * case["n_critic"] * 8,) + shape)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(pool).batch(case["batch"], drop_remainder=True).repeat()
    return ds


class _Timer(keras.callbacks.Callback):
    def __init__(self, warmup):
        super().__init__()
        self.warmup, self.marks = warmup, []

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 >= self.warmup:
            self.marks.append(time.perf_counter())


def time_library(case, iterations, warmup, jit_compile, seed=0):
    import wgan_keras as wk

    generator, critic = build_networks(case, seed)
    if case["model"] == "wgan_gp":
        model = wk.WGANGP(generator, critic, n_critic=case["n_critic"], seed=seed)
    else:
        model = wk.WGAN(generator, critic, n_critic=case["n_critic"], critic_warmup=False, seed=seed)
    model.compile(jit_compile=jit_compile)
    timer = _Timer(warmup)
    model.fit(real_elements(case, seed), epochs=1, steps_per_epoch=warmup + iterations, callbacks=[timer], verbose=0)
    elapsed = timer.marks[-1] - timer.marks[0]
    step = tf.function(model.train_step, jit_compile=False)
    spec = tf.TensorSpec((case["batch"], case["n_critic"]) + model.sample_shape, "float32")
    return (len(timer.marks) - 1) / elapsed, graph_flops(step, spec), model.jit_compile


def baseline_step_function(case, generator, critic):
    """The common hand-written GAN step, kept deliberately plain."""
    from wgan_keras import optimizers

    # The library's default optimizers, so that both sides do the same arithmetic.
    make = optimizers.wgan_gp_adam if case["model"] == "wgan_gp" else optimizers.wgan_rmsprop
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
                real_out = critic(real, training=True)
                fake_out = critic(fake, training=True)
                loss = tf.reduce_mean(fake_out) - tf.reduce_mean(real_out)
                if case["model"] == "wgan_gp":
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

    return step


def time_baseline(case, iterations, warmup, seed=0):
    generator, critic = build_networks(case, seed)
    step = baseline_step_function(case, generator, critic)
    perm = lambda b: tf.transpose(b, [1, 0] + list(range(2, len(b.shape))))  # noqa: E731
    elements = iter(real_elements(case, seed).batch(case["n_critic"]).map(perm).prefetch(2))
    for _ in range(warmup):
        step(next(elements)).numpy()
    start = time.perf_counter()
    for _ in range(iterations):
        loss = step(next(elements))
    loss.numpy()
    return iterations / (time.perf_counter() - start)


def _rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _MemorySampler(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.samples = []

    def on_epoch_end(self, epoch, logs=None):
        self.samples.append((int(self.model.generator_iterations.numpy()), _rss_mib()))


def memory_profile(iterations=20000, every=1000, hidden=64, batch=64, seed=0):
    """Resident memory of a long toy WGAN-GP run, sampled every ``every`` iterations.

    Retracing, growing histories or leaked tensors would show as a rising
    line. Linux only (reads /proc/self/statm).
    """
    import wgan_keras as wk

    keras.utils.set_random_seed(seed)
    model = wk.WGANGP(
        wk.nets.mlp_generator(2, (2,), hidden=hidden, depth=3),
        wk.nets.mlp_critic((2,), hidden=hidden, depth=3),
        gp_weight=0.1,
        seed=seed,
    )
    model.compile()
    sampler = _MemorySampler()
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


def machine_description():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def run(cases, iterations, warmup, out_dir):
    rate = matmul_rate()
    rows = []
    for name in cases:
        case = CASES[name]
        lib_rate, flops, jit = time_library(case, iterations, warmup, jit_compile="auto")
        base_rate = time_baseline(case, iterations, warmup)
        rows.append(
            {
                "case": name,
                "batch": case["batch"],
                "n_critic": case["n_critic"],
                "jit_compile": bool(jit),
                "library_it_per_s": lib_rate,
                "baseline_it_per_s": base_rate,
                "ratio": lib_rate / base_rate,
                "gflop_per_iteration": flops / 1e9,
                "library_fraction_of_matmul_rate": lib_rate * flops / rate,
                "baseline_fraction_of_matmul_rate": base_rate * flops / rate,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    result = {"machine": machine_description(), "matmul_gflop_per_s": rate / 1e9, "results": rows}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "latest.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    with open(os.path.join(out_dir, "latest.md"), "w") as handle:
        handle.write(markdown(result))
    return result


def markdown(result):
    m = result["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cpu_count']} cores, GPUs: {', '.join(m['gpus']) or 'none'}; "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']}; measured matmul rate "
        f"{result['matmul_gflop_per_s']:.1f} GFLOP/s (float32).",
        "",
        "| case | batch | XLA | library it/s | baseline it/s | library / baseline | GFLOP / it | library % of matmul rate | baseline % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["results"]:
        lines.append(
            f"| {r['case']} | {r['batch']} | {'on' if r['jit_compile'] else 'off'} | {r['library_it_per_s']:.2f} | "
            f"{r['baseline_it_per_s']:.2f} | {r['ratio']:.2f}x | {r['gflop_per_iteration']:.2f} | "
            f"{100 * r['library_fraction_of_matmul_rate']:.0f}% | {100 * r['baseline_fraction_of_matmul_rate']:.0f}% |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    from wgan_keras.paths import outputs_dir

    parser = argparse.ArgumentParser(prog="python -m wgan_keras.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--iterations", type=int, default=20, help="timed generator iterations per case")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", default=None, help="default: outputs/benchmarks")
    parser.add_argument("--memory", action="store_true", help="instead: a 20,000-iteration memory profile")
    args = parser.parse_args(argv)
    if args.memory:
        result = memory_profile()
        out = args.out or outputs_dir("benchmarks")
        with open(os.path.join(out, "memory.json"), "w") as handle:
            json.dump({"machine": machine_description(), **result}, handle, indent=2)
        print(json.dumps(result))
        return
    if args.iterations < 2 or args.warmup < 1:
        parser.error("--iterations must be >= 2 and --warmup >= 1.")
    result = run(args.cases, args.iterations, args.warmup, args.out or outputs_dir("benchmarks"))
    print(markdown(result))


if __name__ == "__main__":
    main()
