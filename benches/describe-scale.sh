#!/usr/bin/env bash
# `kddstat describe` at 1x, 10x and 100x KDDTrain+ (copies written to a temporary folder, 19 MB,
# 191 MB and 1.9 GB), beside Polars' streaming engine on the same files and pandas at 1x; prints
# the best wall time of RUNS runs, the peak RSS and the ratios. Needs a release build, GNU time
# and python3 with polars and pandas (PYTHON=/path/to/python).
#   KDDSTAT_DATA=../shared/datasets/nsl-kdd bash benches/describe-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data="${KDDSTAT_DATA:?set KDDSTAT_DATA to the folder of the NSL-KDD files}"
python="${PYTHON:-python3}"
runs="${RUNS:-3}"
sizes="${SIZES:-1 10 100}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
work="$(mktemp -d "${TMPDIR:-/tmp}/kddstat-scale.XXXXXX")"
trap 'rm -rf "$work"' EXIT
measure() { # command...: "best-seconds peak-MB" over $runs runs
    local best="" rss=""
    for _ in $(seq "$runs"); do
        local t0 t1 t
        t0=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
        rss=$(( $(cat "$work/rss") / 1024 ))
    done
    echo "$best $rss"
}
printf '%-5s %-28s %-28s %s\n' size "kddstat describe" "polars streaming" "ratio"
k1=""
for n in $sizes; do
    f="$work/x$n.txt"
    for _ in $(seq "$n"); do cat "$data/KDDTrain+.txt"; done > "$f"
    read -r kt km <<<"$(measure "$bin" describe --format json "$f")"
    read -r pt pm <<<"$(measure "$python" benches/describe_polars.py polars "$f")"
    [ -n "$k1" ] || k1=$kt
    printf '%-5s %7.2f s %6d MB (%5.1fx 1x)  %7.2f s %6d MB           %5.1fx\n' \
        "${n}x" "$kt" "$km" "$(echo "$kt / $k1" | bc -l)" "$pt" "$pm" "$(echo "$pt / $kt" | bc -l)"
    if [ "$n" = 1 ]; then
        read -r dt dm <<<"$(measure "$python" benches/describe_polars.py pandas "$f")"
        printf '      pandas read_csv + describe at 1x: %.2f s %d MB: kddstat %.1fx faster\n' \
            "$dt" "$dm" "$(echo "$dt / $kt" | bc -l)"
    fi
    [ "$n" = 1 ] || rm -f "$f"
done
