#!/usr/bin/env bash
# The release artefact, tested as users install it, at both ends of the
# version ranges. Run inside the environment of requirements.txt:
#
#   bash ci/release.sh              # build, check, then the lowest and the Colab set
#   bash ci/release.sh colab        # build, check, then one set
#
# 1. `python -m build` makes the wheel and the sdist into dist/ and
#    `twine check --strict` checks their metadata and README.
# 2. For each set in ci/constraints/ (lowest.txt: the lower bounds; colab.txt:
#    Google Colab's versions), a fresh environment on the set's Python (its
#    "# python:" line) installs the BUILT WHEEL with its extras under the set's
#    constraints. For Colab's set it first installs the set alone, as Colab has
#    it, and checks that the notebooks' install cell changes none of
#    TensorFlow, Keras, JAX or numpy (ci/colab_install.py).
# 3. From a folder outside the checkout, with copies of the tests and of one
#    notebook (nothing is imported from the checkout; the run checks that):
#    `wgan-keras --version`, a short main job on TensorFlow and on JAX,
#    `import wgan_keras.exercises`, notebook 01 by papermill with its smoke
#    parameters, and the release subset of the unit tests on both backends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
stamp() { echo "== release: $1 ($(( $(date +%s) - started )) s)"; }
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(lowest colab)

# The release subset, by test (pytest refuses a name that no longer exists):
# the losses and the penalty, Algorithm 1 to the letter (a fresh real batch per
# critic update, clipping of every critic variable, the warm-up, U[0, 1]
# interpolation weights, the penalty's second-order gradient compiled), the
# papers' optimizers, a short run that learns, seeding, the divergence stop,
# determinism across processes, save / load / resume, and (once, it runs both
# backends itself) a .keras file moved between the backends.
subset=(
    tests/test_losses.py
    tests/test_models.py::test_each_critic_update_gets_a_fresh_real_batch
    tests/test_models.py::test_wgan_clips_every_critic_variable_biases_included
    tests/test_models.py::test_wgan_official_warmup_schedule
    tests/test_models.py::test_the_model_draws_interpolation_weights_uniform_per_sample
    tests/test_models.py::test_tensorflow_penalty_second_order_gradient_is_the_same_under_xla
    tests/test_models.py::test_jax_penalty_second_order_gradient_is_the_same_jitted_and_eager
    tests/test_models.py::test_paper_optimizers_by_default
    tests/test_models.py::test_a_short_wgan_gp_run_brings_samples_closer_to_8_gaussians
    tests/test_models.py::test_generate_is_seeded_and_does_not_touch_the_training_stream
    tests/test_models.py::test_divergence_stops_with_the_loss_name_and_step
    tests/test_reproducibility.py::test_same_seed_in_two_processes_gives_identical_histories
    tests/test_reproducibility.py::test_save_load_resume_equals_uninterrupted_training
    tests/test_keras_ecosystem.py::test_backup_and_restore_resumes_to_the_uninterrupted_result
)
across_backends=(tests/test_portability.py)

rm -rf dist
build_log=$(mktemp)
python -m build --outdir dist . >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
python -m twine check --strict dist/*
wheel=$(ls "$root"/dist/wgan_keras-*-py3-none-any.whl)
stamp "built $(basename "$wheel") and the sdist; twine check passed"

find_python() {  # the interpreter of a given version, from PATH or pyenv
    local version=$1 candidate
    for candidate in "python$version" "$(pyenv root 2>/dev/null || echo /root/.pyenv)/versions/$version".*/bin/"python$version"; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import venv, ensurepip" 2>/dev/null; then
            command -v "$candidate"
            return
        fi
    done
    return 1
}

for set in "${sets[@]}"; do
    constraints=$root/ci/constraints/$set.txt
    version=$(sed -n 's/^# python: *//p' "$constraints")
    interpreter=$(find_python "$version") || {
        # CI's machines have it; elsewhere the set is skipped, saying so.
        if [ -n "${CI:-}" ]; then
            echo "error: the $set set needs Python $version, which this machine does not have." >&2
            exit 1
        fi
        echo "the $set set needs Python $version, which this machine does not have: skipped." >&2
        continue
    }
    env=$root/.venv-release-$set
    rm -rf "$env"
    "$interpreter" -m venv "$env"
    py=$env/bin/python
    "$py" -m pip install -q --upgrade pip
    if [ "$set" = colab ]; then
        # Colab's runtime as it is, then the notebooks' install cell, dry-run.
        "$py" -m pip install -q -r "$constraints"
        "$py" ci/colab_install.py "$wheel"
    fi
    "$py" -m pip install -q "wgan_keras[tensorflow,jax] @ file://$wheel" pytest pytest-xdist papermill ipykernel -c "$constraints"
    stamp "$set set on Python $("$py" -c 'import platform; print(platform.python_version())'): $("$py" -m pip list 2>/dev/null | grep -iE '^(keras|tensorflow|jax|numpy) ' | tr -s ' ' | tr '\n' ';')"

    work=$(mktemp -d)
    cp -r tests "$work/tests"
    cp notebooks/01_distances.ipynb "$work/"
    (
        cd "$work"
        export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=agg PYTHONHASHSEED=0 WGAN_KERAS_OUTPUTS="$work/outputs"
        "$py" - "$root" <<'PY'
import os, sys
import wgan_keras
source = os.path.join(os.path.realpath(sys.argv[1]), "wgan_keras")
where = os.path.realpath(wgan_keras.__file__)
assert "site-packages" in where and not where.startswith(source), f"wgan_keras was imported from {where}"
print("wgan_keras", wgan_keras.__version__, "from", os.path.dirname(where))
PY
        "$env/bin/wgan-keras" --version
        for backend in tensorflow jax; do
            # As a user runs it: TF_CPP_MIN_LOG_LEVEL unset, so the command itself must hide TensorFlow's C++ lines.
            env -u TF_CPP_MIN_LOG_LEVEL "$env/bin/wgan-keras" --backend "$backend" --epochs 1 --steps-per-epoch 20 \
                --hidden 64 --out "run-$backend" --verbose 0 >/dev/null 2>"stderr-$backend.txt"
            if [ -s "stderr-$backend.txt" ]; then
                echo "error: wgan-keras --backend $backend wrote to the standard error:" >&2
                cat "stderr-$backend.txt" >&2
                exit 1
            fi
            "$py" -c "import json, sys; m = json.load(open(sys.argv[1])); assert m['backend'] == sys.argv[2], m; print(sys.argv[2], 'main job: W1', round(m['w1'], 3), '(nothing on the standard error)')" "run-$backend/metrics.json" "$backend"
        done
        "$py" -c "import wgan_keras.exercises as e; print('wgan_keras.exercises:', len(e.__all__), 'names')"
        smoke=$("$py" -c "import json, sys; print(' '.join(f'-p {k} {v}' for k, v in json.load(open(sys.argv[1]))['01_distances.ipynb']['smoke'].items()))" "$root/ci/notebooks.json")
        # shellcheck disable=SC2086
        "$py" -m papermill 01_distances.ipynb 01_out.ipynb $smoke --no-progress-bar --log-level WARNING
        echo "notebook 01 ran with papermill"
        KERAS_BACKEND=tensorflow "$py" -m pytest "${subset[@]}" "${across_backends[@]}" -q -p no:cacheprovider -n 2 -W ignore::DeprecationWarning
        KERAS_BACKEND=jax "$py" -m pytest "${subset[@]}" -q -p no:cacheprovider -n 2 -W ignore::DeprecationWarning
    )
    rm -rf "$work"
    stamp "$set set passed"
done
