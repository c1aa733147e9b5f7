"""``keras.models.load_model`` finds the models after ``import wgan_keras``, whichever import loads Keras.

The package does not import Keras (the command line reads ``--backend``
first); its models register when Keras loads. Each case runs in a fresh
process, since Keras loads once per process.
"""

import subprocess
import sys

import numpy as np
import portable_job
import pytest
from conftest import ROOT, subprocess_env

#: How a user's program may start: the first import of Keras comes from the
#: user, from a package module, from a subpackage whose modules import it,
#: or from inside the models themselves.
FIRST_IMPORTS = {
    "keras_then_the_package": "import keras\nimport wgan_keras\n",
    "the_package_then_keras": "import wgan_keras\nimport keras\n",
    "a_package_module_loads_keras": "import wgan_keras.nets\nimport keras\n",
    "a_subpackage_loads_keras": "from wgan_keras import data\nimport keras\n",
    "a_model_module_loads_keras": "import wgan_keras.models.wgan_gp\nimport keras\n",
}

LOAD = """
import sys
import numpy as np
model = keras.models.load_model(sys.argv[1])
outputs = keras.ops.convert_to_numpy(model.generator(np.load(sys.argv[2]), training=False))
np.save(sys.argv[3], outputs)
print(type(model).__name__, int(model.n_critic))
print(any(type(finder).__module__ == "wgan_keras.registration" for finder in sys.meta_path))
"""


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A trained WGAN-GP (n_critic=2) saved, and its generator's output on the job's fixed noise."""
    folder = tmp_path_factory.mktemp("registration")
    portable_job.main("train", str(folder / "model.keras"), str(folder / "expected.npy"))
    np.save(folder / "noise.npy", portable_job.NOISE)
    return folder, np.load(folder / "expected.npy")


@pytest.mark.parametrize("first", list(FIRST_IMPORTS.values()), ids=list(FIRST_IMPORTS))
def test_a_saved_model_loads_whichever_import_loads_keras_first(saved_model, first):
    folder, expected = saved_model
    paths = [str(folder / name) for name in ("model.keras", "noise.npy", "out.npy")]
    result = subprocess.run(
        [sys.executable, "-c", first + LOAD, *paths],
        env=subprocess_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # The class is the package's, its setting survived, and the hook is gone once it has registered.
    assert result.stdout.split() == ["WGANGP", "2", "False"]
    np.testing.assert_allclose(np.load(folder / "out.npy"), expected, rtol=1e-6, atol=1e-6)


def test_importing_the_package_leaves_keras_and_its_backend_unloaded():
    """What lets ``python -m wgan_keras.train --backend X`` choose the backend after the package is imported."""
    program = (
        "import sys\nimport wgan_keras\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], env=subprocess_env(), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
