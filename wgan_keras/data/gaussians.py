"""Two 1-D Gaussians for WGAN Figure 2 (optimal GAN discriminator vs. WGAN critic).

Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017, Figure 2:
:func:`gaussians_1d` draws the samples, :func:`gaussian_pdf` gives the exact
densities for the optimal discriminator ``p_r / (p_r + p_g)``.
"""

import math

import numpy as np

from wgan_keras import params

#: Defaults of :func:`gaussians_1d` (WGAN Figure 2 gives no parameters):
#: real N(-2, 0.5^2) on the left, fake N(+2, 0.5^2) on the right, 8 std
#: apart, so the densities barely overlap: the optimal GAN discriminator
#: D*(x) = p_r / (p_r + p_g) is a sigmoid of slope 16 that saturates to
#: 0 / 1 on both supports (vanishing gradients), while the optimal WGAN
#: critic is linear, f(x) = -x (up to a constant). Plot over about [-5, 5].
GAUSSIANS_1D_DEFAULTS = {"mean_real": -2.0, "mean_fake": 2.0, "std": 0.5}


def gaussians_1d(
    n: int,
    mean_real: float = -2.0,
    mean_fake: float = 2.0,
    std: float = 0.5,
    seed: int = 0,
):
    """Two well separated 1-D Gaussians, for WGAN Figure 2.

    Arjovsky et al. 2017, Figure 2 ("Optimal discriminator and critic when
    learning to differentiate two Gaussians"); the paper gives no numbers.
    Defaults (see :data:`GAUSSIANS_1D_DEFAULTS`): real N(-2, 0.5^2), fake
    N(+2, 0.5^2). Exact densities: :func:`gaussian_pdf`.

    Args:
        n: samples per distribution (>= 1).
        mean_real, mean_fake: the two means.
        std: common standard deviation (> 0).
        seed: non-negative integer for ``numpy.random.default_rng``.

    Returns:
        ``(real, fake)``: two float32 arrays of shape (n, 1).
    """
    n = params.require_int("n", n, minimum=1)
    mean_real = params.require_number("mean_real", mean_real)
    mean_fake = params.require_number("mean_fake", mean_fake)
    std = params.require_number("std", std, minimum=0, exclusive_minimum=True)
    seed = params.require_seed(seed)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((2, n, 1))
    real = (mean_real + std * noise[0]).astype(np.float32)
    fake = (mean_fake + std * noise[1]).astype(np.float32)
    return real, fake


def gaussian_pdf(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Density of N(mean, std^2) at ``x`` (float64 array, shape of ``x``).

    Used for the exact optimal discriminator p_r / (p_r + p_g) of WGAN
    Figure 2 (Arjovsky et al. 2017) with the samples of :func:`gaussians_1d`.
    """
    std = params.require_number("std", std, minimum=0, exclusive_minimum=True)
    mean = params.require_number("mean", mean)
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))
