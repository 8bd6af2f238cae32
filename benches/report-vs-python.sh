#!/usr/bin/env bash
# `kddstat report` beside the notebook way (benches/pipeline.py: pandas + scikit-learn +
# matplotlib), whole process, on the three NSL-KDD files; prints both times, peak memory and the
# ratio. Needs a release build and python3 with pandas, scikit-learn, scipy and matplotlib
# (PYTHON=/path/to/python to choose one).
#   KDDSTAT_DATA=../shared/datasets/nsl-kdd bash benches/report-vs-python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data="${KDDSTAT_DATA:?set KDDSTAT_DATA to the folder of the NSL-KDD files}"
python="${PYTHON:-python3}"
runs="${RUNS:-3}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
measure() { # name, command...: best wall time of $runs runs and the peak RSS of the last
    local name="$1"; shift
    local best="" rss=""
    for _ in $(seq "$runs"); do
        rm -rf "$out/r"
        local t0 t1
        t0=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$out/rss" "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        local t; t=$(echo "$t1 - $t0" | bc)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
        rss=$(cat "$out/rss")
    done
    printf '%-8s %6.2f s  %5d MB peak\n' "$name" "$best" $((rss / 1024)) >&2
    echo "$best"
}
k=$(measure kddstat "$bin" report --quiet --train "$data/KDDTrain+.txt" --test "$data/KDDTest+.txt" --test "$data/KDDTest-21.txt" -o "$out/r")
p=$(measure python "$python" benches/pipeline.py "$data" "$out/r")
printf 'kddstat report is %.1fx faster than pipeline.py\n' "$(echo "$p / $k" | bc -l)"
