#!/usr/bin/env python3
"""Independent reference figures for `kddstat describe`, computed with pandas.

Usage: python3 pandas_describe.py DATA_DIR OUT_DIR

Writes OUT_DIR/<file>.json for KDDTrain+.txt, KDDTest+.txt and KDDTest-21.txt with the row count,
pandas' describe() / nunique() / zero fraction of every numeric column, value_counts() of the
categorical columns, and describe() per attack category. The JSON files are derived figures, not
data: the tests in tests/real_data.rs compare kddstat's output with them to a relative 1e-9.

The column names and the attack map are written out here on purpose, independently of the crate's
schema module, so that a mistake there cannot hide in both.
"""
import json
import os
import sys

import pandas as pd

NAMES = """duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot
num_failed_logins logged_in num_compromised root_shell su_attempted num_root num_file_creations
num_shells num_access_files num_outbound_cmds is_host_login is_guest_login count srv_count
serror_rate srv_serror_rate rerror_rate srv_rerror_rate same_srv_rate diff_srv_rate
srv_diff_host_rate dst_host_count dst_host_srv_count dst_host_same_srv_rate dst_host_diff_srv_rate
dst_host_same_src_port_rate dst_host_srv_diff_host_rate dst_host_serror_rate
dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate label difficulty""".split()

CATEGORIES = {
    "DoS": "back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm",
    "Probe": "ipsweep nmap portsweep satan mscan saint",
    "R2L": "ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named sendmail "
    "snmpgetattack snmpguess worm xlock xsnoop",
    "U2R": "buffer_overflow loadmodule perl rootkit httptunnel ps sqlattack xterm",
}
CATEGORY_OF = {a: c for c, names in CATEGORIES.items() for a in names.split()}
CATEGORY_OF["normal"] = "normal"


def finite(x):
    """JSON has no NaN: a missing figure (the std of one row) is null, as kddstat writes it."""
    return None if x != x else x


def numeric_stats(s):
    d = s.describe()
    out = {
        "count": int(d["count"]),
        "mean": float(d["mean"]),
        "std": float(d["std"]),
        "min": float(d["min"]),
        "q25": float(d["25%"]),
        "q50": float(d["50%"]),
        "q75": float(d["75%"]),
        "max": float(d["max"]),
        "zeros": float((s == 0).mean()),
        "distinct": int(s.nunique()),
    }
    return {k: finite(v) for k, v in out.items()}


def main(data_dir, out_dir):
    for name in ["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]:
        df = pd.read_csv(os.path.join(data_dir, name), header=None, names=NAMES)
        df["category"] = df["label"].map(CATEGORY_OF).fillna("unknown")
        numeric = [c for c in NAMES if c not in ("protocol_type", "service", "flag", "label")]
        out = {
            "rows": len(df),
            "numeric": {c: numeric_stats(df[c]) for c in numeric},
            "categorical": {
                c: {
                    "distinct": int(df[c].nunique()),
                    "counts": {k: int(v) for k, v in df[c].value_counts().items()},
                }
                for c in ["protocol_type", "service", "flag", "label", "category"]
            },
            "groups": {
                g: {"rows": len(part), "numeric": {c: numeric_stats(part[c]) for c in numeric}}
                for g, part in df.groupby("category")
            },
        }
        with open(os.path.join(out_dir, name.replace(".txt", ".json")), "w") as f:
            json.dump(out, f, indent=1, allow_nan=False)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
