"""Callbacks that watch a GAN while it trains.

* :class:`SampleMonitor` - snapshots of the generator's samples on a fixed
  noise batch (the sample figures of both papers, e.g. WGAN Figures 5-7,
  WGAN-GP Figure 3 and the toy plots of ``gan_toy.py``), saved as PNG, shown
  inline in notebooks, written to TensorBoard and kept for animations.
* :class:`MetricsMonitor` - quality metrics during training, recorded in the
  ``History`` next to the losses, to check the WGAN claim (Section 4.2,
  Figures 3-4) that the Wasserstein estimate tracks sample quality:
  exact W1 and mode coverage on the toy mixtures, image scores otherwise.

Both work with ``WGAN``, ``WGANGP`` and ``GAN`` alike; they need the
model's ``generator``, ``latent_dim`` and (for the metrics presets)
``generate(n, seed=...)``.

Steps: a *step* is one ``fit`` step, i.e. one generator iteration of
Algorithm 1. When the model has a ``generator_iterations`` counter (the
library's models do; it is saved and restored with them) the step is read
from it, so a resumed run continues its numbering; otherwise the callback
counts the steps it has seen itself, across ``fit`` calls.
"""

import math
import os
import re

import keras
import numpy as np

from wgan_keras import measures, params, plots
from wgan_keras.arrays import scalar, to_numpy

__all__ = ["MetricsMonitor", "SampleMonitor", "write_image", "write_scalar"]


def _positive_or_none(name, value):
    return None if value is None else params.require_int(name, value, minimum=1)


def _in_notebook():
    """True inside a Jupyter/IPython kernel (not a terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# TensorBoard records written with TensorFlow's own ``tf.summary.write``, in
# the format of TensorBoard's v2 scalar and image summaries, so that logging
# does not need the ``tensorboard`` package (``tf.summary.scalar`` and
# ``tf.summary.image`` do); TensorBoard reads them as usual.
def _tensorflow():
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError(
            "log_dir= writes TensorBoard records with tf.summary, which needs TensorFlow; it is not installed "
            f"here (Keras backend {keras.backend.backend()!r}). Install tensorflow, or pass log_dir=None: the "
            "values stay in the History and in the callback's records (MetricsMonitor.records, "
            "SampleMonitor.snapshots and its PNG files)."
        ) from error
    return tf


def _summary_metadata(plugin_name):
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin_name))


def write_scalar(name, value, step):
    """A TensorBoard scalar under the default writer (``tf.summary.scalar``'s format)."""
    tf = _tensorflow()
    tf.summary.write(name, tf.constant(float(value), tf.float32), step=int(step), metadata=_summary_metadata("scalars"))


def write_image(name, image, step):
    """A uint8 ``(H, W, C)`` image under the default writer (``tf.summary.image``'s format)."""
    tf = _tensorflow()
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    height, width = image.shape[:2]
    tensor = tf.stack([tf.as_string(width), tf.as_string(height), tf.image.encode_png(image)])
    tf.summary.write(name, tensor, step=int(step), metadata=_summary_metadata("images"))


class _StepSchedule(keras.callbacks.Callback):
    """Shared step counting, 'every N steps / every N epochs' triggering and
    the TensorBoard writer (open while training, when ``log_dir`` is set)."""

    def __init__(self, every_n_steps, every_n_epochs, log_dir=None):
        super().__init__()
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        if self.log_dir is not None:
            _tensorflow()  # fail now, not at the first record
        self._writer = None
        self.every_n_steps = _positive_or_none("every_n_steps", every_n_steps)
        if every_n_epochs is None and self.every_n_steps is None:
            every_n_epochs = 1
        self.every_n_epochs = _positive_or_none("every_n_epochs", every_n_epochs)
        self._counted_steps = 0  # steps seen, for models without a counter
        self._epoch_start = 0
        self._last_step = None  # step of the last trigger
        self._previous_step = 0  # step at the previous batch end
        self._epoch = 0

    def current_step(self):
        """Generator iterations done so far (see the module docstring)."""
        counter = getattr(self.model, "generator_iterations", None)
        if counter is not None:
            return int(to_numpy(counter, "generator_iterations"))
        return self._counted_steps

    def on_train_begin(self, logs=None):
        self._epoch_start = self._counted_steps
        self._previous_step = self.current_step()
        if self.log_dir is not None and self._writer is None:
            self._writer = _tensorflow().summary.create_file_writer(self.log_dir)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = int(epoch)
        self._epoch_start = self._counted_steps

    def on_train_batch_end(self, batch, logs=None):
        # Keras passes the index of the last step run (several with
        # steps_per_execution), counted from the start of the epoch.
        self._counted_steps = self._epoch_start + int(batch) + 1
        step = self.current_step()
        previous, self._previous_step = self._previous_step, step
        if self.every_n_steps is None or step == self._last_step:
            return
        # A multiple of every_n_steps was reached or passed since the last batch.
        if step // self.every_n_steps > previous // self.every_n_steps:
            self._last_step = step
            self._trigger(step, self._epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs is not None and (epoch + 1) % self.every_n_epochs == 0:
            step = self.current_step()
            if step != self._last_step:
                self._last_step = step
                self._trigger(step, int(epoch))

    def _trigger(self, step, epoch):
        raise NotImplementedError


class SampleMonitor(_StepSchedule):
    """Snapshots of the generator on one fixed noise batch.

    Serves the sample figures of both papers (WGAN Figures 5-7, WGAN-GP
    Figures 3-4 for images; the toy figures of ``gan_toy.py`` for 2-D data):
    at every snapshot it runs ``model.generator(noise, training=False)`` on
    the SAME noise, drawn once with its own ``seed``, so successive grids
    show the same latent points and can be compared or animated. It draws
    nothing from the model's random streams or the global ones.

    Each snapshot is

    * saved as ``<output_dir>/samples_epoch_<E>_step_<S>.png`` (``E`` from 1,
      ``S`` the generator iteration): an image grid for image samples, a
      scatter over ``real`` for 2-D samples;
    * shown inline when running in a Jupyter/IPython kernel and
      ``show_inline``;
    * written to TensorBoard as the image ``"samples"`` when ``log_dir`` is
      given (in ``tf.summary.image``'s format, written with
      ``tf.summary.write``, so the ``tensorboard`` package is not needed);
    * appended to ``self.snapshots`` as ``(step, uint8 array)`` (the grid's
      pixels, or the rendered scatter), for ``plots.training_animation``.

    Args:
        every_n_steps: snapshot every this many generator iterations.
        every_n_epochs: snapshot after every this many epochs. ``None``
            (default): every epoch when ``every_n_steps`` is ``None``,
            otherwise never. A step already snapshotted is not drawn twice.
        n_samples: samples per snapshot (64 makes an 8 x 8 grid; for 2-D
            data a few hundred show the distribution better).
        seed: seed of the fixed noise (a ``numpy`` generator of its own).
        output_dir: folder of the PNG files (created); ``None``: no files.
        real: for 2-D data, real points drawn behind the samples.
        show_inline: display each snapshot in a notebook.
        log_dir: TensorBoard log folder, or ``None``.
        overwrite: replace existing snapshot files. Otherwise
            ``on_train_begin`` raises ``FileExistsError`` if ``output_dir``
            holds a snapshot file for a step this run may reach (a step
            after the model's current one): files of earlier steps, e.g.
            from the run being resumed, are kept and do not conflict. Place
            this callback after a backup callback that restores the step
            counter, or it compares with the step before the restore.
        show_critic: for 2-D data, draw the critic's contours too (as
            ``gan_toy.py`` does; a 128 x 128 grid of critic values).
        lim: for 2-D data, the plotted square ``[-lim, lim]^2``; default
            from ``real`` (or the first snapshot), then fixed.
    """

    FILE_PATTERN = re.compile(r"^samples_epoch_(\d+)_step_(\d+)\.png$")

    def __init__(
        self,
        every_n_steps=None,
        every_n_epochs=None,
        n_samples=64,
        seed=0,
        output_dir="outputs/samples",
        real=None,
        show_inline=True,
        log_dir=None,
        overwrite=False,
        show_critic=False,
        lim=None,
    ):
        super().__init__(every_n_steps, every_n_epochs, log_dir)
        self.n_samples = _positive_or_none("n_samples", n_samples)
        if self.n_samples is None:
            raise ValueError("n_samples must be a positive integer; got None.")
        self.seed = int(seed)
        self.output_dir = None if output_dir is None else os.fspath(output_dir)
        self.real = None if real is None else np.asarray(real, dtype="float32")
        if self.real is not None and (self.real.ndim != 2 or self.real.shape[1] != 2):
            raise ValueError(f"real must be 2-D points of shape (n, 2); got {self.real.shape}.")
        self.show_inline = bool(show_inline)
        self.overwrite = bool(overwrite)
        self.show_critic = bool(show_critic)
        self.lim = lim
        self.noise = None
        self.snapshots = []
        self.files = []

    # ------------------------------------------------------------ noise
    def fixed_noise(self, latent_dim=None):
        """The noise batch ``(n_samples, latent_dim)``, drawn on first use only."""
        if self.noise is None:
            if latent_dim is None:
                latent_dim = self.model.latent_dim
            rng = np.random.default_rng(self.seed)
            self.noise = rng.standard_normal((self.n_samples, int(latent_dim))).astype("float32")
        return self.noise

    def generate(self):
        """The generator's samples on the fixed noise, as a numpy array."""
        from wgan_keras import compiled

        return compiled.predict(self.model.generator, self.fixed_noise())

    # --------------------------------------------------------- callbacks
    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.fixed_noise()
        shape = tuple(self.model.generator.output_shape[1:])
        if not (shape == (2,) or len(shape) == 2 or (len(shape) == 3 and shape[-1] in (1, 3))):
            raise ValueError(
                "SampleMonitor draws 2-D points or images (H, W, 1|3); the generator's output shape "
                f"is {self.model.generator.output_shape}."
            )
        if self.output_dir is not None:
            os.makedirs(self.output_dir, exist_ok=True)
            if not self.overwrite:
                start = self.current_step()
                written = set(self.files)
                for name in sorted(os.listdir(self.output_dir)):
                    match = self.FILE_PATTERN.match(name)
                    path = os.path.join(self.output_dir, name)
                    if match and int(match.group(2)) > start and path not in written:
                        raise FileExistsError(
                            f"{path} already exists and this run could replace it (it starts at step "
                            f"{start}). Pass overwrite=True to SampleMonitor to replace snapshot files, "
                            "or choose another output_dir."
                        )

    def _trigger(self, step, epoch):
        self.snapshot(step, epoch)

    def snapshot(self, step=None, epoch=None):
        """Take one snapshot now; returns its ``(step, array)``."""
        step = self.current_step() if step is None else int(step)
        epoch = self._epoch if epoch is None else int(epoch)
        png, array = self.render(self.generate(), f"step {step}")
        self.snapshots.append((step, array))
        if self.output_dir is not None:
            self._write(png, os.path.join(self.output_dir, f"samples_epoch_{epoch + 1:04d}_step_{step:07d}.png"))
        if self.show_inline and _in_notebook():
            from IPython.display import Image, display

            display(Image(data=png))
        if self._writer is not None:
            with self._writer.as_default():
                write_image("samples", array, step)
            self._writer.flush()
        return step, array

    def render(self, samples, title):
        """``(png bytes, uint8 pixels)`` of a snapshot: an image grid, or points over the data."""
        import matplotlib.pyplot as plt

        if samples.ndim == 2 and samples.shape[1] == 2:
            if self.lim is None:
                reference = self.real if self.real is not None else samples
                self.lim = float(np.ceil(1.2 * np.nanmax(np.abs(reference)) * 2) / 2) or 1.0
            if self.show_critic:
                grid = measures.critic_values_on_grid(self.model, lim=self.lim)
                fig = plots.critic_surface(grid, real=self.real, fake=samples, title=title)
            else:
                fig = plots.toy_samples(self.real, samples, title=title, lim=self.lim)
            png = plots.figure_to_png(fig)
            array = plots.png_to_array(png)
        else:
            array = plots.image_grid_array(samples)
            fig = plots.image_grid(samples, title=title)
            png = plots.figure_to_png(fig)
        plt.close(fig)
        return png, array

    def _write(self, png, path):
        """Write a snapshot atomically; never replace a file of another run unless ``overwrite``."""
        if os.path.exists(path) and not self.overwrite and path not in self.files:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to SampleMonitor to replace it.")
        partial = f"{path}.partial"
        with open(partial, "wb") as handle:
            handle.write(png)
        os.replace(partial, path)
        if path not in self.files:
            self.files.append(path)


class MetricsMonitor(_StepSchedule):
    """Quality metrics during training, recorded in the ``History``.

    Serves the WGAN claim (Section 4.2, Figures 3-4) that the Wasserstein
    estimate correlates with sample quality, and the mode-coverage and W1
    comparisons on the WGAN-GP toy mixtures: the metrics are computed every
    ``every_n_steps`` generator iterations (or every ``every_n_epochs``
    epochs) and

    * appended to ``self.records`` as ``{"step": s, "epoch": e, **values}``
      (every evaluation, full resolution);
    * put into the epoch's ``logs`` at each epoch end, so they appear in
      ``history.history`` (and ``CSVLogger``, ``EarlyStopping`` ... placed
      AFTER this callback in the list): the values of the latest
      evaluation, so every key has one entry per epoch. If nothing has been
      evaluated by the end of the first epoch (``every_n_steps`` longer
      than an epoch), an evaluation is made then, because ``History`` and
      ``CSVLogger`` take their keys from the first epoch's logs;
    * written as TensorBoard scalars ``metrics/<name>`` when ``log_dir`` is
      given (``tf.summary.scalar``'s format; the ``tensorboard`` package is
      not needed).

    Args:
        metrics_fn: ``fn(model) -> dict`` of named values, or a dict
            ``name -> fn(model)`` returning a number (or a dict, merged).
            Only numeric scalars go to the logs and TensorBoard; ``records``
            keeps everything returned.
        every_n_steps: evaluate every this many generator iterations.
        every_n_epochs: evaluate after every this many epochs. ``None``
            (default): every epoch when ``every_n_steps`` is ``None``,
            otherwise never (the logs then carry the latest values).
            The schedule counts generator iterations: with
            ``steps_per_execution=k`` Keras reports every ``k`` steps, and
            an evaluation happens at the first report at or after each
            multiple of ``every_n_steps``.
        log_dir: TensorBoard log folder, or ``None``.
        prefix: prepended to every name (e.g. ``"eval_"``).
        verbose: 1 prints the values at each evaluation.

    Use the presets :meth:`toy` and :meth:`images` for the usual metrics.
    """

    def __init__(self, metrics_fn, every_n_steps=None, every_n_epochs=None, log_dir=None, prefix="", verbose=0):
        super().__init__(every_n_steps, every_n_epochs, log_dir)
        if isinstance(metrics_fn, dict):
            named = dict(metrics_fn)
            for name, fn in named.items():
                if not callable(fn):
                    raise ValueError(f"metrics_fn[{name!r}] must be callable; got {type(fn).__name__}.")
            self.metrics_fn = lambda model: _merge({name: fn(model) for name, fn in named.items()})
        elif callable(metrics_fn):
            self.metrics_fn = metrics_fn
        else:
            raise ValueError(
                "metrics_fn must be a callable fn(model) -> dict or a dict name -> fn(model); "
                f"got {type(metrics_fn).__name__}."
            )
        self.prefix = str(prefix)
        self.verbose = int(verbose)
        self.records = []
        self._names = []

    # ---------------------------------------------------------- presets
    @classmethod
    def toy(cls, real_sample, centers=None, std=None, n_samples=2500, seed=0, **kwargs):
        """Exact W1 and mode coverage on a 2-D toy mixture (WGAN-GP Section 4.1).

        Each evaluation draws ``n_samples`` samples with ``model.generate(n,
        seed=seed)`` (the same noise every time; the model's own stream is not
        advanced) and computes

        ``wgan_keras.metrics.toy_scores`` (what the command line reports):

        * ``"w1"``: the exact W1 to ``real_sample`` (pass a sample of the
          same size, 2,500 points as in the VEEGAN/PacGAN protocol);
        * with ``centers``: ``"modes"`` (modes captured),
          ``"high_quality"`` (fraction of samples within 3 std of their
          nearest mode) and ``"reverse_kl"`` (of the mode histogram; NaN
          when no sample is of high quality).

        Args:
            real_sample: ``(m, 2)`` data points.
            centers: ``(k, 2)`` mode centres, or the name ``"8gaussians"`` /
                ``"25gaussians"`` (centres and std from ``data.toy_modes``).
            std: the per-mode std (needed with explicit centres).
            n_samples, seed: the generated sample.
            **kwargs: ``every_n_steps``, ``every_n_epochs``, ``log_dir``,
                ``prefix``, ``verbose``.
        """
        real_sample = np.asarray(real_sample, dtype="float32")
        if real_sample.ndim != 2 or real_sample.shape[1] != 2:
            raise ValueError(f"real_sample must have shape (m, 2); got {real_sample.shape}.")
        if centers is not None and not isinstance(centers, str) and std is None:
            raise ValueError("std is required with explicit centers (the per-mode standard deviation).")
        n_samples = _positive_or_none("n_samples", n_samples)

        def toy_metrics(model):
            from wgan_keras.metrics import toy_scores

            scores = toy_scores(model.generate(n_samples, seed=seed), real_sample, centers, std)
            scores.pop("n_modes", None)  # a constant, not a measurement
            return scores

        return cls(toy_metrics, **kwargs)

    @classmethod
    def images(cls, scorer, reference_images, n_samples=1000, seed=0, **kwargs):
        """Image quality scores from ``scorer.evaluate(generated, reference) -> dict``.

        For instance ``wgan_keras.metrics.QualityScorer`` (Inception-style
        score and Frechet distance with a small classifier), WGAN-GP
        Figure 3's inception-score curves. Each evaluation scores
        ``model.generate(n_samples, seed=seed)`` (the same noise every time).

        Args:
            scorer: an object with ``evaluate(generated, reference)``.
            reference_images: real images, in the generator's range.
            n_samples, seed: the generated sample.
            **kwargs: ``every_n_steps``, ``every_n_epochs``, ``log_dir``,
                ``prefix``, ``verbose``.
        """
        if not callable(getattr(scorer, "evaluate", None)):
            raise ValueError(f"scorer must have an evaluate(generated, reference) method; got {type(scorer).__name__}.")
        n_samples = _positive_or_none("n_samples", n_samples)

        def image_metrics(model):
            return dict(scorer.evaluate(model.generate(n_samples, seed=seed), reference_images))

        return cls(image_metrics, **kwargs)

    # --------------------------------------------------------- callbacks
    def _trigger(self, step, epoch):
        self.evaluate(step, epoch)

    def evaluate(self, step=None, epoch=None):
        """Compute the metrics now; returns the record ``{"step", "epoch", ...}``."""
        step = self.current_step() if step is None else int(step)
        epoch = self._epoch if epoch is None else int(epoch)
        values = self.metrics_fn(self.model)
        if not isinstance(values, dict):
            raise ValueError(f"metrics_fn must return a dict; got {type(values).__name__}.")
        record = {"step": step, "epoch": epoch}
        record.update({self.prefix + str(k): v for k, v in values.items()})
        self.records.append(record)
        scalars = {k: s for k, v in record.items() if k not in ("step", "epoch") for s in [scalar(v)] if s is not None}
        for name in scalars:
            if name not in self._names:
                self._names.append(name)
        if self._writer is not None:
            with self._writer.as_default():
                for name, value in scalars.items():
                    write_scalar(f"metrics/{name}", value, step)
            self._writer.flush()
        if self.verbose:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in scalars.items())
            print(f"MetricsMonitor step {step}: {shown}")
        return record

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if not self.records:
            # Keras' History and CSVLogger fix their columns at the first
            # epoch: evaluate once now so that every key is there from the start.
            step = self.current_step()
            self._last_step = step
            self.evaluate(step, int(epoch))
        if logs is None:
            return
        latest = {}
        for record in self.records:
            for name in self._names:
                if name in record:
                    value = scalar(record[name])
                    if value is not None:
                        latest[name] = value
        for name in self._names:
            logs[name] = latest.get(name, math.nan)

    @property
    def steps(self):
        """The steps at which the metrics were evaluated."""
        return [r["step"] for r in self.records]

    def series(self, name):
        """``(steps, values)`` arrays of one metric over all evaluations."""
        pairs = [(r["step"], scalar(r[name])) for r in self.records if name in r]
        if not pairs:
            raise KeyError(f"No evaluation recorded {name!r}; known: {self._names}.")
        steps, values = zip(*pairs)
        return np.asarray(steps), np.asarray(values, dtype="float64")


def _merge(results):
    merged = {}
    for name, value in results.items():
        if isinstance(value, dict):
            merged.update(value)
        else:
            merged[name] = value
    return merged
