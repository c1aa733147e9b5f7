"""Checks of notebook 02 (WGAN): the two losses and weight clipping.

WGAN (Arjovsky et al. 2017), Algorithm 1: the critic maximises
``E f(x) - E f(G(z))`` (line 5), so its loss is ``E f(G(z)) - E f(x)``; the
generator minimises ``-E f(G(z))`` (line 10); after each critic update every
trainable critic variable is clipped to ``[-c, c]`` (line 7).
"""

import math

import keras
import numpy as np
from keras import ops

from wgan_keras.exercises import harness
from wgan_keras.exercises.harness import Once, approx_case, fmt, require_function, run, to_scalar

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


# ------------------------------------------------------- a whole critic update

#: The fixed case of :func:`check_critic_update`: a clipping bound most initial kernels exceed, and a rate
#: whose first RMSProp step (about 10 x the rate per weight) moves weights by a visible fraction of it.
UPDATE_CLIP, UPDATE_RATE, UPDATE_HIDDEN, UPDATE_BATCH, UPDATE_STEPS = 0.05, 2e-3, 16, 64, 3


def _update_critics(net_seed, hidden, clip_value):
    """Two critics with the same weights: the library's and the student's.

    Glorot kernels (most of them outside ``[-c, c]``) and biases drawn in
    ``[-3c, 3c]`` (Keras starts them at 0, where clipping only the kernels
    would go unnoticed for several updates).
    """
    from wgan_keras import nets

    critics = [nets.mlp_critic((2,), hidden=hidden, depth=2, seed=net_seed, name=f"critic_{i}") for i in (0, 1)]
    rng = np.random.default_rng(net_seed)
    for variables in zip(*(c.trainable_variables for c in critics)):
        value = ops.convert_to_numpy(variables[0])
        if variables[0].path.endswith("bias"):
            value = rng.uniform(-3 * clip_value, 3 * clip_value, value.shape).astype("float32")
        for variable in variables:
            variable.assign(value)
    return critics


def _update_batches(rng, steps, batch):
    """``steps`` pairs ``(real, fake)``: the 8 Gaussians and a generator-like cloud near the origin."""
    from wgan_keras import data

    pairs = []
    for _ in range(steps):
        real = data.toy("8gaussians", batch, seed=int(rng.integers(2**31 - 1)))
        fake = (rng.standard_normal((batch, 2)) * 0.5).astype("float32")
        pairs.append((np.asarray(real, "float32"), fake))
    return pairs


def _weights(critic):
    return [np.array(ops.convert_to_numpy(v), np.float64) for v in critic.trainable_variables]


def _library_run(critic, clip_value, learning_rate, batches):
    """What the library's critic update does: ``(losses before each update, weights after each, optimizer)``.

    ``WGAN.critic_update_function()``: the body of the training step's
    critic iteration (Algorithm 1, lines 5-7) on given real and fake batches.
    """
    from wgan_keras import nets
    from wgan_keras.models import WGAN

    generator = nets.mlp_generator(2, (2,), hidden=4, depth=1, seed=0, name="unused_generator")
    model = WGAN(generator, critic, n_critic=1, clip_value=clip_value, critic_warmup=False, seed=0)
    model.compile(learning_rate=learning_rate)
    update = model.critic_update_function()
    losses, weights = [], []
    for real, fake in batches:
        losses.append(float(np.mean(_values(critic, fake)) - np.mean(_values(critic, real))))
        update(real, fake)
        weights.append(_weights(critic))
    return losses, weights, _optimizer_state(model.critic_optimizer)


def _values(critic, samples):
    return np.asarray(ops.convert_to_numpy(critic(samples, training=False)), np.float64)


def _optimizer_state(optimizer):
    """The optimizer's iteration count and its per-weight state (RMSProp's running averages)."""
    state = [np.array(ops.convert_to_numpy(v), np.float64) for v in optimizer.variables if len(v.shape)]
    return int(ops.convert_to_numpy(optimizer.iterations)), state


def _student_run(critic_update, critic, clip_value, learning_rate, batches):
    """The student's updates on copies of the batches: ``(returned values, weights after each, optimizer)``."""
    from wgan_keras import optimizers

    optimizer = optimizers.wgan_rmsprop(learning_rate)
    returned, weights = [], []
    for real, fake in batches:
        returned.append(critic_update(critic, optimizer, real.copy(), fake.copy(), clip_value))
        weights.append(_weights(critic))
    return returned, weights, _optimizer_state(optimizer) if optimizer.built else (0, [])


def _weights_text(expected, received):
    """``(text, passed)``: the largest difference between two lists of weight arrays."""
    if [e.shape for e in expected] != [r.shape for r in received]:
        return "the critic's variables changed shape", False
    worst = max(float(np.max(np.abs(e - r))) for e, r in zip(expected, received))
    if not math.isfinite(worst):
        return "NaN/inf weights", False
    moved = "" if worst < 1e-5 else " (sign of the loss? clipping order? the optimizer passed in?)"
    return f"max difference {fmt(worst, 3)}{moved}", worst < 1e-5


def check_critic_update(critic_update, show=True, seed=None):
    """Check ``critic_update(critic, optimizer, real, fake, clip_value)``: one critic iteration of Algorithm 1.

    WGAN Algorithm 1, lines 5-7: the gradient of the critic loss
    ``E f(fake) - E f(real)`` w.r.t. the critic's weights (line 5), one step
    of the given RMSProp (line 6), every trainable critic variable clipped to
    ``[-c, c]`` (line 7); it returns the loss before the step. The check runs
    the library's own update (``WGAN.critic_update_function()``, the body of
    the training step's critic iteration) on a copy of the critic first,
    then the student's on the same batches, and compares the weights after
    each of three updates, the returned losses, the bound, and the
    optimizer's state. A case with a random bound, rate, batch size and
    critic is drawn from ``seed`` (printed).
    """
    require_function("critic_update", critic_update)
    seed = harness.draw_seed(seed)
    rng = np.random.default_rng(seed)
    drawn = {
        "net_seed": int(rng.integers(2**31 - 1)),
        "hidden": int(rng.choice([8, 24])),
        "clip_value": float(np.round(rng.uniform(0.02, 0.2), 3)),
        "learning_rate": float(np.round(10 ** rng.uniform(-3.5, -2.5), 6)),
        "batch": int(rng.choice([16, 48])),
    }
    drawn_batches = _update_batches(rng, 2, drawn["batch"])
    c, rate = UPDATE_CLIP, UPDATE_RATE
    batches = _update_batches(np.random.default_rng(0), UPDATE_STEPS, UPDATE_BATCH)

    # Everything expected is computed before the student's function runs.
    library_critic, student_critic = _update_critics(0, UPDATE_HIDDEN, c)
    losses, library_weights, library_optimizer = _library_run(library_critic, c, rate, batches)
    real, fake = batches[0]
    estimate_before = float(np.mean(_values(student_critic, real)) - np.mean(_values(student_critic, fake)))
    student = Once(lambda: _student_run(critic_update, student_critic, c, rate, batches))
    drawn_library, drawn_student = _update_critics(drawn["net_seed"], drawn["hidden"], drawn["clip_value"])
    drawn_expected = _library_run(drawn_library, drawn["clip_value"], drawn["learning_rate"], drawn_batches)
    drawn_run = Once(
        lambda: _student_run(critic_update, drawn_student, drawn["clip_value"], drawn["learning_rate"], drawn_batches)
    )

    def first_loss():
        return fmt(to_scalar(student()[0][0]), 6), harness.close(losses[0], to_scalar(student()[0][0]), 1e-4, 1e-5)

    def weights_after(index):
        return lambda: _weights_text(library_weights[index], student()[1][index])

    def later_weights():
        texts = [_weights_text(library_weights[i], student()[1][i]) for i in range(1, UPDATE_STEPS)]
        return "; ".join(text for text, _ in texts), all(passed for _, passed in texts)

    def estimate_rises():
        # The weights after the first update, on a third critic: the student's has gone on to update 3.
        probe = _update_critics(0, UPDATE_HIDDEN, c)[0]
        for variable, value in zip(probe.trainable_variables, student()[1][0]):
            variable.assign(value.astype("float32"))
        estimate = float(np.mean(_values(probe, real)) - np.mean(_values(probe, fake)))
        return f"{fmt(estimate_before, 4)} -> {fmt(estimate, 4)}", estimate > estimate_before

    def within_bound():
        worst = max(float(np.max(np.abs(w))) for weights in student()[1] for w in weights)
        return f"max |w| = {fmt(worst, 4)}", worst <= c * (1 + 1e-6)

    def optimizer_state():
        iterations, state = student()[2]
        expected_iterations, expected_state = library_optimizer
        if iterations != expected_iterations:
            return f"{iterations} iterations (a new optimizer inside? use the one passed in)", False
        if [s.shape for s in state] != [s.shape for s in expected_state]:
            return "its state has other shapes than RMSProp's on this critic", False
        worst = max(float(np.max(np.abs(e - s) / (np.abs(e) + 1e-12))) for e, s in zip(expected_state, state))
        return f"{iterations} iterations, running averages within {fmt(worst, 2)} (relative)", worst < 1e-3

    def random_case():
        expected_losses, expected_weights, _ = drawn_expected
        returned, weights, _ = drawn_run()
        problems = []
        if not all(harness.close(e, to_scalar(r), 1e-4, 1e-5) for e, r in zip(expected_losses, returned, strict=True)):
            problems.append("returned losses " + ", ".join(fmt(to_scalar(r), 4) for r in returned))
        text, passed = _weights_text(expected_weights[-1], weights[-1])
        if not passed:
            problems.append(f"weights: {text}")
        return ("; ".join(problems) if problems else "as the library's"), not problems

    return run(
        "check_critic_update",
        [
            (
                "update 1: returns the loss E f(fake) - E f(real) before the step",
                fmt(losses[0], 6),
                first_loss,
            ),
            ("update 1: the critic's weights equal the library's", "max difference < 1e-05", weights_after(0)),
            ("update 1: the estimate E f(real) - E f(fake) on its batch rises", "larger after", estimate_rises),
            (f"after every update: every variable within [-c, c], c = {c:g}", f"max |w| <= {c:g}", within_bound),
            (
                f"updates 2-{UPDATE_STEPS} on new batches: the weights equal the library's",
                "max difference < 1e-05",
                later_weights,
            ),
            (
                "the optimizer passed in: its iterations and RMSProp averages",
                f"{library_optimizer[0]} iterations, as the library's",
                optimizer_state,
            ),
            (
                f"random: c = {drawn['clip_value']:g}, rate {drawn['learning_rate']:g}, batch {drawn['batch']}, "
                f"{drawn['hidden']} units: 2 updates",
                "as the library's",
                random_case,
            ),
        ],
        show,
        seed,
    )
