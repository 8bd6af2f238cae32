#!/usr/bin/env bash
# A random forest of 100 trees on KDDTrain+ (125,973 rows, 122 encoded columns): `kddstat fit
# --classifier forest` beside scikit-learn's RandomForestClassifier(n_jobs=1) on the same
# encoding, whole process, best of RUNS; prints both and the ratio. Also times the decision tree.
#   KDDSTAT_DATA=../shared/datasets/nsl-kdd PYTHON=python3 bash benches/forest-vs-sklearn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data="${KDDSTAT_DATA:?set KDDSTAT_DATA to the folder of the NSL-KDD files}"
python="${PYTHON:-python3}"
runs="${RUNS:-3}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
best() { # command...: the best wall time of $runs runs, in seconds
    local b=""
    for _ in $(seq "$runs"); do
        local t0 t1 t
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
tree=$(best "$bin" fit -q --classifier tree --train "$data/KDDTrain+.txt" -o "$out/tree.json" --force)
forest=$(best "$bin" fit -q --classifier forest --train "$data/KDDTrain+.txt" -o "$out/forest.json" --force)
sk=$(RUNS=1 best "$python" benches/sklearn_forest.py "$data")
printf 'kddstat fit --classifier tree:   %6.2f s (whole process)\n' "$tree"
printf 'kddstat fit --classifier forest: %6.2f s (whole process)\n' "$forest"
printf 'scikit-learn forest (n_jobs=1):  %6.2f s (whole process)\n' "$sk"
printf 'kddstat forest is %.1fx faster\n' "$(echo "$sk / $forest" | bc -l)"
