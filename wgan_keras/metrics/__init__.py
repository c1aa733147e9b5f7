"""Evaluation metrics for the WGAN / WGAN-GP reproductions, one module per job.

* :mod:`~wgan_keras.metrics.transport`: :func:`wasserstein1`, the exact
  Wasserstein-1 (earth mover) distance between two samples (WGAN Eq. 1), and
  :func:`sliced_wasserstein` for images.
* :mod:`~wgan_keras.metrics.modes`: :func:`mode_coverage` on a Gaussian
  mixture (VEEGAN / PacGAN definitions).
* :mod:`~wgan_keras.metrics.toy`: :func:`toy_scores`, the toy-data
  evaluation the command line and ``MetricsMonitor.toy`` report.
* :mod:`~wgan_keras.metrics.frechet`: :func:`frechet_distance_features` and
  :func:`frechet_distance_gaussians`, the FID formula.
* :mod:`~wgan_keras.metrics.quality`: :class:`QualityScorer`, a
  download-free Inception-Score and FID stand-in with a small classifier.
* :mod:`~wgan_keras.metrics.inception`: :func:`inception_score` and
  :func:`frechet_inception_distance` with Keras's InceptionV3.

All image inputs are float images in [-1, 1] with shape (N, H, W, C), the
range of a ``tanh`` generator.
"""

from wgan_keras.metrics.frechet import frechet_distance_features, frechet_distance_gaussians
from wgan_keras.metrics.inception import (
    INCEPTION_WEIGHTS_FILE,
    frechet_inception_distance,
    inception_score,
    inception_weights_path,
)
from wgan_keras.metrics.modes import mode_coverage
from wgan_keras.metrics.quality import QualityScorer, default_cache_dir
from wgan_keras.metrics.toy import toy_scores
from wgan_keras.metrics.transport import LP_MAX_PAIRS, REPLICATION_MAX_POINTS, sliced_wasserstein, wasserstein1

__all__ = [
    "INCEPTION_WEIGHTS_FILE",
    "LP_MAX_PAIRS",
    "QualityScorer",
    "REPLICATION_MAX_POINTS",
    "default_cache_dir",
    "frechet_distance_features",
    "frechet_distance_gaussians",
    "frechet_inception_distance",
    "inception_score",
    "inception_weights_path",
    "mode_coverage",
    "sliced_wasserstein",
    "toy_scores",
    "wasserstein1",
]
