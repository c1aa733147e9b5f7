"""wgan_keras.plots: orientation of the critic surface, the median filter,
image grids, every figure's contents, GIF writing and per-layer gradient norms."""

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import keras  # noqa: E402

from wgan_keras import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


# ------------------------------------------------------ critic surface
def test_grid_shape_and_bounds():
    xs, ys, z = plots.critic_values_on_grid(f_x, lim=3.0, resolution=128)
    assert xs.shape == ys.shape == (128,)
    assert z.shape == (128, 128)
    assert xs[0] == ys[0] == -3.0 and xs[-1] == ys[-1] == 3.0


def test_grid_orientation_f_equals_x():
    xs, ys, z = plots.critic_values_on_grid(f_x, lim=2.0, resolution=16)
    # Z[i, j] = f(xs[j], ys[i]) = xs[j]: increases along columns, constant along rows.
    np.testing.assert_allclose(z, np.tile(xs, (16, 1)), rtol=0, atol=1e-6)
    assert np.all(np.diff(z, axis=1) > 0)
    assert np.all(np.diff(z, axis=0) == 0)


def test_grid_orientation_f_equals_y():
    xs, ys, z = plots.critic_values_on_grid(f_y, lim=2.0, resolution=16)
    np.testing.assert_allclose(z, np.tile(ys[:, None], (1, 16)), rtol=0, atol=1e-6)
    assert np.all(np.diff(z, axis=0) > 0)
    assert np.all(np.diff(z, axis=1) == 0)


def test_grid_accepts_keras_model_and_model_with_critic():
    critic = dense_critic()
    xs, ys, z = plots.critic_values_on_grid(critic, lim=1.0, resolution=8)
    point = np.array([[xs[5], ys[2]]], dtype="float32")
    np.testing.assert_allclose(z[2, 5], critic(point).numpy()[0, 0], rtol=1e-5, atol=1e-6)

    class Holder:
        discriminator = critic

    _, _, z2 = plots.critic_values_on_grid(Holder(), lim=1.0, resolution=8)
    np.testing.assert_array_equal(z, z2)


def test_critic_surface_contours_are_vertical_and_increase_to_the_right():
    fig = plots.critic_surface(f_x, lim=3.0, resolution=64, levels=[-2.0, -1.0, 0.0, 1.0, 2.0])
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    contour = ax.collections[0]
    xs_of_levels = []
    for level, path in zip(contour.levels, contour.get_paths()):
        vertices = path.vertices
        assert len(vertices) > 2
        # A vertical line at x = level, spanning the whole y range.
        np.testing.assert_allclose(vertices[:, 0], level, atol=1e-6)
        assert np.ptp(vertices[:, 1]) > 5.0
        xs_of_levels.append(vertices[:, 0].mean())
    assert np.all(np.diff(xs_of_levels) > 0)
    assert ax.get_xlim() == (-3.0, 3.0)


def test_critic_surface_with_points_has_contour_and_two_scatters():
    rng = np.random.default_rng(0)
    fig = plots.critic_surface(
        f_y, real=rng.normal(size=(20, 2)), fake=rng.normal(size=(30, 2)), resolution=16, title="t"
    )
    (ax,) = fig.axes
    assert len(ax.collections) == 3  # contour set, real, fake
    assert ax.get_title() == "t"


def test_critic_surface_rejects_vector_outputs():
    with pytest.raises(ValueError, match="one value per point"):
        plots.critic_values_on_grid(lambda p: p, lim=1.0, resolution=4)


# ------------------------------------------------------- median filter
def test_median_filter_removes_isolated_spike():
    values = np.zeros(300)
    values[150] = 100.0
    np.testing.assert_array_equal(plots.median_filter(values, window=101), np.zeros(300))
    np.testing.assert_array_equal(plots.median_filter(values, window=3), np.zeros(300))


def test_median_filter_preserves_monotone_ramp():
    ramp = np.arange(50, dtype=float)
    out = plots.median_filter(ramp, window=11)
    assert out.shape == ramp.shape
    np.testing.assert_array_equal(out[5:-5], ramp[5:-5])
    # Edges: the window is truncated to the points that exist.
    assert out[0] == np.median(ramp[:6]) and out[-1] == np.median(ramp[-6:])
    assert out[3] == np.median(ramp[:9]) and out[-2] == np.median(ramp[-7:])


def test_median_filter_edges_follow_the_data_not_the_last_point():
    rng = np.random.default_rng(0)
    values = rng.normal(0.0, 1.0, 400)
    values[-1] = 50.0  # a spike at the very end
    out = plots.median_filter(values, window=101)
    assert abs(out[-1]) < 0.5 and abs(out[0]) < 0.5
    # Same as a direct truncated-window median everywhere.
    direct = [np.median(values[max(0, i - 50) : i + 51]) for i in range(400)]
    np.testing.assert_allclose(out, direct)


def test_median_filter_window_longer_than_series_and_bad_windows():
    out = plots.median_filter([3.0, 1.0, 2.0], window=101)
    np.testing.assert_array_equal(out, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(plots.median_filter([5.0], window=1), [5.0])
    assert plots.median_filter([], window=5).shape == (0,)
    for bad in (0, 4, -1, 2.0):
        with pytest.raises(ValueError):
            plots.median_filter([1.0, 2.0], window=bad)


# ---------------------------------------------------------- image grid
def test_image_grid_array_range_and_shape():
    images = np.zeros((5, 4, 3, 1), dtype="float32")
    images[0] = -1.0
    images[1] = 1.0
    images[2] = -7.0  # clipped
    images[3] = 7.0
    grid = plots.image_grid_array(images, padding=0)
    # ceil(sqrt(5)) = 3 columns, 2 rows.
    assert grid.shape == (2 * 4, 3 * 3, 1)
    assert grid.dtype == np.uint8
    assert np.all(grid[0:4, 0:3] == 0)
    assert np.all(grid[0:4, 3:6] == 255)
    assert np.all(grid[0:4, 6:9] == 0)
    assert np.all(grid[4:8, 0:3] == 255)
    assert np.all(grid[4:8, 3:6] == 128)  # 0 -> mid-grey


def test_image_grid_array_padding_rows_cols_and_rgb():
    images = np.full((6, 5, 5, 3), -1.0, dtype="float32")
    grid = plots.image_grid_array(images, nrows=2, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 2, 3)
    assert np.all(grid[5, :] == 255)  # padding row is white
    assert np.all(grid[:5, :5] == 0)
    assert plots.image_grid_array(images, nrows=1, ncols=2, padding=0).shape == (5, 10, 3)
    assert plots.image_grid_array(images[..., 0], ncols=6, padding=0).shape == (5, 30, 1)
    with pytest.raises(ValueError):
        plots.image_grid_array(np.zeros((2, 4, 4, 2)))


def test_image_grid_figure():
    fig = plots.image_grid(np.zeros((4, 8, 8, 1)), title="samples")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.images) == 1 and ax.get_title() == "samples"
    fig, ax = plt.subplots()
    assert plots.image_grid(np.zeros((4, 8, 8, 3)), ax=ax) is fig


# ----------------------------------------------------- other figures
def test_toy_samples():
    rng = np.random.default_rng(1)
    fig = plots.toy_samples(rng.normal(size=(10, 2)), rng.normal(size=(12, 2)), title="toy", lim=2.0)
    (ax,) = fig.axes
    assert len(ax.collections) == 2
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-2.0, 2.0)
    fig = plots.toy_samples(None, rng.normal(size=(12, 2)))
    assert len(fig.axes[0].collections) == 1
    with pytest.raises(ValueError):
        plots.toy_samples(None, np.zeros((3, 3)))


def test_wasserstein_curve_draws_raw_and_filtered():
    rng = np.random.default_rng(2)
    values = np.linspace(2.0, 0.1, 300) + rng.normal(0, 0.2, 300)
    fig = plots.wasserstein_curve(values, window=101, label="WGAN")
    (ax,) = fig.axes
    raw, filtered = ax.lines
    assert raw.get_alpha() < 1 and filtered.get_alpha() in (None, 1)  # raw faint behind
    assert raw.get_color() == filtered.get_color()
    np.testing.assert_allclose(filtered.get_ydata(), plots.median_filter(values, 101))
    assert ax.get_xlabel() == "generator iterations"
    # A second run on the same axes; a short series shrinks the window.
    plots.wasserstein_curve(values[:10], ax=ax, label="short")
    assert len(ax.lines) == 4


def test_gradient_norms_per_layer():
    norms = {"c=0.1": [1e2, 1e1, 1.0], "c=0.01": [1e-2, 1e-3, 0.0], "GP": [1.0, 1.0, 1.0]}
    fig = plots.gradient_norms_per_layer(norms)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 1.0, 0.0])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert np.isnan(ax.lines[1].get_ydata()[2])


def test_weight_histograms_from_arrays_and_models():
    rng = np.random.default_rng(3)
    weights = {"clipping": rng.uniform(-0.01, 0.01, 500), "penalty": dense_critic(layers=(4, 4))}
    fig = plots.weight_histograms(weights, bins=20)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["clipping", "penalty"]
    assert len(fig.axes[0].patches) == 20
    # 2*4 + 4*4 + 4*1 kernel weights, no biases.
    assert plots.critic_kernel_weights(weights["penalty"]).shape == (28,)


def test_distances_vs_theta():
    thetas = np.linspace(-1, 1, 21)
    curves = {"EM": np.abs(thetas), "JS": np.where(thetas == 0, 0.0, np.log(2)), "KL": np.full(21, np.inf)}
    fig = plots.distances_vs_theta(thetas, curves)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    assert np.all(np.isnan(ax.lines[2].get_ydata()))


# ------------------------------------------------------------ gradients
def test_critic_gradient_norms_linear_critic_analytic():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32") + 1.0
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    # d mean(x W + b) / dW = mean(x) (as a column).
    (norm,) = plots.critic_gradient_norms(critic, x)
    np.testing.assert_allclose(norm, np.linalg.norm(x.mean(axis=0)), rtol=1e-5)
    # With y: d (mean f(y) - mean f(x)) / dW = mean(y) - mean(x).
    (norm,) = plots.critic_gradient_norms(critic, x, y)
    np.testing.assert_allclose(norm, np.linalg.norm(y.mean(axis=0) - x.mean(axis=0)), rtol=1e-5)


def test_critic_gradient_norms_two_linear_layers():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 3)).astype("float32")
    first = keras.layers.Dense(2, use_bias=False)
    second = keras.layers.Dense(1)
    critic = keras.Sequential([keras.Input((3,)), first, second])
    norms = plots.critic_gradient_norms(critic, x)
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
    norms = plots.critic_gradient_norms(critic, np.ones((2, 4, 4, 1), "float32"))
    assert len(norms) == 2 and all(n >= 0 for n in norms)


# ------------------------------------------------------------- output
def test_training_animation_writes_gif_and_refuses_overwrite(tmp_path):
    from PIL import Image

    frames = [np.full((12, 16, 3), 40 * k, dtype=np.uint8) for k in range(4)]
    frames.append(plots.image_grid(np.full((4, 3, 3, 1), 0.5)))  # a Figure frame
    path = tmp_path / "anim" / "train.gif"
    assert plots.training_animation(frames, path, fps=4) == str(path)
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 5
        assert gif.size == (16, 12)
    with pytest.raises(FileExistsError, match="train.gif"):
        plots.training_animation(frames, path)
    plots.training_animation(frames[:2], path, overwrite=True)
    with Image.open(path) as gif:
        assert gif.n_frames == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["train.gif"]


def test_training_animation_accepts_step_array_pairs(tmp_path):
    from PIL import Image

    frames = [(k, np.full((6, 6), 60 * k, dtype=np.uint8)) for k in range(3)]
    path = plots.training_animation(frames, tmp_path / "pairs.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 3


def test_save_figure_creates_parents_and_respects_overwrite(tmp_path):
    fig = plots.distances_vs_theta([0.0, 1.0], {"EM": [0.0, 1.0]})
    path = tmp_path / "a" / "b" / "fig.png"
    assert plots.save_figure(fig, path) == str(path)
    assert path.exists()
    plots.save_figure(fig, path)  # overwrite=True by default
    with pytest.raises(FileExistsError):
        plots.save_figure(fig, path, overwrite=False)
