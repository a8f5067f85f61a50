#!/usr/bin/env bash
# Create benchmarks/.venv-paa with pyAudioAnalysis 0.3.14 and the packages it
# imports (its wheel declares none).  Kept apart from the project venv so its
# dependencies never touch earmark's.  Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-paa"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
    pyAudioAnalysis==0.3.14 numpy scipy matplotlib scikit-learn imbalanced-learn plotly eyed3 pydub tqdm
"$venv/bin/python" -c "from pyAudioAnalysis import audioTrainTest; print('pyAudioAnalysis ready in $venv')"
