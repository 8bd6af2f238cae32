#!/usr/bin/env bash
# The README's tuning table: for seeds 1-5, `kddstat tune` (default settings) on KDDTrain+, then
# the chosen model's ROC AUC on KDDTest+ and KDDTest-21; the same for the default ensemble and a
# single GMM; mean and standard deviation (ddof 1) of each.
#   KDDSTAT_DATA=../shared/datasets/nsl-kdd bash benches/tune-seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KDDSTAT_DATA:?set KDDSTAT_DATA to the folder of the NSL-KDD files}"
bin="${CARGO_TARGET_DIR:-target}/release/kddstat"
[ -x "$bin" ] || cargo build --release
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
aucs() { python3 -c 'import json,sys; e=json.load(sys.stdin); print(" ".join(str(t["roc_auc"]["overall"]) for t in e["detectors"][0]["tests"]))'; }
for s in 1 2 3 4 5; do
    "$bin" tune -q --seed "$s" -o "$out/t$s.json" --format json > "$out/v$s.json"
    echo "tuned $s $("$bin" evaluate -q --model "$out/t$s.json" --format json | aucs) $(python3 -c "import json; t=json.load(open('$out/v$s.json')); c=t['candidates'][t['chosen']]['parameters']; print('components=%s,reg_covar=%s,transform=%s' % (c['components'], c['reg_covar'], c['transform']))")"
    echo "ensemble $s $("$bin" evaluate -q --detectors ensemble --seed "$s" --format json | aucs)"
    echo "gmm $s $("$bin" evaluate -q --detectors gmm --seed "$s" --format json | aucs)"
    echo "gmm-quantile-seeds3 $s $("$bin" evaluate -q --detectors gmm --transform quantile --seeds 3 --seed "$s" --format json | aucs)"
done | tee "$out/all.txt"
python3 - "$out/all.txt" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    rows.setdefault(p[0], []).append((float(p[2]), float(p[3])))
print("| variant | KDDTest+ mean ± sd | KDDTest-21 mean ± sd |")
print("| --- | ---: | ---: |")
for k, v in rows.items():
    a = [x[0] for x in v]; b = [x[1] for x in v]
    print(f"| {k} | {statistics.mean(a):.4f} ± {statistics.stdev(a):.4f} | {statistics.mean(b):.4f} ± {statistics.stdev(b):.4f} |")
PY
