"""Where notebooks and the CLI write figures and tables.

``outputs_dir()`` is ``$WGAN_KERAS_OUTPUTS`` when it is set, else
``outputs/local`` in the checkout that holds this package (a folder git
ignores), else ``./outputs/local``. So a notebook tried with small
parameters never replaces the committed figures: only
``python ci/notebooks.py regenerate`` points ``WGAN_KERAS_OUTPUTS`` at
``outputs/``, and CI's smoke runs point it at a temporary folder. Notebooks
use it instead of relative paths, because papermill and nbval run kernels in
different working directories.
"""

import os


def project_root():
    """The checkout containing this package, or ``None`` for an installed copy."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return root if os.path.isdir(os.path.join(root, "notebooks")) else None


def outputs_dir(*parts, create=True):
    """``<outputs>/<parts...>`` (see the module docstring); created unless ``create=False``."""
    base = os.environ.get("WGAN_KERAS_OUTPUTS") or os.path.join(project_root() or os.getcwd(), "outputs", "local")
    path = os.path.join(base, *parts)
    if create:
        os.makedirs(path, exist_ok=True)
    return path
