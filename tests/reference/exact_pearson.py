"""Pearson's r of every pair of numeric features of an NSL-KDD file, computed exactly: every value
as an integer (rates in hundredths), the sums in Python's integers, the quotient with 60 decimal
digits, then rounded once to the nearest double. Writes tests/reference/exact-pearson-<file>.json
({"a|b": r}), which tests/real_data.rs compares with kddstat's figures (in ulps).

    python3 tests/reference/exact_pearson.py datasets/KDDTest+.txt
"""

import csv
import json
import os
import sys
from decimal import Decimal, getcontext

getcontext().prec = 60
NAMES = """duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot
num_failed_logins logged_in num_compromised root_shell su_attempted num_root num_file_creations
num_shells num_access_files num_outbound_cmds is_host_login is_guest_login count srv_count
serror_rate srv_serror_rate rerror_rate srv_rerror_rate same_srv_rate diff_srv_rate
srv_diff_host_rate dst_host_count dst_host_srv_count dst_host_same_srv_rate dst_host_diff_srv_rate
dst_host_same_src_port_rate dst_host_srv_diff_host_rate dst_host_serror_rate
dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate""".split()
TEXT = {"protocol_type", "service", "flag"}


def hundredths(v: str) -> int:
    whole, _, frac = v.partition(".")
    frac = (frac + "00")[:2]
    assert len(v.partition(".")[2]) <= 2, v
    return int(whole) * 100 + int(frac)


def main(path: str) -> None:
    numeric = [(i, n) for i, n in enumerate(NAMES) if n not in TEXT]
    cols = {n: [] for _, n in numeric}
    with open(path) as f:
        for row in csv.reader(f):
            for i, n in numeric:
                cols[n].append(hundredths(row[i]))
    count = len(cols["duration"])
    sums = {n: sum(c) for n, c in cols.items()}
    squares = {n: count * sum(v * v for v in c) - sums[n] ** 2 for n, c in cols.items()}
    out = {}
    keys = list(cols)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            den = squares[a] * squares[b]
            if den == 0:
                continue
            num = count * sum(x * y for x, y in zip(cols[a], cols[b])) - sums[a] * sums[b]
            out[f"{a}|{b}"] = float(Decimal(num) / Decimal(den).sqrt())
    name = os.path.basename(path).removesuffix(".txt")
    target = os.path.join(os.path.dirname(__file__), f"exact-pearson-{name}.json")
    with open(target, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
