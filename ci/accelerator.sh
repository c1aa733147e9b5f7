#!/usr/bin/env bash
# The GPU benchmark, in one command, for a machine with one GPU and JAX but no
# TensorFlow and no network (the lent H200s): the benchmark cases at the
# papers' batch sizes (toy 3x512 MLPs batch 256, DCGAN 28x28 and 32x32 batch
# 64, WGAN-GP's CIFAR-10 ResNet batch 64) on the JAX backend, with images/s
# and the fraction of the GPU's measured bf16 and fp32 matmul rates, then the
# paper-scale toy run (gan_toy.py's WGAN-GP on 8 and 25 Gaussians) with its
# mode coverage and exact W1. It stops within 8 minutes and writes
# accelerator.json and accelerator.md into OUT.
#
#     bash ci/accelerator.sh OUT            # on the GPU machine
#     bash ci/accelerator.sh OUT --tiny     # the same path with tiny settings (a CPU check)
#
# Keras and the two small packages it needs that the machine lacks travel as
# wheels in .whl/ (see the README's "On a GPU" section); they are installed
# into /tmp/site when present.
set -euo pipefail
out=${1:?usage: bash ci/accelerator.sh OUT_DIR [--tiny]}
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
python3 -c "import jax; print('devices:', jax.devices())"
if [ "${2:-}" = "--tiny" ]; then
    settings=(--iterations 8 --short-calls 2 --spe 2 --warmup 1 --repeats 1 --toy-iterations 40 --cases toy_wgan_gp dcgan32_wgan_gp)
    limit=1800
else
    settings=(--iterations 200 --short-calls 4 --spe 5 --warmup 5 --repeats 3 --seconds 20 --toy-iterations 20000 --toy-seconds 100)
    limit=480
fi
timeout "$limit" python3 -m benchmarks --accelerator --backends jax --out "$out" "${settings[@]}"
