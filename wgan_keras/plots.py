"""The figures of the two papers, with matplotlib only.

Every plotting function returns the ``matplotlib.figure.Figure`` it drew on
and never calls ``plt.show()``; single-panel functions take ``ax=`` to draw
into an existing axes instead of a new figure. Figures are created through
``pyplot`` (so ``plt.show()`` and notebooks display them as usual); close
the ones you do not keep with ``plt.close(fig)``.

Which figure each function reproduces:

* :func:`image_grid` - generated samples, WGAN Figures 5-7 and WGAN-GP
  Figures 3-4 (:func:`image_grid_array` gives the pixels, for TensorBoard
  and GIFs).
* :func:`toy_samples` - generated points over the data (WGAN-GP toy
  experiments, ``gan_toy.py``).
* :func:`critic_surface` - WGAN-GP Figure 1a, the critic's value surface on
  a 128 x 128 grid over ``[-3, 3]^2`` (the values come from
  ``wgan_keras.measures.critic_values_on_grid``).
* :func:`wasserstein_curve` with :func:`median_filter` - WGAN Figures 3-4,
  the Wasserstein estimate over generator iterations, median-filtered with
  window 101.
* :func:`gradient_norms_per_layer` - WGAN-GP Figure 1b left, log gradient
  norm per critic layer (``wgan_keras.measures.critic_backprop_norms``).
* :func:`weight_histograms` - WGAN-GP Figure 1b right, critic weights under
  clipping and under the gradient penalty.
* :func:`distances_vs_theta` - WGAN Figure 1, EM and JS distances between the
  parallel lines ``P_0`` and ``P_theta``.
* :func:`training_animation` - a GIF of snapshots (e.g.
  ``callbacks.SampleMonitor.snapshots``).

Plots only draw: every function takes numbers (arrays), never a network.
"""

import io
import math
import os

import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage
from matplotlib.figure import Figure

from wgan_keras import params
from wgan_keras.arrays import to_numpy

__all__ = [
    "critic_surface",
    "distances_vs_theta",
    "figure_to_array",
    "figure_to_png",
    "gradient_norms_per_layer",
    "image_grid",
    "image_grid_array",
    "median_filter",
    "save_figure",
    "toy_samples",
    "training_animation",
    "wasserstein_curve",
    "weight_histograms",
]

# Colours of gan_toy.py's figures: real data orange, generated green.
REAL_COLOR = "tab:orange"
FAKE_COLOR = "tab:green"


# ----------------------------------------------------------------- helpers
def _new_axes(ax, figsize=(5.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def _numpy(values, dtype="float64"):
    return to_numpy(values, "values", dtype)


# ---------------------------------------------------------------- images
def _grid_shape(n, nrows, ncols):
    nrows = None if nrows is None else params.require_int("nrows", nrows, minimum=1)
    ncols = None if ncols is None else params.require_int("ncols", ncols, minimum=1)
    if nrows is None and ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if nrows is None:
        nrows = math.ceil(n / ncols)
    elif ncols is None:
        ncols = math.ceil(n / nrows)
    return int(nrows), int(ncols)


def image_grid_array(images, nrows=None, ncols=None, padding=1, pad_value=1.0):
    """Tile images into one ``(H', W', C)`` uint8 array (for TensorBoard and GIFs).

    The pixels behind :func:`image_grid` (WGAN Figures 5-7, WGAN-GP Figures
    3-4).

    Args:
        images: ``(n, H, W, C)`` with ``C`` in {1, 3}, or ``(n, H, W)``, in
            the generators' range ``[-1, 1]``; values are clipped to it (NaN
            is drawn as 0, mid-grey) and mapped linearly to ``0..255``
            (``-1 -> 0``, ``1 -> 255``).
        nrows, ncols: grid size; by default ``ncols = ceil(sqrt(n))`` and
            ``nrows = ceil(n / ncols)``. When both are given and the grid
            holds fewer than ``n`` tiles, the first ``nrows * ncols`` images
            are shown. Unused tiles are filled with ``pad_value``.
        padding: pixels between tiles (no outer border).
        pad_value: colour of the padding, in ``[0, 1]`` (1.0: white).

    Returns:
        uint8 array of shape ``(nrows * H + (nrows - 1) * padding,
        ncols * W + (ncols - 1) * padding, C)``.
    """
    images = _numpy(images, "float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must have shape (n, H, W, C) with C in {{1, 3}}, or (n, H, W); got {images.shape}.")
    n, height, width, channels = images.shape
    if n == 0:
        raise ValueError("images is empty: nothing to tile.")
    padding = params.require_int("padding", padding, minimum=0)
    nrows, ncols = _grid_shape(n, nrows, ncols)
    images = images[: nrows * ncols]
    pixels = np.clip(np.nan_to_num(images, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    pixels = np.rint((pixels + 1.0) * 127.5).astype(np.uint8)
    fill = np.uint8(np.rint(np.clip(pad_value, 0.0, 1.0) * 255))
    grid = np.full(
        (nrows * height + (nrows - 1) * padding, ncols * width + (ncols - 1) * padding, channels),
        fill,
        dtype=np.uint8,
    )
    for k, tile in enumerate(pixels):
        row, col = divmod(k, ncols)
        top, left = row * (height + padding), col * (width + padding)
        grid[top : top + height, left : left + width] = tile
    return grid


def image_grid(images, nrows=None, ncols=None, title=None, ax=None, padding=1):
    """Generated images as one grid (WGAN Figures 5-7, WGAN-GP Figures 3-4).

    Args:
        images: ``(n, H, W, C)`` with ``C`` in {1, 3}, or ``(n, H, W)``, in
            ``[-1, 1]`` (clipped; see :func:`image_grid_array`).
        nrows, ncols: grid size, as in :func:`image_grid_array`.
        title: axes title.
        ax: draw into this axes instead of a new figure.
        padding: pixels between tiles.

    Returns:
        The ``matplotlib.figure.Figure``.
    """
    grid = image_grid_array(images, nrows=nrows, ncols=ncols, padding=padding)
    # About 3 screen pixels per image pixel, within 2-10 inches.
    scale = min(10.0 / max(grid.shape[:2]), 3.0 / 100.0)
    size = (max(2.0, grid.shape[1] * scale), max(2.0, grid.shape[0] * scale + (0.4 if title else 0.0)))
    fig, ax = _new_axes(ax, figsize=size)
    if grid.shape[-1] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


# ------------------------------------------------------------ toy samples
def toy_samples(real, fake, title=None, ax=None, lim=None):
    """Generated points over the data (WGAN-GP toy experiments, ``gan_toy.py``).

    Args:
        real: ``(n, 2)`` data points (orange), or ``None``.
        fake: ``(m, 2)`` generated points (green), or ``None``.
        title: axes title.
        ax: draw into this axes instead of a new figure.
        lim: show ``[-lim, lim]^2``; ``None`` lets matplotlib choose.

    Returns:
        The Figure; the axes holds one scatter collection per point set given.
    """
    fig, ax = _new_axes(ax, figsize=(5.0, 5.0))
    drawn = False
    for points, color, label in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")):
        if points is None:
            continue
        drawn = True
        points = _numpy(points)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"{label} points must have shape (n, 2); got {points.shape}.")
        ax.scatter(points[:, 0], points[:, 1], s=4, marker="+", c=color, label=label, linewidths=0.8)
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if drawn:
        ax.legend(loc="upper right", markerscale=3)
    if title:
        ax.set_title(title)
    return fig


# -------------------------------------------------------- critic surface
def critic_surface(grid, real=None, fake=None, ax=None, title=None, levels=None):
    """Contours of the critic's value with the data and samples (WGAN-GP Figure 1a).

    Args:
        grid: ``(xs, ys, Z)`` from ``wgan_keras.measures.critic_values_on_grid``
            (the paper: 128 x 128 points over ``[-3, 3]^2``); the plot shows
            the grid's square.
        real, fake: optional ``(n, 2)`` points drawn over the contours (real
            orange, generated green).
        ax: draw into this axes instead of a new figure.
        title: axes title.
        levels: passed to ``ax.contour`` (number or values of the levels).

    Returns:
        The Figure; the axes holds the contour set, then one scatter
        collection per point set given.
    """
    xs, ys, values = (_numpy(part) for part in grid)
    if values.shape != (len(ys), len(xs)):
        raise ValueError(f"grid must be (xs, ys, Z) with Z of shape (len(ys), len(xs)); got Z {values.shape}.")
    fig, ax = _new_axes(ax, figsize=(5.0, 5.0))
    kwargs = {} if levels is None else {"levels": levels}
    ax.contour(xs, ys, values, **kwargs)
    toy_samples(real, fake, ax=ax)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if title:
        ax.set_title(title)
    return fig


def mark_peaks(grid, centers, ax, radius=0.1, neighbourhood=2):
    """Mark the critic's peaks on mode centres on a :func:`critic_surface` plot (WGAN-GP Figure 1a).

    The peaks are those ``wgan_keras.measures.peaks_on_modes`` counts, found
    on the plotted ``grid`` by the same rule: a grid point that no other point
    within ``neighbourhood`` cells exceeds and some are below, lying within
    ``radius`` of a centre. Contour lines close around only a few of them, so
    the plot shows them as markers.

    Returns:
        ``(captured, k)``: the centres with a marked peak, and the number of
        centres (``peaks_on_modes``'s count).
    """
    xs, ys, values = (_numpy(part) for part in grid)
    centers = _numpy(centers).reshape(-1, 2)
    size = 2 * int(neighbourhood) + 1
    others = np.ones((size, size), dtype=bool)
    others[size // 2, size // 2] = False
    highest = scipy.ndimage.maximum_filter(values, footprint=others, mode="nearest")
    lowest = scipy.ndimage.minimum_filter(values, footprint=others, mode="nearest")
    grid_x, grid_y = np.meshgrid(xs, ys)
    is_peak = (values >= highest) & (values > lowest)
    peaks = np.stack([grid_x[is_peak], grid_y[is_peak]], axis=1)
    distances = np.linalg.norm(peaks[:, None, :] - centers[None, :, :], axis=-1).reshape(len(peaks), len(centers))
    peaks = peaks[(distances < radius).any(axis=1)]
    captured = int((distances < radius).any(axis=0).sum())
    ax.scatter(
        peaks[:, 0],
        peaks[:, 1],
        marker="x",
        s=40,
        color="black",
        linewidths=1.5,
        zorder=3,
        label=f"peak on a mode ({captured}/{len(centers)} modes)",
    )
    return captured, len(centers)


# ------------------------------------------------------ loss curves (W)
def median_filter(values, window=101):
    """Running median of ``values`` over ``window`` points (WGAN Figures 3-4).

    The WGAN paper plots its Wasserstein estimates "passed through a median
    filter" of window 101. Away from the ends this is
    ``scipy.ndimage.median_filter(values, size=window)``: point ``i`` becomes
    the median of ``values[i - h : i + h + 1]``, ``h = window // 2``.
    Edges: within ``h`` points of either end the window is truncated to the
    points that exist (the median of ``values[max(0, i - h) : i + h + 1]``;
    an even count gives the mean of the middle two). No padding is invented:
    ``scipy.signal.medfilt``'s zero padding pulls the ends towards 0, and
    repeating the end value (``mode="nearest"``) makes the last filtered
    point equal the last raw, noisy one. The output has the input's length;
    a window longer than the series is allowed.

    Args:
        values: 1-D sequence of numbers.
        window: odd positive window length.

    Returns:
        float64 array of the same length.
    """
    if params.require_int("window", window, minimum=1) % 2 == 0:
        raise ValueError(f"window must be an odd positive integer; got {window!r}.")
    values = _numpy(values)
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional; got shape {values.shape}.")
    if values.size == 0:
        return values.copy()
    n, half = values.size, int(window) // 2
    filtered = scipy.ndimage.median_filter(values, size=int(window), mode="nearest")
    for i in range(min(half, n)):
        filtered[i] = np.median(values[: i + half + 1])
    for i in range(max(n - half, half), n):
        filtered[i] = np.median(values[i - half :])
    return filtered


def wasserstein_curve(
    values,
    window=101,
    ax=None,
    label="Wasserstein estimate",
    xlabel="generator iterations",
    ylabel="Wasserstein estimate",
    steps=None,
    title=None,
    color=None,
):
    """An estimate over training, median-filtered (WGAN Figures 3-4).

    The raw values are drawn faintly behind their median-filtered curve.
    Call it twice on one ``ax`` to compare runs; for the GAN's JS estimate
    (Figure 4) pass ``ylabel="JS estimate"``.

    Args:
        values: the estimate at each point, e.g. ``history["wasserstein_estimate"]``.
        window: median filter window (the paper: 101), see :func:`median_filter`.
        ax: draw into this axes instead of a new figure.
        label: legend label of the filtered curve.
        xlabel, ylabel: axis labels.
        steps: x positions (generator iterations); default ``0, 1, ...``.
        title: axes title.
        color: line colour (default: the next of the axes' cycle).

    Returns:
        The Figure; this call adds two lines (raw, then filtered).
    """
    values = _numpy(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D sequence; got shape {values.shape}.")
    steps = np.arange(values.size) if steps is None else _numpy(steps)
    if steps.shape != values.shape:
        raise ValueError(f"steps has shape {steps.shape} but values has shape {values.shape}.")
    fig, ax = _new_axes(ax, figsize=(6.0, 4.0))
    (raw,) = ax.plot(steps, values, alpha=0.25, linewidth=0.8, color=color, label=f"_{label} (raw)")
    ax.plot(steps, median_filter(values, window), color=raw.get_color(), linewidth=1.5, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label:
        ax.legend()
    if title:
        ax.set_title(title)
    return fig


# ------------------------------------------- gradient norms and weights
def gradient_norms_per_layer(norms_by_setting, ax=None, title=None):
    """log10 gradient norm per critic layer, one line per setting (WGAN-GP Figure 1b left).

    With weight clipping the norms explode (c = 0.1) or vanish (c = 0.001)
    through a deep critic; with the gradient penalty they stay level.

    Args:
        norms_by_setting: dict ``label -> norms`` (one norm per layer, input
            to output, e.g. from ``wgan_keras.measures.critic_backprop_norms``).
        ax: draw into this axes instead of a new figure.
        title: axes title.

    Returns:
        The Figure; one line per setting. Layers are numbered from 1; zero
        norms (log = -inf) are left out of the line.
    """
    if not norms_by_setting:
        raise ValueError("norms_by_setting is empty.")
    fig, ax = _new_axes(ax, figsize=(5.0, 4.0))
    for label, norms in norms_by_setting.items():
        norms = _numpy(norms).ravel()
        with np.errstate(divide="ignore"):
            logs = np.log10(norms)
        logs[~np.isfinite(logs)] = np.nan
        ax.plot(np.arange(1, norms.size + 1), logs, marker="o", markersize=3, label=str(label))
    ax.set_xlabel("critic layer")
    ax.set_ylabel("log10 gradient norm")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def weight_histograms(weights_by_setting, bins=50, title=None):
    """Histograms of the critic's weights, one panel per setting (WGAN-GP Figure 1b right).

    Clipped weights pile up at ``+-c``; with the gradient penalty they spread
    out (about ``+-0.5`` in the paper).

    Args:
        weights_by_setting: dict ``label -> weights`` (flat arrays, e.g. from
            ``wgan_keras.measures.critic_kernel_weights``).
        bins: histogram bins.
        title: figure title.

    Returns:
        The Figure, with one axes per setting.
    """
    if not weights_by_setting:
        raise ValueError("weights_by_setting is empty.")
    k = len(weights_by_setting)
    fig, axes = plt.subplots(1, k, figsize=(3.5 * k, 3.0), squeeze=False)
    for ax, (label, weights) in zip(axes[0], weights_by_setting.items()):
        weights = _numpy(weights).ravel()
        ax.hist(weights[np.isfinite(weights)], bins=bins, color="tab:blue")
        ax.set_title(str(label))
        ax.set_xlabel("weights")
    axes[0][0].set_ylabel("count")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------- WGAN Fig 1
def distances_vs_theta(thetas, curves, ax=None, title=None, xlabel="theta"):
    """Distances between the parallel lines ``P_0`` and ``P_theta`` (WGAN Figure 1).

    ``P_0 = (0, Z)``, ``P_theta = (theta, Z)``, ``Z ~ U[0, 1]``: the EM
    distance is ``|theta|`` (continuous), the JS divergence ``log 2`` for
    every ``theta != 0`` (a jump at 0). Infinite values (KL) are not drawn.

    Args:
        thetas: x values.
        curves: dict ``label -> values`` (same length as ``thetas``),
            e.g. ``{"EM": ..., "JS": ...}``, exact or estimated.
        ax: draw into this axes instead of a new figure.
        title: axes title.
        xlabel: x axis label.

    Returns:
        The Figure; one line per curve.
    """
    thetas = _numpy(thetas)
    if not curves:
        raise ValueError("curves is empty.")
    fig, ax = _new_axes(ax, figsize=(5.0, 4.0))
    for label, values in curves.items():
        values = _numpy(values)
        if values.shape != thetas.shape:
            raise ValueError(f"curve {label!r} has shape {values.shape}; thetas has {thetas.shape}.")
        values = np.where(np.isfinite(values), values, np.nan)
        ax.plot(thetas, values, label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("distance")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


# ------------------------------------------------------------ output
def _refuse_existing(path, what="overwrite=True"):
    if os.path.exists(path):
        raise FileExistsError(f"{path} already exists; pass {what} to replace it, or choose another path.")


def save_figure(fig, path, overwrite=True, **savefig_kwargs):
    """``fig.savefig(path)`` after creating the parent folders.

    Args:
        fig: the Figure.
        path: file path; its extension picks the format.
        overwrite: when False, raise ``FileExistsError`` if ``path`` exists.
        **savefig_kwargs: passed to ``savefig`` (``dpi``, ``bbox_inches``...).

    Returns:
        ``path``.
    """
    path = os.fspath(path)
    if not overwrite:
        _refuse_existing(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, **savefig_kwargs)
    return path


def figure_to_png(fig, dpi=100):
    """``fig`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def png_to_array(png):
    """The RGB pixels (uint8 ``(H, W, 3)``) of PNG bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def figure_to_array(fig, dpi=None):
    """The RGB pixels (uint8 ``(H, W, 3)``) of ``fig``, rendered to PNG."""
    return png_to_array(figure_to_png(fig, dpi=dpi))


def _frame_array(frame):
    if isinstance(frame, Figure):
        return figure_to_array(frame)
    array = frame if isinstance(frame, np.ndarray) else _numpy(frame, None)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"A frame must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got {array.shape}.")
    if array.dtype != np.uint8:
        array = np.rint(np.clip(np.asarray(array, dtype="float64"), 0.0, 1.0) * 255).astype(np.uint8)
    return array


def training_animation(frames, path, fps=5, overwrite=False):
    """Save frames as an animated GIF (``matplotlib.animation.PillowWriter``).

    For instance the image grids of ``callbacks.SampleMonitor.snapshots``
    (how WGAN's samples improve while its loss falls, Figures 3-4).

    Args:
        frames: a list of uint8 arrays ``(H, W)``, ``(H, W, 1|3|4)``, float
            arrays in ``[0, 1]`` (use :func:`image_grid_array` for generator
            outputs in ``[-1, 1]``), ``(step, array)`` pairs, or Figures.
            Pillow merges consecutive identical frames.
        path: the ``.gif`` file; parent folders are created.
        fps: frames per second.
        overwrite: replace an existing file; otherwise ``FileExistsError``.

    Returns:
        ``path``.
    """
    from matplotlib.animation import PillowWriter

    path = os.fspath(path)
    if not overwrite:
        _refuse_existing(path)
    frames = list(frames)
    if not frames:
        raise ValueError("frames is empty.")
    arrays = [_frame_array(f[1] if isinstance(f, tuple) and len(f) == 2 else f) for f in frames]
    height, width = arrays[0].shape[:2]
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    dpi = 100
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    temporary = f"{path}.partial.gif"
    try:
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, temporary, dpi):
            for array in arrays:
                ax.clear()
                ax.set_axis_off()
                cmap = "gray" if array.ndim == 2 else None
                ax.imshow(array, cmap=cmap, vmin=0, vmax=255, interpolation="nearest", aspect="auto")
                writer.grab_frame()
        if not overwrite:
            _refuse_existing(path)
        os.replace(temporary, path)
    finally:
        plt.close(fig)
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
