"""The toy-data evaluation: one function for the command line, the callbacks and the notebooks."""

import numpy as np

from wgan_keras.metrics.modes import mode_coverage
from wgan_keras.metrics.transport import wasserstein1


def toy_scores(samples, reference, centers=None, std=None):
    """Exact W1 to held-out data and, on a mixture, the mode coverage.

    The numbers both papers' toy experiments are judged by: the exact
    Wasserstein-1 distance between the generated and the real sample (WGAN
    Eq. 1; 2,500 points each in the VEEGAN / PacGAN protocol) and, with
    mode ``centers``, the modes captured, the share of high-quality samples
    and the reverse KL of the mode histogram (:func:`mode_coverage`).

    Args:
        samples: ``(n, 2)`` generated points.
        reference: ``(m, 2)`` real points.
        centers: ``(k, 2)`` mode centres, or a toy set's name
            (``"8gaussians"``, ``"25gaussians"``; ``"swissroll"`` has no
            modes), or ``None``.
        std: the per-mode std (needed with explicit centres).

    Returns:
        ``{"w1": float}``, plus ``"modes"``, ``"n_modes"``, ``"high_quality"``
        and ``"reverse_kl"`` with centres.
    """
    scores = {"w1": wasserstein1(samples, reference)}
    if isinstance(centers, str):
        if centers == "swissroll":
            return scores
        from wgan_keras.data import toy_modes

        centers, named_std = toy_modes(centers)
        std = named_std if std is None else std
    if centers is None:
        return scores
    if std is None:
        raise ValueError("std is required with explicit centers (the per-mode standard deviation).")
    coverage = mode_coverage(samples, np.asarray(centers, dtype="float64"), std)
    scores.update(
        modes=coverage["modes"],
        n_modes=coverage["n_modes"],
        high_quality=coverage["high_quality"],
        reverse_kl=coverage["reverse_kl"],
    )
    return scores
