#!/usr/bin/env python3
"""Independent reference figures for `kddstat stats` and `kddstat compare`, from pandas and scipy.

Usage: python3 pandas_stats.py DATA_DIR OUT_DIR   (needs pandas and scipy)

Writes OUT_DIR/stats-<file>.json for KDDTrain+.txt and KDDTest+.txt (Pearson and Spearman matrices
from DataFrame.corr, skewness from Series.skew, mutual information and gain ratio of each feature
with the category from pandas.qcut bins and the textbook formulas) and OUT_DIR/compare.json
(scipy.stats.ks_2samp statistics, PSI over numpy deciles, total variation distances, novel labels)
for KDDTrain+ against KDDTest+. Derived figures only: no data.
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from pandas_describe import CATEGORY_OF, NAMES

CATEGORICAL = ["protocol_type", "service", "flag"]
NUMERIC = [c for c in NAMES[:41] if c not in CATEGORICAL]


def finite(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def read(data_dir, name):
    df = pd.read_csv(os.path.join(data_dir, name), header=None, names=NAMES)
    df["category"] = df["label"].map(CATEGORY_OF).fillna("unknown")
    return df


def mutual_information(x, y):
    """I(X;Y) in nats and I(X;Y)/H(X), from the contingency table."""
    n = len(x)
    joint = pd.crosstab(x, y).to_numpy(dtype=float)
    pxy = joint / n
    px = pxy.sum(axis=1, keepdims=True)
    py = pxy.sum(axis=0, keepdims=True)
    nz = pxy > 0
    mi = float((pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])).sum())
    pxs = px[px > 0]
    hx = float(-(pxs * np.log(pxs)).sum())
    return mi, (mi / hx if hx > 0 else 0.0)


def stats(df):
    num = df[NUMERIC].astype(float)
    pearson = num.corr()
    spearman = num.corr(method="spearman")
    rel = {}
    for c in NUMERIC:
        rel[c] = mutual_information(decile_bins(df[c], df[c])[0], df["category"])
    for c in CATEGORICAL:
        rel[c] = mutual_information(df[c], df["category"])
    as_dict = lambda m: {a: {b: finite(m.loc[a, b]) for b in NUMERIC} for a in NUMERIC}
    return {
        "pearson": as_dict(pearson),
        "spearman": as_dict(spearman),
        "skewness": {c: finite(df[c].skew()) for c in NUMERIC},
        "relevance": {c: {"mutual_information": mi, "gain_ratio": gr} for c, (mi, gr) in rel.items()},
    }


def decile_bins(reference, x):
    """Bins (-inf, e1], (e1, e2], ..., (ek, inf) with e the distinct deciles of `reference`.

    Unlike pandas.qcut(duplicates="drop"), the minimum and the maximum are not edges, so a heavily
    tied column (logged_in: 60% zeros, 40% ones) keeps its two values apart."""
    edges = np.unique(np.quantile(reference, np.arange(1, 10) / 10))
    return np.searchsorted(edges, x, side="left"), len(edges) + 1


def psi(a, b):
    def shares(x):
        idx, n = decile_bins(a, x)
        return np.bincount(idx, minlength=n) / len(x)
    p = np.maximum(shares(a), 1e-4)
    q = np.maximum(shares(b), 1e-4)
    return float(((q - p) * np.log(q / p)).sum())


def compare(train, test):
    def tvd(c):
        p = train[c].value_counts(normalize=True)
        q = test[c].value_counts(normalize=True)
        return float(p.subtract(q, fill_value=0).abs().sum() / 2)
    novel = test.loc[~test["label"].isin(set(train["label"])), "label"].value_counts()
    return {
        "numeric": {
            c: {"ks": float(ks_2samp(train[c], test[c]).statistic), "psi": psi(train[c], test[c])}
            for c in NUMERIC
        },
        "categorical": {c: {"tvd": tvd(c)} for c in CATEGORICAL},
        "novel_labels": {k: int(v) for k, v in novel.items()},
    }


def main(data_dir, out_dir):
    frames = {n: read(data_dir, n) for n in ["KDDTrain+.txt", "KDDTest+.txt"]}
    for name, df in frames.items():
        with open(os.path.join(out_dir, "stats-" + name.replace(".txt", ".json")), "w") as f:
            json.dump(stats(df), f, indent=1, allow_nan=False)
            f.write("\n")
    with open(os.path.join(out_dir, "compare.json"), "w") as f:
        json.dump(compare(frames["KDDTrain+.txt"], frames["KDDTest+.txt"]), f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
