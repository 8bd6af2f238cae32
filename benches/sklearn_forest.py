"""scikit-learn's RandomForestClassifier(100 trees, n_jobs=1) on KDDTrain+ with kddstat's
encoding (see tests/reference/sklearn_classifiers.py), for benches/forest-vs-sklearn.sh.
Prints the fit time; the script times the whole process.

Usage: python3 sklearn_forest.py DATA_DIR
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, sys.path[0])
from pipeline import CATEGORY, COLUMNS, SYMBOLIC  # noqa: E402

df = pd.read_csv(f"{sys.argv[1]}/KDDTrain+.txt", header=None, names=COLUMNS)
numeric = [c for c in COLUMNS[:41] if c not in SYMBOLIC]
cols = [np.log1p(df[c].astype(float)) if c in ("duration", "src_bytes", "dst_bytes")
        else df[c].astype(float) for c in numeric]
for c in SYMBOLIC:
    for v in sorted(df[c].unique()):
        cols.append((df[c] == v).astype(float))
x = np.column_stack(cols)
normal = (df["label"] == "normal").to_numpy()
std = x[normal].std(axis=0)
std[std == 0] = 1.0
x = (x - x[normal].mean(axis=0)) / std
y = df["label"].map(CATEGORY).fillna("unknown").ne("normal").to_numpy()
t0 = time.perf_counter()
RandomForestClassifier(100, random_state=42, n_jobs=1).fit(x, y)
print(f"scikit-learn fit: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
