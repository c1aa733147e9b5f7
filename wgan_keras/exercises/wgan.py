"""Checks of notebook 02 (WGAN): the two losses and weight clipping.

WGAN (Arjovsky et al. 2017), Algorithm 1: the critic maximises
``E f(x) - E f(G(z))`` (line 5), so its loss is ``E f(G(z)) - E f(x)``; the
generator minimises ``-E f(G(z))`` (line 10); after each critic update every
trainable critic variable is clipped to ``[-c, c]`` (line 7).
"""

import keras
import numpy as np
from keras import ops

from wgan_keras.exercises import harness
from wgan_keras.exercises.harness import Once, approx_case, fmt, require_function, run

#: TF-GAN's reference vectors (losses_impl_test.py): critic values of real and generated samples.
TF_GAN_REAL = [-5.0, 1.4, 12.5, 2.7]
TF_GAN_FAKE = [10.0, 4.4, -5.5, 3.6]


def _tensor(values, shape=None):
    array = np.asarray(values, dtype="float32")
    return ops.convert_to_tensor(array if shape is None else array.reshape(shape))


def _loss_gradient_case(name, loss, arrays, expected, expected_text):
    """The gradient of ``loss(*arrays)`` w.r.t. each of its inputs, against ``expected`` (one array per input).

    The training step differentiates the loss through the critic's values
    (WGAN Algorithm 1, lines 5 and 10), so a loss that sends no gradient back
    (numpy, ``float()``, ``stop_gradient``) cannot train anything.
    """
    arrays = [np.asarray(a, "float32") for a in arrays]
    expected = np.concatenate([np.ravel(e) for e in expected])

    def judge():
        values = [keras.Variable(a.copy(), name=f"values_{i}") for i, a in enumerate(arrays)]
        _, gradients = harness.differentiate(
            lambda: loss(*(ops.convert_to_tensor(v) for v in values)), values, "the critic's values"
        )
        return harness.gradient_text(expected, np.concatenate([g.ravel() for g in gradients]))

    return name, expected_text, judge


def _random_values(rng):
    """A batch of critic values shaped ``(n, 1)``: sizes other than the fixed cases' 2, 3, 4 and 8.

    A few sizes only: JAX compiles its operations once per shape; the values are new at each call.
    """
    n = int(rng.choice([5, 16, 64]))
    return (rng.standard_normal((n, 1)) * rng.uniform(0.5, 5.0) + rng.uniform(-5.0, 5.0)).astype("float32")


def check_critic_loss(critic_loss, show=True, seed=None):
    """Check ``critic_loss(real_values, fake_values)``: ``E f(G(z)) - E f(x)`` (Algorithm 1, line 5, negated).

    TF-GAN's reference vectors give 0.225; values shaped ``(batch, 1)`` as a
    critic returns them give the same; a mean, not a sum; a critic that rates
    real samples higher has a negative loss, whose negation is the
    Wasserstein estimate. The loss trains the critic, so its gradient w.r.t.
    the values must be ``-1/n`` for each real and ``+1/n`` for each fake
    one. Batches of random size and values are drawn from ``seed`` (printed).
    """
    require_function("critic_loss", critic_loss)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    real, fake = TF_GAN_REAL, TF_GAN_FAKE
    drawn_real = _random_values(rng)
    drawn_fake = (rng.standard_normal(drawn_real.shape) * 3.0 + rng.uniform(-5.0, 5.0)).astype("float32")
    n = len(drawn_real)
    drawn = float(np.mean(drawn_fake.astype(np.float64)) - np.mean(drawn_real.astype(np.float64)))
    return run(
        "check_critic_loss",
        [
            approx_case("TF-GAN vectors D(x), D(G(z))", 0.225, lambda: critic_loss(_tensor(real), _tensor(fake))),
            approx_case(
                "the same values shaped (4, 1), as a critic returns them",
                0.225,
                lambda: critic_loss(_tensor(real, (4, 1)), _tensor(fake, (4, 1))),
            ),
            approx_case(
                "a mean, not a sum: the batch repeated twice",
                0.225,
                lambda: critic_loss(_tensor(real * 2), _tensor(fake * 2)),
            ),
            approx_case(
                "real rated 3, fake rated 1: loss -2 (minus the W estimate)",
                -2.0,
                lambda: critic_loss(_tensor([3.0, 3.0]), _tensor([1.0, 1.0])),
            ),
            _loss_gradient_case(
                "TF-GAN vectors (4, 1): gradient w.r.t. D(x) and D(G(z))",
                critic_loss,
                [np.reshape(real, (4, 1)), np.reshape(fake, (4, 1))],
                [np.full(4, -0.25), np.full(4, 0.25)],
                "-1/4 for each D(x), +1/4 for each D(G(z))",
            ),
            approx_case(
                f"random: {n} values each, shaped ({n}, 1)",
                drawn,
                lambda: critic_loss(_tensor(drawn_real), _tensor(drawn_fake)),
                rtol=1e-5,
                atol=1e-5,
            ),
            _loss_gradient_case(
                f"random: {n} values each: gradient",
                critic_loss,
                [drawn_real, drawn_fake],
                [np.full(n, -1.0 / n), np.full(n, 1.0 / n)],
                f"-1/{n} for each D(x), +1/{n} for each D(G(z))",
            ),
        ],
        show,
        seed,
    )


def check_generator_loss(generator_loss, show=True, seed=None):
    """Check ``generator_loss(fake_values)``: ``-E f(G(z))`` (Algorithm 1, line 10).

    TF-GAN's reference vector gives -3.125; the generator gains by raising
    the critic's values of its samples: the gradient w.r.t. each of ``n``
    values is ``-1/n`` (it reaches the generator through them). A batch of
    random size and values is drawn from ``seed`` (printed).
    """
    require_function("generator_loss", generator_loss)
    seed = harness.draw_seed(seed)
    drawn_fake = _random_values(np.random.default_rng(seed))
    n = len(drawn_fake)
    fake = TF_GAN_FAKE
    return run(
        "check_generator_loss",
        [
            approx_case("TF-GAN vector D(G(z))", -3.125, lambda: generator_loss(_tensor(fake))),
            approx_case("the same values shaped (4, 1)", -3.125, lambda: generator_loss(_tensor(fake, (4, 1)))),
            approx_case(
                "a mean, not a sum: the batch repeated twice", -3.125, lambda: generator_loss(_tensor(fake * 2))
            ),
            approx_case(
                "fakes rated 2: loss -2 (higher critic values, lower loss)",
                -2.0,
                lambda: generator_loss(_tensor([2.0, 2.0, 2.0])),
            ),
            _loss_gradient_case(
                "TF-GAN vector (4, 1): gradient w.r.t. D(G(z))",
                generator_loss,
                [np.reshape(fake, (4, 1))],
                [np.full(4, -0.25)],
                "-1/4 for each D(G(z))",
            ),
            approx_case(
                f"random: {n} values shaped ({n}, 1)",
                -float(np.mean(drawn_fake.astype(np.float64))),
                lambda: generator_loss(_tensor(drawn_fake)),
                atol=1e-5,
            ),
            _loss_gradient_case(
                f"random: {n} values: gradient", generator_loss, [drawn_fake], [np.full(n, -1.0 / n)], f"-1/{n} each"
            ),
        ],
        show,
        seed,
    )


def clipping_critic(seed=0):
    """A small critic with batch norm whose weights mostly lie far outside ``[-0.1, 0.1]``.

    Kernels ``N(0, 0.5^2)`` (a sixth of the entries inside ``[-0.1, 0.1]``),
    biases 2 and -2.5, batch-norm gamma 1.5 and beta -3, and moving
    statistics 5 and 7 (not trainable: clipping must leave them alone).
    """
    kernel = keras.initializers.RandomNormal(stddev=0.5, seed=seed)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(
        16, kernel_initializer=kernel, bias_initializer=keras.initializers.Constant(2.0), name="dense"
    )(inputs)
    x = keras.layers.BatchNormalization(
        gamma_initializer=keras.initializers.Constant(1.5),
        beta_initializer=keras.initializers.Constant(-3.0),
        moving_mean_initializer=keras.initializers.Constant(5.0),
        moving_variance_initializer=keras.initializers.Constant(7.0),
        name="batch_norm",
    )(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    values = keras.layers.Dense(
        1,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed + 1),
        bias_initializer=keras.initializers.Constant(-2.5),
        name="value",
    )(x)
    return keras.Model(inputs, values, name="clipping_critic")


def _kind(variable):
    name = variable.path.split("/")[-1]
    if name in ("kernel", "bias"):
        return name
    if name in ("gamma", "beta"):
        return "batch-norm"
    return "moving statistic"


def _snapshot(critic):
    return {v.path: np.array(ops.convert_to_numpy(v), np.float64) for v in critic.variables}


def _clip_problems(critic, before, after, c):
    """What is wrong after clipping to ``[-c, c]``: empty when every rule of :func:`check_clip` holds."""
    problems = []
    c32 = float(np.float32(c))  # the bound as the float32 variables hold it
    for variable in critic.variables:
        path, kind = variable.path, _kind(variable)
        old, new = before[path], after[path]
        if kind == "moving statistic":
            if not np.array_equal(old, new):
                problems.append(f"{path} changed")
            continue
        inside = np.abs(old) <= c
        if float(np.max(np.abs(new))) > c * (1 + 1e-6):
            problems.append(f"{kind} max |w| = {fmt(float(np.max(np.abs(new))), 4)}")
        elif np.any(inside) and float(np.max(np.abs(new[inside] - old[inside]))) > 1e-7:
            problems.append(f"{kind} values inside [-c, c] changed")
        elif np.any(~inside) and float(np.max(np.abs(new[~inside] - np.sign(old[~inside]) * c32))) > 1e-7:
            problems.append(f"{kind} values outside [-c, c] not at the bound")
    return list(dict.fromkeys(problems))


def check_clip(clip, show=True, seed=None):
    """Check ``clip(variables, clip_value)``: ``w <- clip(w, -c, c)`` in place (Algorithm 1, line 7).

    The check calls ``clip(critic.trainable_variables, c)`` on a critic with
    batch normalisation, as the training step does after each critic update:
    kernels, biases and the batch-norm scale and offset must all end inside
    ``[-c, c]`` (the official code clamps every ``netD.parameters()``),
    values already inside stay as they were, values outside go to the
    nearest bound, and the moving statistics, which are not trainable, stay.
    A critic of random kernels and a random ``c`` are drawn from ``seed``
    (printed).
    """
    require_function("clip", clip)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    critic_seed, drawn_c = int(rng.integers(2**31)), float(np.round(10 ** rng.uniform(-2.3, -0.5), 4))
    c = 0.1
    critic = clipping_critic(seed=0)
    before = _snapshot(critic)

    def clipped():
        clip(critic.trainable_variables, c)
        return _snapshot(critic)

    after = Once(clipped)
    by_kind = {}
    for variable in critic.variables:
        by_kind.setdefault(_kind(variable), []).append(variable.path)

    def within(kind):
        def judge():
            values = after()
            worst = max(float(np.max(np.abs(values[path]))) for path in by_kind[kind])
            hint = "" if any(not np.array_equal(values[p], before[p]) for p in values) else " (nothing changed: assign)"
            return f"max |w| = {fmt(worst, 4)}{hint}", worst <= c * (1 + 1e-6)

        return judge

    def inside_unchanged():
        values = after()
        paths = [p for kind in ("kernel", "bias", "batch-norm") for p in by_kind[kind]]
        inside = [(values[p][np.abs(before[p]) <= c], before[p][np.abs(before[p]) <= c]) for p in paths]
        worst = max((float(np.max(np.abs(a - b))) for a, b in inside if a.size), default=0.0)
        count = sum(a.size for a, _ in inside)
        return f"{count} values, max change {fmt(worst, 3)}", count > 0 and worst <= 1e-7

    def outside_to_bound():
        values = after()
        paths = [p for kind in ("kernel", "bias", "batch-norm") for p in by_kind[kind]]
        pairs = [(values[p][np.abs(before[p]) > c], np.sign(before[p][np.abs(before[p]) > c]) * c) for p in paths]
        worst = max(float(np.max(np.abs(a - b))) for a, b in pairs if a.size)
        return f"max distance to +-c {fmt(worst, 3)}", worst <= 1e-7

    def statistics_untouched():
        values = after()
        changed = [p.split("/")[-1] for p in by_kind["moving statistic"] if not np.array_equal(values[p], before[p])]
        return ("untouched" if not changed else f"changed: {', '.join(changed)}"), not changed

    def paper_value():
        small = clipping_critic(seed=1)
        clip(small.trainable_variables, 0.01)
        worst = max(float(np.max(np.abs(ops.convert_to_numpy(v)))) for v in small.trainable_variables)
        return f"max |w| = {fmt(worst, 4)}", worst <= 0.01 * (1 + 1e-6)

    def random_critic():
        drawn = clipping_critic(seed=critic_seed)
        old = _snapshot(drawn)
        clip(drawn.trainable_variables, drawn_c)
        problems = _clip_problems(drawn, old, _snapshot(drawn), drawn_c)
        return ("; ".join(problems) if problems else "all as above"), not problems

    return run(
        "check_clip",
        [
            ("kernels within [-c, c], c = 0.1", "max |w| <= 0.1", within("kernel")),
            ("biases within [-c, c]", "max |w| <= 0.1", within("bias")),
            ("batch-norm gamma and beta within [-c, c]", "max |w| <= 0.1", within("batch-norm")),
            ("values already inside [-c, c] unchanged", "max change 0", inside_unchanged),
            ("values outside [-c, c] set to the nearest bound", "distance 0", outside_to_bound),
            ("moving mean and variance untouched (not trainable)", "untouched", statistics_untouched),
            ("the paper's c = 0.01 on a fresh critic", "max |w| <= 0.01", paper_value),
            (f"random: a fresh critic, c = {drawn_c:g}: all the rules above", "all as above", random_critic),
        ],
        show,
        seed,
    )
