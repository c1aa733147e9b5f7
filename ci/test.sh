#!/usr/bin/env bash
# The project's test command (the README's): unit tests, then every notebook
# executed with small parameters by papermill and re-checked by nbval.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=agg PYTHONHASHSEED=0 KERAS_BACKEND=tensorflow
python -m pytest tests -q -p no:cacheprovider
python ci/notebooks.py smoke
