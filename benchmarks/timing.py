"""Library and loop timed in alternation per case, the machine's matmul rate, and the paper-scale toy run."""

import json
import os
import platform
import time

import numpy as np

from benchmarks.baselines import baseline_runner
from benchmarks.cases import ACCELERATOR_CASES, CASES, build_networks, library_runner


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


def matmul_rate(size=2048, seconds=3.0, dtype="float32"):
    """The machine's matrix-multiply rate in FLOP/s (best of repeated runs)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax
        import jax.numpy as jnp

        a = jax.random.normal(jax.random.key(1), (size, size), dtype)
        b = jax.random.normal(jax.random.key(2), (size, size), dtype)
        run = jax.jit(lambda x, y: jnp.sum(jnp.dot(x, y, preferred_element_type=jnp.float32)))
    elif keras.backend.backend() == "torch":
        import torch

        draws = torch.Generator().manual_seed(1)
        a = torch.randn((size, size), generator=draws).to(getattr(torch, dtype))
        b = torch.randn((size, size), generator=draws).to(getattr(torch, dtype))
        run = lambda x, y: torch.matmul(x, y).float().sum()  # noqa: E731
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
    import keras

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
    elif keras.backend.backend() == "torch":
        import torch

        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        description.update(torch=torch.__version__, devices=gpus)
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
