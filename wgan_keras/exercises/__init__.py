"""Automatic checks for the exercise notebooks (``notebooks/exercises/``), a textbook companion.

Each ``check_<name>(student_function)`` runs the student's function on cases
that can fail (closed forms, reference values, properties), prints one row
per case (its name, the expected and the received value, PASS or FAIL) and
returns a :class:`CheckResult`. A function that raises is a failed case
showing the exception's type and message, never a traceback. The checks use
``keras.ops`` and numpy only, so they run on the TensorFlow and JAX backends.
Beside fixed reference cases each check draws cases at random from its
``seed`` (``None``: drawn from numpy's global generator; printed, so that
``check_<name>(fn, seed=...)`` repeats them); the losses and the penalties
are also differentiated, their gradients compared with closed forms.

One module per notebook holds its checks:

* ``distances`` (01): :func:`check_parallel_lines_distances`, :func:`check_js`,
  :func:`check_optimal_discriminator`, :func:`check_gan_value`;
* ``wgan`` (02): :func:`check_critic_loss`, :func:`check_generator_loss`,
  :func:`check_clip`, :func:`check_critic_update` (a whole critic iteration,
  against the library's own);
* ``wgan_gp`` (03): :func:`check_interpolate`, :func:`check_penalty`,
  :func:`check_one_sided_penalty`;
* ``experiments`` (04): :func:`check_median_filter`, :func:`check_wasserstein_1d`;
* ``modes`` (05): :func:`check_modes_captured`, :func:`check_reverse_kl`.

``solutions`` holds the reference solutions a notebook fills in with
``solutions=True``. :func:`summary` closes a notebook. (The deliberately
wrong answers the tests feed the checks are in the repository's
``tests/wrong_answers.py``, not in the package.)
"""

from wgan_keras.exercises import solutions
from wgan_keras.exercises.distances import (
    check_gan_value,
    check_js,
    check_optimal_discriminator,
    check_parallel_lines_distances,
)
from wgan_keras.exercises.experiments import check_median_filter, check_wasserstein_1d
from wgan_keras.exercises.harness import Case, CheckResult, summary
from wgan_keras.exercises.modes import check_modes_captured, check_reverse_kl
from wgan_keras.exercises.wgan import check_clip, check_critic_loss, check_critic_update, check_generator_loss
from wgan_keras.exercises.wgan_gp import check_interpolate, check_one_sided_penalty, check_penalty

#: Each check and the reference solution it is run on, by the solution's name.
CHECKS = {
    "parallel_lines_distances": check_parallel_lines_distances,
    "js": check_js,
    "optimal_discriminator": check_optimal_discriminator,
    "gan_value": check_gan_value,
    "critic_loss": check_critic_loss,
    "generator_loss": check_generator_loss,
    "clip": check_clip,
    "critic_update": check_critic_update,
    "interpolate": check_interpolate,
    "penalty": check_penalty,
    "one_sided_penalty": check_one_sided_penalty,
    "median_filter": check_median_filter,
    "wasserstein_1d": check_wasserstein_1d,
    "modes_captured": check_modes_captured,
    "reverse_kl": check_reverse_kl,
}

__all__ = ["CHECKS", "Case", "CheckResult", "solutions", "summary"]
__all__ += sorted(f"check_{name}" for name in CHECKS)
