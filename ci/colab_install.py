"""Check that the notebooks' Colab install cell changes nothing Colab already has.

    python ci/colab_install.py dist/wgan_keras-X-py3-none-any.whl

Run it with the Python of an environment that holds Colab's set
(ci/constraints/colab.txt). It reads the requirement every notebook's install
cell passes to pip (``wgan_keras @ git+<repository>``: the cells must agree),
replaces the repository by the built wheel (CI cannot reach the repository;
the wheel declares the same dependencies), asks pip what that install would
do (``pip install --dry-run --report``) and fails if it would install, upgrade
or downgrade TensorFlow, Keras, JAX, jaxlib or numpy. It prints everything
pip would install.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTECTED = {"tensorflow", "keras", "jax", "jaxlib", "numpy"}
REQUIREMENT = re.compile(r"wgan_keras @ git\+https://[^\"'\s]+")


def install_requirements():
    """``{notebook: requirement}`` for every notebook with a Colab install cell."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "notebooks", "**", "*.ipynb"), recursive=True)):
        with open(path) as handle:
            cells = json.load(handle)["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "pip" in source and "google.colab" in source:
                match = REQUIREMENT.search(source)
                if match:
                    found[os.path.relpath(path, ROOT)] = match.group(0)
    return found


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def main(wheel):
    requirements = install_requirements()
    if not requirements:
        sys.exit("error: no notebook has a Colab install cell naming 'wgan_keras @ git+https://...'.")
    if len(set(requirements.values())) != 1:
        sys.exit(f"error: the notebooks' install cells disagree: {requirements}")
    requirement = next(iter(requirements.values()))
    local = f"wgan_keras @ file://{os.path.abspath(wheel)}"
    print(f"{len(requirements)} notebooks install {requirement!r}; dry run with {local!r}")
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        command = [sys.executable, "-m", "pip", "install", "-q", "--dry-run", "--report", report, local]
        subprocess.run(command, check=True)
        with open(report) as handle:
            install = json.load(handle)["install"]
    planned = {normalise(item["metadata"]["name"]): item["metadata"]["version"] for item in install}
    print("pip would install: " + ", ".join(f"{name} {version}" for name, version in sorted(planned.items())))
    touched = sorted(PROTECTED & set(planned))
    if touched:
        sys.exit(
            "error: the Colab install cell would replace what Colab has: "
            + ", ".join(f"{name} -> {planned[name]}" for name in touched)
        )
    print("the install cell changes none of " + ", ".join(sorted(PROTECTED)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
