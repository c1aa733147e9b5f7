"""The papers' optimizers, as their official code configures them.

Keras's defaults are not the reference implementations' defaults, and for a
clipped WGAN critic the difference is large:

* Keras's ``RMSprop`` divides by ``sqrt(v + epsilon)`` with ``epsilon=1e-7``
  and ``rho=0.9``; PyTorch's (the WGAN code, martinarjovsky/WassersteinGAN)
  divides by ``sqrt(v) + 1e-8`` with ``alpha=0.99``. A critic whose weights
  are clipped to 0.01 has gradients with an RMS of 5e-6 to 4e-3 per variable
  (measured on the toy MLP and the DCGAN critic), so Keras's epsilon floors
  the denominator at ``sqrt(1e-7) = 3.2e-4`` and shrinks many updates up to
  60 times. ``epsilon=1e-16`` inside the square root puts the floor at
  PyTorch's 1e-8.
* TF1's ``AdamOptimizer`` (the WGAN-GP code) and PyTorch's Adam (the DCGAN
  baseline) use ``epsilon=1e-8``; Keras uses 1e-7.

Each function returns a new optimizer (an optimizer keeps per-variable
state, so the generator and the critic each need their own). This module is
the one place where the papers' learning rates are written: ``None`` means
the paper's value.
"""

import keras

from wgan_keras import params

#: The papers' learning rates.
WGAN_LEARNING_RATE = 5e-5
WGAN_GP_LEARNING_RATE = 1e-4
GAN_LEARNING_RATE = 2e-4

#: ``epsilon`` inside Keras RMSprop's square root that matches PyTorch's
#: ``eps=1e-8`` outside it: ``sqrt(v + 1e-16) ~ sqrt(v) + 1e-8`` at both ends.
RMSPROP_EPSILON = 1e-16
ADAM_EPSILON = 1e-8


def _rate(learning_rate, paper):
    if learning_rate is None:
        return paper
    return params.require_number("learning_rate", learning_rate, minimum=0, exclusive_minimum=True)


def wgan_rmsprop(learning_rate=None):
    """WGAN Algorithm 1: RMSProp, ``alpha = 5e-5`` (PyTorch's ``rho=0.99``)."""
    return keras.optimizers.RMSprop(_rate(learning_rate, WGAN_LEARNING_RATE), rho=0.99, epsilon=RMSPROP_EPSILON)


def wgan_gp_adam(learning_rate=None, beta_1=0.0, beta_2=0.9):
    """WGAN-GP Algorithm 1: Adam(``alpha = 1e-4``, ``beta_1 = 0``, ``beta_2 = 0.9``).

    The toy code (``gan_toy.py``) uses ``beta_1 = 0.5``.
    """
    beta_1 = params.require_number("beta_1", beta_1, minimum=0, maximum=1)
    return keras.optimizers.Adam(
        _rate(learning_rate, WGAN_GP_LEARNING_RATE), beta_1=beta_1, beta_2=beta_2, epsilon=ADAM_EPSILON
    )


def gan_adam(learning_rate=None, beta_1=0.5):
    """The DCGAN baseline (Radford et al. 2016): Adam(2e-4, ``beta_1 = 0.5``)."""
    beta_1 = params.require_number("beta_1", beta_1, minimum=0, maximum=1)
    return keras.optimizers.Adam(_rate(learning_rate, GAN_LEARNING_RATE), beta_1=beta_1, epsilon=ADAM_EPSILON)
