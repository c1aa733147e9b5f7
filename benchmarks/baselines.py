"""The plain compiled loop the library is timed against, one per backend.

Written the way most GAN code is written: on TensorFlow a Python loop of
critic steps inside one ``tf.function`` with separate critic calls for real,
fake and interpolated batches and a nested tape; on JAX one ``jax.jit``
function with ``jax.value_and_grad`` (and a nested ``jax.grad`` for the
penalty) over the networks' stateless calls; on PyTorch the eager loop of
the popular ports (``gan_toy.py``'s PyTorch port and others): ``torch.optim``
on the networks' parameters, ``loss.backward()``, ``optimizer.step()``,
``clamp_`` after each critic step and ``create_graph=True`` for the penalty.
Its batches are prepared in memory beforehand, so it pays nothing for input.
"""

import time

import numpy as np

from benchmarks.cases import build_networks, real_pool


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


def _torch_baseline(case, generator, critic, elements):
    import torch

    from wgan_keras import optimizers

    n_critic, batch = case["n_critic"], case["batch"]
    latent = generator.input_shape[-1]
    g_params = [v.value for v in generator.trainable_variables]
    c_params = [v.value for v in critic.trainable_variables]
    # The paper's optimizers, as torch.optim (the settings of wgan_keras.optimizers).
    if case["model"] == "wgan-gp":
        config = optimizers.wgan_gp_adam().get_config()
        make = lambda params: torch.optim.Adam(  # noqa: E731
            params, lr=config["learning_rate"], betas=(config["beta_1"], config["beta_2"]), eps=config["epsilon"]
        )
    else:
        config = optimizers.wgan_rmsprop().get_config()
        make = lambda params: torch.optim.RMSprop(  # noqa: E731
            params, lr=config["learning_rate"], alpha=config["rho"], eps=config["epsilon"]
        )
    g_opt, c_opt = make(g_params), make(c_params)
    draws = torch.Generator().manual_seed(0)

    def step(real_batches):
        for i in range(n_critic):
            real = real_batches[:, i]
            with torch.no_grad():
                fake = generator(torch.randn(batch, latent, generator=draws), training=True)
            c_opt.zero_grad()
            loss = critic(fake, training=True).mean() - critic(real, training=True).mean()
            if case["model"] == "wgan-gp":
                eps = torch.rand((batch,) + (1,) * (real.dim() - 1), generator=draws)
                x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grads,) = torch.autograd.grad(critic(x_hat, training=True).sum(), x_hat, create_graph=True)
                norms = torch.sqrt(grads.flatten(1).square().sum(1) + 1e-12)
                loss = loss + 10.0 * (norms - 1.0).square().mean()
            loss.backward()
            c_opt.step()
            if case["model"] == "wgan":
                with torch.no_grad():
                    for p in c_params:
                        p.clamp_(-0.01, 0.01)
        g_opt.zero_grad()
        g_loss = -critic(generator(torch.randn(batch, latent, generator=draws), training=True), training=True).mean()
        g_loss.backward()
        g_opt.step()
        return g_loss

    elements = [torch.as_tensor(e) for e in elements]

    def run(count):
        for i in range(count):
            loss = step(elements[i % len(elements)])
        float(loss.detach())

    def flops():
        counter = _torch_flop_counter()
        with counter:
            step(elements[0])
        return counter.total

    return run, flops


def _torch_flop_counter():
    """PyTorch's FLOP formulas (``FlopCounterMode``'s) summed over the dispatched operations.

    ``FlopCounterMode`` itself also tracks modules with hooks that fail on
    ``autograd.grad`` of a leaf (the penalty's interpolates); this counts
    the same operations without them.
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    registry = FlopCounterMode(display=False).flop_registry

    class Counter(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            formula = registry.get(func._overloadpacket)
            if formula is not None:
                self.total += formula(*args, **kwargs, out_val=out)
            return out

    return Counter()


def baseline_runner(case, warmup, seed=0):
    """The plain compiled loop, warmed up; returns ``run(iterations, calls)`` and its FLOPs per iteration."""
    import keras

    generator, critic = build_networks(case, seed)
    pool = real_pool(case, seed)
    batches = pool.reshape((-1, case["batch"]) + pool.shape[1:])
    elements = [np.swapaxes(batches[i : i + case["n_critic"]], 0, 1) for i in range(0, len(batches), case["n_critic"])]
    baseline = {"jax": _jax_baseline, "torch": _torch_baseline}.get(keras.backend.backend(), _tf_baseline)
    loop, flops = baseline(case, generator, critic, elements)
    loop(warmup)

    def run(iterations, calls=1):
        start = time.perf_counter()
        for _ in range(calls):
            loop(iterations // calls)
        return {"short_s" if calls > 1 else "long_s": time.perf_counter() - start}

    return run, float(flops())
