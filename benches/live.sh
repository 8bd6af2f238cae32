#!/usr/bin/env bash
# `kddstat live --replay X --speed 0` with a GMM model scoring and explaining every record, beside
# `kddstat pcap X -o` and `tshark -r X -q -z conv,tcp` on the same capture, for two captures of
# about 1 M packets: zeek-echo-connections.pcap.gz repeated 13 times (1,073,566 packets, 89 MB,
# few long connections; benches/big_capture.py) and a generated one (1,039,109 packets, 200,000
# connections of every kind; examples/gen_traffic.rs); then the peak memory of live over a
# 10 M-packet generated stream of 2,000,000 connections. Wall time (median of 3) and peak RSS of
# each whole process. Needs a release build, GNU time, tshark, $KDDSTAT_PCAPS and the NSL-KDD
# files in $KDDSTAT_DATA (for the model).
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
compare() { # capture
    echo "== $1: $(stat -c %s "$1" | numfmt --to=si)B"
    run "kddstat pcap -o records.csv" "$bin" pcap -q --force -o "$work/b.csv" "$1"
    run "kddstat live --replay --speed 0 --records" "$bin" live -q --force --replay "$1" --speed 0 --records "$work/l.csv"
    run "kddstat live ... --model gmm, every record scored+explained" "$bin" live -q --force --replay "$1" --speed 0 --records "$work/l.csv" --model "$work/gmm.json" --threshold -1e300 --alerts "$work/a.jsonl"
    cmp "$work/b.csv" "$work/l.csv" && echo "records: live = pcap, $(wc -l < "$work/b.csv") records, $(wc -l < "$work/a.jsonl") alerts"
    if command -v tshark >/dev/null; then
        run "tshark -r X -q -z conv,tcp" tshark -r "$1" -q -z conv,tcp
    fi
}
python3 benches/big_capture.py "$KDDSTAT_PCAPS/zeek-echo-connections.pcap.gz" "$work/echo.pcap" 13
compare "$work/echo.pcap"
rm -f "$work/echo.pcap"
"$gen" "$work/cap.pcap" "$conns" 2000
compare "$work/cap.pcap"
rm -f "$work/cap.pcap"
"$gen" "$work/big.pcap" "$big" 5000
run "kddstat live --replay big --speed 0 --records (memory)" "$bin" live -q --force --replay "$work/big.pcap" --speed 0 --records "$work/big.csv"
run "kddstat live --replay big ... --model gmm --alerts (memory)" "$bin" live -q --force --replay "$work/big.pcap" --speed 0 --records "$work/big.csv" --model "$work/gmm.json" --alerts "$work/big.jsonl"
echo "big: $(wc -l < "$work/big.csv") records"
