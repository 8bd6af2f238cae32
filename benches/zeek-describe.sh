#!/usr/bin/env bash
# `kddstat describe` of a generated Zeek conn.log (N lines, 10,000,000 by default, about 1.6 GB;
# benches/zeek_log.py) beside pandas `read_csv(sep="\t", comment="#")` + `describe()` of the same
# file: wall time and peak RSS of each whole process. Needs a release build, GNU time and python3
# with pandas (PYTHON=/path/to/python).
#   bash benches/zeek-describe.sh            LINES=1000000 bash benches/zeek-describe.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
lines="${LINES:-10000000}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
work="$(mktemp -d "${TMPDIR:-/tmp}/kddstat-zeek.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$python" benches/zeek_log.py "$lines" > "$work/conn.log"
echo "conn.log: $lines connections, $(( $(stat -c %s "$work/conn.log") / 1000000 )) MB"
run() { # label command...
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss" "${@:2}" >/dev/null
    t1=$(date +%s.%N)
    printf '%-22s %8.2f s %7d MB\n' "$1" "$(echo "$t1 - $t0" | bc)" "$(( $(cat "$work/rss") / 1024 ))"
}
run "kddstat describe" "$bin" describe --format json "$work/conn.log"
run "pandas read+describe" "$python" -c '
import sys, pandas as pd
df = pd.read_csv(sys.argv[1], sep="\t", comment="#", header=None, low_memory=False)
df.describe(include="all")
' "$work/conn.log"
