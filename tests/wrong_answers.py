"""Deliberately wrong answers, each a known fault of a popular port or a student's slip.

The tests assert that every check fails on these (and on which case), so a
check that would wave a wrong answer through is caught. Each docstring says
what is wrong and which case of the check shows it. A test fixture, not part
of the package (``tests/test_exercises.py`` imports it as ``wrong``).
"""

import math

import keras
import numpy as np
from keras import ops

from wgan_keras.autodiff import input_gradient, value_and_gradients
from wgan_keras.exercises import solutions


def _norms(gradients, axes, epsilon=1e-12):
    return ops.sqrt(ops.sum(ops.square(gradients), axis=axes) + epsilon)


def _gradients(critic, real, fake, eps):
    real, fake = ops.convert_to_tensor(real, "float32"), ops.convert_to_tensor(fake, "float32")
    x_hat = solutions.interpolate(real, fake, eps) if len(eps.shape) == 1 else eps * real + (1 - eps) * fake
    return input_gradient(lambda x: critic(x, training=True), x_hat)


def _uniform(real):
    return keras.random.uniform((ops.shape(real)[0],))


# ------------------------------------------------------------------- penalties


def penalty_norm_over_last_axis(critic, real, fake):
    """The norm over the last axis only: right for vectors, wrong for images (the image linear case)."""
    gradients = _gradients(critic, real, fake, _uniform(real))
    return ops.mean(ops.square(_norms(gradients, -1) - 1.0))


def penalty_gaussian_weights(critic, real, fake):
    """``eps ~ N(0, 1)`` instead of ``U[0, 1]`` (the keras.io example's old fault): weights outside [0, 1]."""
    gradients = _gradients(critic, real, fake, keras.random.normal((ops.shape(real)[0],)))
    return ops.mean(ops.square(_norms(gradients, list(range(1, len(gradients.shape)))) - 1.0))


def penalty_per_coordinate_weights(critic, real, fake):
    """One weight per coordinate instead of one per sample: the points leave the segments."""
    gradients = _gradients(critic, real, fake, keras.random.uniform(ops.shape(real)))
    return ops.mean(ops.square(_norms(gradients, list(range(1, len(gradients.shape)))) - 1.0))


def penalty_one_weight_per_batch(critic, real, fake):
    """One weight for the whole batch: the points lie on the segments, but all at the same fraction."""
    eps = ops.ones((ops.shape(real)[0],)) * keras.random.uniform(())
    gradients = _gradients(critic, real, fake, eps)
    return ops.mean(ops.square(_norms(gradients, list(range(1, len(gradients.shape)))) - 1.0))


def penalty_without_epsilon(critic, real, fake):
    """``sqrt(sum g^2)`` with nothing inside the root: a NaN weight gradient at a flat critic."""
    gradients = _gradients(critic, real, fake, _uniform(real))
    return ops.mean(ops.square(_norms(gradients, list(range(1, len(gradients.shape))), epsilon=0.0) - 1.0))


def penalty_squared_norm(critic, real, fake):
    """``(||g||^2 - 1)^2``: the squared norm in place of the norm (the linear closed forms)."""
    gradients = _gradients(critic, real, fake, _uniform(real))
    return ops.mean(ops.square(ops.sum(ops.square(gradients), axis=list(range(1, len(gradients.shape)))) - 1.0))


def one_sided_penalty_without_epsilon(critic, real, fake):
    """The one-sided penalty with nothing inside the root: NaN weight gradient at a flat critic on JAX.

    On TensorFlow the gradient stays finite (the relu sends back 0, and TensorFlow's gradient of ``sqrt``
    at 0 with a zero upstream gradient is 0), so there this slip goes unnoticed, as it would in training.
    """
    gradients = _gradients(critic, real, fake, _uniform(real))
    norms = _norms(gradients, list(range(1, len(gradients.shape))), epsilon=0.0)
    return ops.mean(ops.square(ops.relu(norms - 1.0)))


def one_sided_penalty_gaussian_weights(critic, real, fake):
    """The one-sided penalty with ``eps ~ N(0, 1)``: weights outside [0, 1]."""
    gradients = _gradients(critic, real, fake, keras.random.normal((ops.shape(real)[0],)))
    return ops.mean(ops.square(ops.relu(_norms(gradients, list(range(1, len(gradients.shape)))) - 1.0)))


def penalty_stop_gradient(critic, real, fake):
    """The right value behind ``stop_gradient``: it cannot train the critic (the linear critics' gradients)."""
    return ops.stop_gradient(solutions.penalty(critic, real, fake))


def one_sided_penalty_stop_gradient(critic, real, fake):
    """The one-sided penalty behind ``stop_gradient``: the right value, no gradient for the critic."""
    return ops.stop_gradient(solutions.one_sided_penalty(critic, real, fake))


def penalty_detached_input_gradient(critic, real, fake):
    """The input gradient taken as a constant: PyTorch ports without ``create_graph=True``, no nested tape.

    The value is right, but the penalty no longer depends on the critic's
    weights (the linear critics' gradients are 0).
    """
    gradients = ops.stop_gradient(_gradients(critic, real, fake, _uniform(real)))
    return ops.mean(ops.square(_norms(gradients, list(range(1, len(gradients.shape)))) - 1.0))


def penalty_as_float(critic, real, fake):
    """``float(penalty)``: a Python number, with no gradient to train the critic (said in full in the table)."""
    return float(ops.convert_to_numpy(solutions.penalty(critic, real, fake)))


def penalty_two_sided(critic, real, fake):
    """The two-sided penalty given as the one-sided one: norms below 1 cost too."""
    return solutions.penalty(critic, real, fake)


def interpolate_swapped(real, fake, eps):
    """``eps x~ + (1 - eps) x``: the weights on the wrong ends (eps = 1 gives the fake sample)."""
    return solutions.interpolate(fake, real, eps)


def interpolate_column(real, fake, eps):
    """``eps[:, None]``: broadcasts for vectors, not for images."""
    eps = ops.reshape(ops.convert_to_tensor(eps), (-1, 1))
    return eps * real + (1.0 - eps) * fake


# -------------------------------------------------------------- losses, clipping


def critic_loss_sign_error(real_values, fake_values):
    """``E f(x) - E f(G(z))``: the Wasserstein estimate itself, so minimising it flattens the critic."""
    return ops.mean(real_values) - ops.mean(fake_values)


def critic_loss_hard_coded(real_values, fake_values):
    """The fixed cases' answers looked up by batch size: right on TF-GAN's vectors, wrong on a random batch."""
    return 0.225 if int(np.prod(ops.shape(real_values))) in (4, 8) else -2.0


def critic_loss_numpy(real_values, fake_values):
    """``np.mean(fake) - np.mean(real)``: the right number, a numpy float that no gradient passes through."""
    return np.mean(ops.convert_to_numpy(fake_values)) - np.mean(ops.convert_to_numpy(real_values))


def critic_loss_sum(real_values, fake_values):
    """Sums instead of means: the loss grows with the batch size."""
    return ops.sum(fake_values) - ops.sum(real_values)


def generator_loss_sign_error(fake_values):
    """``E f(G(z))``: the generator would lower the critic's values of its own samples."""
    return ops.mean(fake_values)


def generator_loss_through_numpy(fake_values):
    """Computed in numpy and made a tensor again: the right value, cut off from the critic's values.

    TensorFlow sends back no gradient (zeros); JAX refuses to turn a traced value into numpy.
    """
    return ops.convert_to_tensor(-np.mean(ops.convert_to_numpy(fake_values)))


def clip_kernels_only(variables, clip_value):
    """Clipping through ``kernel_constraint``: the biases and batch-norm parameters stay unbounded."""
    for variable in variables:
        if variable.path.endswith("kernel"):
            variable.assign(ops.clip(variable, -clip_value, clip_value))


def clip_without_assign(variables, clip_value):
    """Computes the clipped values and throws them away."""
    return [ops.clip(variable, -clip_value, clip_value) for variable in variables]


def clip_by_rescaling(variables, clip_value):
    """Rescales each variable so its largest entry is ``c``: inside [-c, c], but every value changes."""
    for variable in variables:
        largest = ops.max(ops.abs(variable))
        variable.assign(variable * ops.minimum(1.0, clip_value / largest))


# ---------------------------------------------------------------- critic update


def _step(critic, optimizer, loss, clip_value=None, clip_first=False, which=("kernel", "bias")):
    variables = critic.trainable_variables
    clipped = [v for v in variables if v.path.split("/")[-1] in which]
    if clip_first and clip_value is not None:
        solutions.clip(clipped, clip_value)
    value, gradients = value_and_gradients(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    if not clip_first and clip_value is not None:
        solutions.clip(clipped, clip_value)
    return value


def _wasserstein(critic, real, fake):
    return lambda: solutions.critic_loss(critic(real, training=True), critic(fake, training=True))


def critic_update_ascends_the_loss(critic, optimizer, real, fake, clip_value):
    """Minimises ``E f(real) - E f(fake)``: the critic learns to rate the fakes higher (the estimate falls)."""
    return -_step(critic, optimizer, lambda: -_wasserstein(critic, real, fake)(), clip_value)


def critic_update_clips_first(critic, optimizer, real, fake, clip_value):
    """Clips before the step instead of after it: the step leaves weights outside ``[-c, c]``."""
    return _step(critic, optimizer, _wasserstein(critic, real, fake), clip_value, clip_first=True)


def critic_update_without_clipping(critic, optimizer, real, fake, clip_value):
    """Forgets line 7: the kernels stay as large as their initial values."""
    return _step(critic, optimizer, _wasserstein(critic, real, fake))


def critic_update_clips_kernels_only(critic, optimizer, real, fake, clip_value):
    """Clips the kernels only (``kernel_constraint``'s fault): the biases leave ``[-c, c]``."""
    return _step(critic, optimizer, _wasserstein(critic, real, fake), clip_value, which=("kernel",))


def critic_update_new_optimizer(critic, optimizer, real, fake, clip_value):
    """A new RMSProp at every call: its running averages restart, so steps after the first are too large."""
    fresh = keras.optimizers.RMSprop(float(ops.convert_to_numpy(optimizer.learning_rate)), rho=0.99)
    return _step(critic, fresh, _wasserstein(critic, real, fake), clip_value)


def critic_update_summed_loss(critic, optimizer, real, fake, clip_value):
    """Sums over the batch instead of taking the mean: RMSProp hides the scale, the returned loss shows it."""
    return _step(
        critic,
        optimizer,
        lambda: ops.sum(critic(fake, training=True)) - ops.sum(critic(real, training=True)),
        clip_value,
    )


# ------------------------------------------------------------------- distances


def parallel_lines_distances_without_abs(theta):
    """``EM = theta``: a negative distance for a negative offset."""
    return dict(solutions.parallel_lines_distances(theta), EM=theta)


def parallel_lines_distances_in_bits(theta):
    """``JS = 1`` for disjoint supports: base-2 logarithms where the papers use nats."""
    return dict(solutions.parallel_lines_distances(theta), JS=1.0 if theta != 0 else 0.0)


def js_in_bits(p, q):
    """The JS divergence in bits (``log2``)."""
    return solutions.js(p, q) / math.log(2.0)


def js_as_kl(p, q):
    """``KL(P || Q)``: neither symmetric nor finite on disjoint supports."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(np.where(p > 0, p * np.log(p / q), 0.0)))


def js_overwrites_q(p, q):
    """Writes ``p`` into ``q`` and returns 0: passes a check that computes its reference after the call."""
    q[:] = p
    return 0.0


def js_without_zero_convention(p, q):
    """``sum p log(p / m)`` over every outcome: ``0 log 0`` gives NaN."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))


def optimal_discriminator_swapped(p_data, p_g):
    """``p_g / (p_data + p_g)``: the probability that a sample is fake."""
    return solutions.optimal_discriminator(p_g, p_data)


def gan_value_without_zero_convention(p_data, p_g):
    """``sum p log D*`` over every outcome: NaN where a distribution has no mass."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = p_data / (p_data + p_g)
        return float(np.sum(p_data * np.log(d)) + np.sum(p_g * np.log(1 - d)))


# ----------------------------------------------------------------- experiments


def median_filter_zero_padded(values, window=101):
    """``scipy.signal.medfilt``: zeros padded at the ends pull the first and last points towards 0."""
    import warnings

    import scipy.signal

    with warnings.catch_warnings():  # scipy warns that it pads when the window is longer than the series
        warnings.simplefilter("ignore")
        return scipy.signal.medfilt(np.asarray(values, np.float64), window)


def median_filter_nearest(values, window=101):
    """The end value repeated (``mode="nearest"``): the last filtered point is the last raw one's neighbour."""
    import scipy.ndimage

    return scipy.ndimage.median_filter(np.asarray(values, np.float64), size=window, mode="nearest")


def wasserstein_1d_unsorted(x, y):
    """``mean |x_i - y_i|`` in the given order: the cost of one plan, not of the best."""
    return float(np.mean(np.abs(np.ravel(x) - np.ravel(y))))


def wasserstein_1d_mean_difference(x, y):
    """``|mean x - mean y|``: W1 only when one sample lies above the other at every quantile."""
    return abs(float(np.mean(x)) - float(np.mean(y)))


# ----------------------------------------------------------------------- modes


def modes_captured_any_centre(samples, centers, std):
    """Counts every centre within 3 std of a sample, not only the nearest one."""
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    within = distances <= 3 * std
    return int(np.sum(within.any(axis=0))), float(within.any(axis=1).mean())


def modes_captured_per_coordinate(samples, centers, std):
    """3 std along each coordinate separately: a square, not a disc."""
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = np.all(np.abs(samples - centers[nearest]) <= 3 * std, axis=1)
    return len(np.unique(nearest[good])), float(good.mean())


def reverse_kl_forward(counts):
    """``KL(u || p)``: the forward KL, infinite as soon as one mode is empty."""
    counts = np.asarray(counts, np.float64)
    shares = counts / counts.sum()
    uniform = 1.0 / len(counts)
    with np.errstate(divide="ignore"):
        return float(np.sum(uniform * np.log(uniform / shares)))
