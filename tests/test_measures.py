"""wgan_keras.measures: values on the plot's grid, gradients per layer and kernel weights, against
closed forms (peaks on modes, margins and the generator's gradient: test_critics.py)."""

import math

import keras
import numpy as np
import pytest

from wgan_keras import measures, nets


def f_x(points):
    return points[:, :1]


def f_y(points):
    return points[:, 1:2]


def dense_critic(input_dim=2, layers=(8,)):
    inputs = keras.Input((input_dim,))
    x = inputs
    for units in layers:
        x = keras.layers.Dense(units, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


# ------------------------------------------------------ values on the grid
def test_grid_shape_and_bounds():
    xs, ys, z = measures.critic_values_on_grid(f_x, lim=3.0, resolution=128)
    assert xs.shape == ys.shape == (128,)
    assert z.shape == (128, 128)
    assert xs[0] == ys[0] == -3.0 and xs[-1] == ys[-1] == 3.0


def test_grid_orientation_f_equals_x():
    xs, ys, z = measures.critic_values_on_grid(f_x, lim=2.0, resolution=16)
    # Z[i, j] = f(xs[j], ys[i]) = xs[j]: increases along columns, constant along rows.
    np.testing.assert_allclose(z, np.tile(xs, (16, 1)), rtol=0, atol=1e-6)
    assert np.all(np.diff(z, axis=1) > 0)
    assert np.all(np.diff(z, axis=0) == 0)


def test_grid_orientation_f_equals_y():
    xs, ys, z = measures.critic_values_on_grid(f_y, lim=2.0, resolution=16)
    np.testing.assert_allclose(z, np.tile(ys[:, None], (1, 16)), rtol=0, atol=1e-6)
    assert np.all(np.diff(z, axis=0) > 0)
    assert np.all(np.diff(z, axis=1) == 0)


def test_grid_accepts_keras_model_and_model_with_critic():
    critic = dense_critic()
    xs, ys, z = measures.critic_values_on_grid(critic, lim=1.0, resolution=8)
    point = np.array([[xs[5], ys[2]]], dtype="float32")
    np.testing.assert_allclose(z[2, 5], keras.ops.convert_to_numpy(critic(point))[0, 0], rtol=1e-5, atol=1e-6)

    class Holder:
        discriminator = critic

    _, _, z2 = measures.critic_values_on_grid(Holder(), lim=1.0, resolution=8)
    np.testing.assert_array_equal(z, z2)


def test_grid_refuses_vector_outputs():
    with pytest.raises(ValueError, match="one value per sample"):
        measures.critic_values_on_grid(lambda p: p, lim=1.0, resolution=4)


def test_kernel_weights_count_dense_kernels_only():
    # 2*4 + 4*4 + 4*1 kernel weights, no biases.
    assert measures.critic_kernel_weights(dense_critic(layers=(4, 4))).shape == (28,)


# ------------------------------------------------------------ gradients
def test_critic_gradient_norms_linear_critic_analytic():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32") + 1.0
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    # d mean(x W + b) / dW = mean(x) (as a column).
    (norm,) = measures.critic_gradient_norms(critic, x)
    np.testing.assert_allclose(norm, np.linalg.norm(x.mean(axis=0)), rtol=1e-5)
    # With y: d (mean f(y) - mean f(x)) / dW = mean(y) - mean(x).
    (norm,) = measures.critic_gradient_norms(critic, x, y)
    np.testing.assert_allclose(norm, np.linalg.norm(y.mean(axis=0) - x.mean(axis=0)), rtol=1e-5)


def test_critic_gradient_norms_two_linear_layers():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 3)).astype("float32")
    first = keras.layers.Dense(2, use_bias=False)
    second = keras.layers.Dense(1)
    critic = keras.Sequential([keras.Input((3,)), first, second])
    norms = measures.critic_gradient_norms(critic, x)
    assert len(norms) == 2
    w1, w2 = first.kernel.numpy(), second.kernel.numpy()
    mean_x = x.mean(axis=0)
    # f = x W1 W2 + b: dW1 = outer(mean x, W2), dW2 = W1^T mean x.
    np.testing.assert_allclose(norms[0], np.linalg.norm(np.outer(mean_x, w2[:, 0])), rtol=1e-5)
    np.testing.assert_allclose(norms[1], np.linalg.norm(w1.T @ mean_x), rtol=1e-5)


def test_critic_gradient_norms_counts_conv_layers_in_nested_models():
    inner = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    inputs = keras.Input((4, 4, 1))
    outputs = keras.layers.Dense(1)(keras.layers.LayerNormalization()(inner(inputs)))
    critic = keras.Model(inputs, outputs)
    norms = measures.critic_gradient_norms(critic, np.ones((2, 4, 4, 1), "float32"))
    assert len(norms) == 2 and all(n >= 0 for n in norms)


def test_gradient_norms_in_float64_keep_what_float32_squares_lose():
    """A last kernel of 1e-25 makes the first layer's gradients 1e-25: their squares underflow float32."""
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, use_bias=False), keras.layers.Dense(1)])
    critic.layers[0].set_weights([np.full((2, 4), 0.5, "float32")])
    critic.layers[1].set_weights([np.full((4, 1), 1e-25, "float32"), np.zeros(1, "float32")])
    x = np.ones((8, 2), "float32")
    single = measures.critic_gradient_norms(critic, x)
    double = measures.critic_gradient_norms(critic, x, dtype="float64")
    assert single[0] == 0.0
    # dL/dW1 = outer(mean x, W2): every entry 1e-25, 8 entries.
    assert double[0] == pytest.approx(math.sqrt(8) * 1e-25, rel=1e-5)
    assert critic.layers[0].compute_dtype == "float32"  # the critic itself is untouched


def test_backprop_norms_of_a_linear_chain_are_products_of_the_layer_gains():
    """f = w3 . (W2 (W1 x)): d f / d h is w3 at the last layer's input, W2^T w3 before it, W1^T W2^T w3 at x."""
    critic = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(3, use_bias=False), keras.layers.Dense(3), keras.layers.Dense(1)]
    )
    rng = np.random.default_rng(0)
    w1, w2, w3 = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    critic.layers[0].set_weights([w1.astype("float32")])
    critic.layers[1].set_weights([w2.astype("float32"), np.ones(3, "float32")])
    critic.layers[2].set_weights([w3.astype("float32"), np.zeros(1, "float32")])
    norms = measures.critic_backprop_norms(critic, rng.normal(size=(4, 2)))
    expected = [np.linalg.norm(w1 @ w2 @ w3), np.linalg.norm(w2 @ w3), np.linalg.norm(w3)]
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def test_backprop_norms_grow_towards_the_input_when_each_layer_amplifies():
    """Twelve ReLU layers whose kernels are all +c: the backpropagated gradient gains about c * width per layer."""
    critic = nets.mlp_critic((2,), hidden=16, depth=12, seed=0)
    for layer in measures.kernel_layers(critic):
        layer.kernel.assign(np.full(layer.kernel.shape, 0.1, "float32"))
        layer.bias.assign(np.zeros(layer.bias.shape, "float32"))
    x = np.abs(np.random.default_rng(0).normal(size=(8, 2))).astype("float32")  # positive: every ReLU active
    norms = np.array(measures.critic_backprop_norms(critic, x, dtype="float64"))
    gains = norms[1:-1] / norms[2:]  # hidden layers 1..11: a 16 x 16 all-0.1 kernel has gain 1.6
    np.testing.assert_allclose(gains, 1.6, rtol=1e-6)
    assert norms[0] > 50 * norms[-1]  # 1.6 ** 11 * sqrt(2 / 16) = 99.5
