#!/usr/bin/env bash
# `kddstat live --replay X --speed 0` with a GMM model scoring and explaining every record, beside
# `kddstat pcap X -o` and `tshark -r X -q -z conv,tcp` on the same generated capture (about 1 M
# packets, 200,000 connections); then the peak memory of live over a 10 M-packet stream of
# 2,000,000 connections. Wall time (median of 3) and peak RSS of each whole process. Needs a
# release build, GNU time, tshark, and the NSL-KDD files in $KDDSTAT_DATA (for the model).
#   bash benches/live.sh        CONNECTIONS=200000 BIG=2000000 bash benches/live.sh
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${CONNECTIONS:-200000}"
big="${BIG:-2000000}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q --example gen_traffic
bin="$target/release/kddstat"
gen="$target/release/examples/gen_traffic"
work="$(mktemp -d "${TMPDIR:-/tmp}/kddstat-live.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$gen" "$work/cap.pcap" "$conns" 2000
"$bin" fit --detectors gmm --sample 20000 --seed 7 -q -o "$work/gmm.json" "$KDDSTAT_DATA/KDDTrain+.txt"
run() { # label command... : median wall time of 3 runs, peak RSS of the last
    local times=() t0 t1
    for _ in 1 2 3; do
        t0=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$work/rss" "${@:2}" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
    printf '%-58s %7.2f s %6d MB\n' "$1" "$median" "$(( $(cat "$work/rss") / 1024 ))"
}
run "kddstat pcap -o records.csv" "$bin" pcap -q --force -o "$work/b.csv" "$work/cap.pcap"
run "kddstat live --replay --speed 0 --records" "$bin" live -q --force --replay "$work/cap.pcap" --speed 0 --records "$work/l.csv"
run "kddstat live ... --model gmm, every record scored+explained" "$bin" live -q --force --replay "$work/cap.pcap" --speed 0 --records "$work/l.csv" --model "$work/gmm.json" --threshold -1e300 --alerts "$work/a.jsonl"
cmp "$work/b.csv" "$work/l.csv" && echo "records: live = pcap, $(wc -l < "$work/b.csv") records, $(wc -l < "$work/a.jsonl") alerts"
if command -v tshark >/dev/null; then
    run "tshark -r X -q -z conv,tcp" tshark -r "$work/cap.pcap" -q -z conv,tcp
fi
"$gen" "$work/big.pcap" "$big" 5000
run "kddstat live --replay big --speed 0 --records (memory)" "$bin" live -q --force --replay "$work/big.pcap" --speed 0 --records "$work/big.csv"
run "kddstat live --replay big ... --model gmm --alerts (memory)" "$bin" live -q --force --replay "$work/big.pcap" --speed 0 --records "$work/big.csv" --model "$work/gmm.json" --alerts "$work/big.jsonl"
echo "big: $(wc -l < "$work/big.csv") records"
