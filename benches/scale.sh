#!/usr/bin/env bash
# Every streamed command at 1x, 10x and 100x KDDTrain+ (copies written to a temporary folder):
# wall time and peak RSS of one run each, as in the README's "At scale" table. Needs a release
# build and GNU time.
#   KDDSTAT_DATA=../shared/datasets/nsl-kdd bash benches/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data="${KDDSTAT_DATA:?set KDDSTAT_DATA to the folder of the NSL-KDD files}"
sizes="${SIZES:-1 10 100}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
work="$(mktemp -d "${TMPDIR:-/tmp}/kddstat-scale.XXXXXX")"
trap 'rm -rf "$work"' EXIT
run() { # label, command...
    local label="$1"; shift
    /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    read -r s kb <"$work/t"
    printf '%-4s %-34s %8.2f s %6d MB\n' "$n"x "$label" "$s" $((kb / 1024))
}
"$bin" fit --detectors gmm --train "$data/KDDTrain+.txt" -o "$work/gmm.json" -q
for n in $sizes; do
    f="$work/x$n.txt"
    for _ in $(seq "$n"); do cat "$data/KDDTrain+.txt"; done >"$f"
    run "describe" "$bin" describe --format json "$f"
    run "describe --by category" "$bin" describe --by category --format json "$f"
    run "compare (test: KDDTest+)" "$bin" compare --train "$f" --test "$data/KDDTest+.txt" --format json
    for d in zscore kmeans gmm iforest; do
        run "fit --detectors $d" "$bin" fit --detectors "$d" --train "$f" -o "$work/m.json" --force -q
    done
    run "fit --classifier tree" "$bin" fit --classifier tree --train "$f" -o "$work/m.json" --force -q
    run "score (gmm) -o FILE" "$bin" score --model "$work/gmm.json" "$f" -o "$work/s.csv" --force
    run "stats" "$bin" stats --format json "$f"
    run "clean --drop-duplicates -o FILE" "$bin" clean "$f" --drop-duplicates -o "$work/c.csv" --force -q
    run "report --no-detectors (test: KDDTest+)" "$bin" report --no-detectors --train "$f" \
        --test "$data/KDDTest+.txt" -o "$work/report" --force -q
    rm -rf "$f" "$work/s.csv" "$work/c.csv" "$work/report"
done
