"""wgan_keras.plots: the critic surface's orientation, the median filter,
image grids, every figure's contents and GIF writing (plots take numbers only)."""

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from wgan_keras import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def f_x(points):
    return points[:, :1]


def f_y(points):
    return points[:, 1:2]


# ------------------------------------------------------ critic surface
def grid_of(f, lim=3.0, resolution=64):
    """``(xs, ys, Z)`` with ``Z[i, j] = f(xs[j], ys[i])``, what ``measures.critic_values_on_grid`` returns."""
    xs = ys = np.linspace(-lim, lim, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, f(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(resolution, resolution)


def test_critic_surface_contours_are_vertical_and_increase_to_the_right():
    fig = plots.critic_surface(grid_of(f_x), levels=[-2.0, -1.0, 0.0, 1.0, 2.0])
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
        grid_of(f_y, resolution=16), real=rng.normal(size=(20, 2)), fake=rng.normal(size=(30, 2)), title="t"
    )
    (ax,) = fig.axes
    assert len(ax.collections) == 3  # contour set, real, fake
    assert ax.get_title() == "t"


def test_critic_surface_refuses_a_grid_whose_values_do_not_fit():
    xs, ys, z = grid_of(f_x, resolution=8)
    with pytest.raises(ValueError, match="grid must be"):
        plots.critic_surface((xs, ys, z[:, :4]))


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


def test_weight_histograms_one_panel_per_setting():
    rng = np.random.default_rng(3)
    weights = {"clipping": rng.uniform(-0.01, 0.01, 500), "penalty": rng.normal(0, 0.3, 200)}
    fig = plots.weight_histograms(weights, bins=20)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["clipping", "penalty"]
    assert len(fig.axes[0].patches) == 20
    assert sum(p.get_height() for p in fig.axes[0].patches) == 500


def test_distances_vs_theta():
    thetas = np.linspace(-1, 1, 21)
    curves = {"EM": np.abs(thetas), "JS": np.where(thetas == 0, 0.0, np.log(2)), "KL": np.full(21, np.inf)}
    fig = plots.distances_vs_theta(thetas, curves)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    assert np.all(np.isnan(ax.lines[2].get_ydata()))


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


def test_mark_peaks_marks_the_peaks_that_peaks_on_modes_counts():
    import keras

    from wgan_keras import measures

    centers = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])

    class Bumps(keras.Model):  # a peak on the first two centres only
        def call(self, x, training=False):
            x = keras.ops.convert_to_tensor(x)
            first = keras.ops.exp(-keras.ops.sum((x - centers[0]) ** 2, axis=-1) / 0.1)
            second = keras.ops.exp(-keras.ops.sum((x - centers[1]) ** 2, axis=-1) / 0.1)
            return keras.ops.expand_dims(first + second, -1)

    critic = Bumps()
    critic(np.zeros((1, 2), "float32"))  # built, as a trained critic is (JAX's stateless call needs it)
    grid = measures.critic_values_on_grid(critic)
    fig = plots.critic_surface(grid)
    captured = plots.mark_peaks(grid, centers, ax=fig.axes[0])
    assert captured == measures.peaks_on_modes(critic, centers) == (2, 3)
    marks = fig.axes[0].collections[-1].get_offsets()
    nearest = np.linalg.norm(marks[:, None, :] - centers[None, :, :], axis=-1).argmin(axis=1)
    assert set(nearest) == {0, 1}  # a centre midway between grid points has two equal grid peaks
    assert np.linalg.norm(marks - centers[nearest], axis=1).max() < 0.1
    plt.close(fig)


def test_toy_and_surface_plots_label_both_axes():
    fig = plots.toy_samples(np.zeros((3, 2)), np.ones((3, 2)))
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("$x_1$", "$x_2$")
    plt.close(fig)
