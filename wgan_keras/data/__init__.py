"""Data for the WGAN and WGAN-GP reproductions, one module per job.

Papers served:

* WGAN   -- Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017
  (arXiv 1701.07875); official code martinarjovsky/WassersteinGAN.
* WGAN-GP -- Gulrajani et al., "Improved Training of Wasserstein GANs",
  NeurIPS 2017 (arXiv 1704.00028); official code
  igul222/improved_wgan_training (``gan_toy.py`` for the toy sets).

Contents (every name is also ``wgan_keras.data.<name>``):

* :mod:`~wgan_keras.data.toys`: :func:`toy`, :func:`toy_modes`,
  :func:`toy_dataset` (:class:`ToyBatches`) -- the 2-D toy distributions of
  WGAN-GP (Section 4.1 / Figure 1, ``gan_toy.py``): ``"8gaussians"``,
  ``"25gaussians"``, ``"swissroll"``.
* :mod:`~wgan_keras.data.batching`: :class:`ArrayBatches`, the one batcher
  of in-memory arrays (training stream, validation, digits, the
  ``QualityScorer``).
* :mod:`~wgan_keras.data.feeding`: :func:`~wgan_keras.data.feeding.keras_input`
  -- a batcher as the active backend's ``fit`` should read it (TensorFlow:
  a ``tf.data`` pipeline without autotuning).
* :mod:`~wgan_keras.data.example1`: :func:`parallel_lines` -- WGAN Section 2,
  Example 1 (Figure 1). ``parallel_lines_distances`` is
  :func:`wgan_keras.divergences.parallel_lines_distances` (the closed forms
  are theory and live with the divergences).
* :mod:`~wgan_keras.data.gaussians`: :func:`gaussians_1d`,
  :func:`gaussian_pdf` -- WGAN Figure 2 (optimal GAN discriminator vs. WGAN
  critic on two 1-D Gaussians).
* :mod:`~wgan_keras.data.sklearn_digits`: :func:`digits` -- scikit-learn's
  bundled 8x8 handwritten digits: a small, offline image set for CPU
  experiments and tests (e.g. the critic over-fitting study of WGAN-GP
  Figure 5b on a small subset), and its :func:`stratified_split`.
* :mod:`~wgan_keras.data.tfds`: :func:`load` -- real image sets via
  tensorflow-datasets (MNIST, Fashion-MNIST, CIFAR-10, CelebA, LSUN
  bedrooms) scaled to [-1, 1].

Every random function is seeded: the same arguments give the same numbers.
Images are float32 in [-1, 1] with shape (H, W, C), matching a ``tanh``
generator output.
"""

from wgan_keras.data.batching import ArrayBatches
from wgan_keras.data.example1 import parallel_lines, parallel_lines_distances
from wgan_keras.data.gaussians import GAUSSIANS_1D_DEFAULTS, gaussian_pdf, gaussians_1d
from wgan_keras.data.sklearn_digits import digits, stratified_split
from wgan_keras.data.tfds import (
    CELEBA_CROP,
    LOAD_NAMES,
    NATIVE_SIZES,
    OUTPUT_SIZES,
    DatasetNotFoundError,
    load,
)
from wgan_keras.data.toys import TOY_NAMES, ToyBatches, toy, toy_dataset, toy_modes

__all__ = [
    "TOY_NAMES",
    "LOAD_NAMES",
    "NATIVE_SIZES",
    "OUTPUT_SIZES",
    "CELEBA_CROP",
    "DatasetNotFoundError",
    "toy",
    "toy_modes",
    "toy_dataset",
    "ToyBatches",
    "ArrayBatches",
    "parallel_lines",
    "parallel_lines_distances",
    "gaussians_1d",
    "gaussian_pdf",
    "GAUSSIANS_1D_DEFAULTS",
    "digits",
    "stratified_split",
    "load",
]
