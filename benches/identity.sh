#!/usr/bin/env bash
# Byte-identity of kddstat's outputs against a previous release: the describe, stats and evaluate
# JSON of the three NSL-KDD files (and their terminal, Markdown and CSV forms), a model file per
# detector and classifier, and the report folder of the main job, made by both binaries and
# compared byte for byte. Where a file differs, the
# JSON numbers that differ are counted with their largest difference (so a change of the last
# bits is told apart from a change of meaning).
#
#   benches/identity.sh OLD_REV [NEW_BIN]
#
# OLD_REV (a commit) is built in a worktree into ~/.cache/kddstat/identity-target (about 7 minutes
# the first time); NEW_BIN defaults to target/release/kddstat (built here). Needs KDDSTAT_DATA (the
# NSL-KDD folder) and python3. OLD_BIN=path skips the build (a binary already built from OLD_REV). Prints one line per output and a total; exits 1 when any differs.
set -euo pipefail

old_rev=${1:?usage: benches/identity.sh OLD_REV [NEW_BIN]}
here=$(cd "$(dirname "$0")/.." && pwd)
data=${KDDSTAT_DATA:?set KDDSTAT_DATA to the NSL-KDD folder}
cache=${HOME}/.cache/kddstat
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/old-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

old_bin=${OLD_BIN:-}
if [ -z "$old_bin" ]; then
    git -C "$here" worktree add --detach "$work/old-src" "$old_rev" >/dev/null 2>&1
    (cd "$work/old-src" && CARGO_TARGET_DIR="$cache/identity-target" cargo build --release -q)
    old_bin="$cache/identity-target/release/kddstat"
fi
new_bin=${2:-}
if [ -z "$new_bin" ]; then
    (cd "$here" && cargo build --release -q)
    new_bin="${CARGO_TARGET_DIR:-$here/target}/release/kddstat"
fi

files=(KDDTrain+.txt KDDTest+.txt KDDTest-21.txt)
detectors=(zscore kmeans gmm iforest ensemble)
classifiers=(tree forest bayes logistic)

outputs() {
    local bin=$1 out=$2
    mkdir -p "$out"
    for f in "${files[@]}"; do
        "$bin" describe "$data/$f" --format json > "$out/describe-$f.json"
        "$bin" describe "$data/$f" --by category --format json > "$out/describe-by-$f.json"
        "$bin" stats "$data/$f" --format json > "$out/stats-$f.json"
    done
    for fmt in table markdown csv; do
        "$bin" describe "$data/KDDTest+.txt" --by category --format "$fmt" > "$out/describe.$fmt"
        "$bin" stats "$data/KDDTest+.txt" --format "$fmt" > "$out/stats.$fmt"
        "$bin" compare --train "$data/KDDTrain+.txt" --test "$data/KDDTest+.txt" \
            --format "$fmt" > "$out/compare.$fmt"
    done
    for d in "${detectors[@]}"; do
        "$bin" fit --train "$data/KDDTrain+.txt" --detectors "$d" -o "$out/model-$d.json" -q
    done
    for c in "${classifiers[@]}"; do
        "$bin" fit --train "$data/KDDTrain+.txt" --classifier "$c" -o "$out/model-$c.json" -q
    done
    "$bin" evaluate --train "$data/KDDTrain+.txt" --test "$data/KDDTest+.txt" \
        --test "$data/KDDTest-21.txt" --detectors zscore,kmeans,gmm,iforest \
        --classifiers tree,forest,bayes,logistic --format json -q > "$out/evaluate.json"
    "$bin" evaluate --train "$data/KDDTrain+.txt" --test "$data/KDDTest+.txt" \
        --detectors zscore,gmm --classifiers tree --format table -q > "$out/evaluate.table"
    (cd "$out" && KDDSTAT_DATA="$data" "$bin" report -o report --force -q)
}

outputs "$old_bin" "$work/old"
outputs "$(realpath "$new_bin")" "$work/new"

python3 - "$work/old" "$work/new" <<'EOF'
import json, math, os, sys

old, new = sys.argv[1], sys.argv[2]

def numbers(a, b, path="", out=None):
    """(path, old, new) of every number that differs; structure changes as None."""
    if out is None:
        out = []
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            numbers(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            numbers(x, y, f"{path}[{i}]", out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if a != b:
            out.append((path, a, b))
    elif a != b:
        out.append((path, None, None))
    return out

differ = 0
names = []
for root, _, fs in os.walk(old):
    names += [os.path.relpath(os.path.join(root, f), old) for f in fs]
for name in sorted(names):
    a = open(os.path.join(old, name), "rb").read()
    try:
        b = open(os.path.join(new, name), "rb").read()
    except FileNotFoundError:
        print(f"MISSING  {name}")
        differ += 1
        continue
    if a == b:
        print(f"same     {name}")
        continue
    differ += 1
    line = f"DIFFERS  {name}"
    if name.endswith(".json"):
        try:
            d = numbers(json.loads(a), json.loads(b))
            structural = [p for p, x, _ in d if x is None]
            nums = [(p, x, y) for p, x, y in d if x is not None]
            biggest = max((abs(x - y) for _, x, y in nums if math.isfinite(x) and math.isfinite(y)), default=0)
            line += f": {len(nums)} numbers differ (largest difference {biggest:.3g}), {len(structural)} other values"
            if structural:
                line += f" (first at {structural[0]})"
        except ValueError:
            pass
    print(line)
print(f"{len(names) - differ} of {len(names)} outputs byte-identical")
sys.exit(1 if differ else 0)
EOF
