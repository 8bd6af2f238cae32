"""Reference figures of scikit-learn's classifiers on the detectors' encoding, for
tests/classifiers.rs. Output committed as tests/reference/classifiers.json.

Encoding (as src/detect/encode.rs): the 38 numeric features in file order with log1p on
duration, src_bytes, dst_bytes; one 0/1 column per value of protocol_type, service, flag (sorted
vocabulary of the training file); every column standardised with the mean and the standard
deviation (ddof 0, 0 replaced by 1) of the normal training rows. Fitted on every row of
KDDTrain+, binary target (attack vs normal) and five categories.

Usage: python3 sklearn_classifiers.py DATA_DIR > classifiers.json
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, sys.path[0] + "/../../benches")
from pipeline import CATEGORY, COLUMNS, SYMBOLIC  # noqa: E402

LOG1P = ["duration", "src_bytes", "dst_bytes"]


def load(path):
    df = pd.read_csv(path, header=None, names=COLUMNS)
    df["category"] = df["label"].map(CATEGORY).fillna("unknown")
    return df


def main(data):
    train = load(f"{data}/KDDTrain+.txt")
    tests = {n: load(f"{data}/{n}") for n in ["KDDTest+.txt", "KDDTest-21.txt"]}
    numeric = [c for c in COLUMNS[:41] if c not in SYMBOLIC]
    vocab = {c: sorted(train[c].unique()) for c in SYMBOLIC}

    def raw(df):
        cols = []
        for c in numeric:
            v = df[c].astype(float).to_numpy()
            cols.append(np.log1p(v) if c in LOG1P else v)
        for c in SYMBOLIC:
            for v in vocab[c]:
                cols.append((df[c] == v).astype(float).to_numpy())
        return np.column_stack(cols)

    xt = raw(train)
    normal = (train["category"] == "normal").to_numpy()
    mean = xt[normal].mean(axis=0)
    std = xt[normal].std(axis=0)
    std[std == 0] = 1.0
    enc = lambda x: (x - mean) / std  # noqa: E731
    x_train = enc(xt)
    x_tests = {n: enc(raw(t)) for n, t in tests.items()}
    y_bin = (train["category"] != "normal").to_numpy()
    out = {"encoding_width": int(x_train.shape[1]), "binary": {}, "category": {}}
    models = {
        "tree": [DecisionTreeClassifier(criterion="entropy", random_state=s) for s in range(5)],
        "forest": [RandomForestClassifier(100, random_state=s, n_jobs=1) for s in range(1)],
        "bayes": [GaussianNB()],
        "logistic": [LogisticRegression(C=1.0, max_iter=1000)],
    }
    for name, ms in models.items():
        accs = {n: [] for n in tests}
        for m in ms:
            m.fit(x_train, y_bin)
            for n, x in x_tests.items():
                y = (tests[n]["category"] != "normal").to_numpy()
                accs[n].append(float((m.predict(x) == y).mean()))
        out["binary"][name] = accs
    for name in ["tree", "bayes"]:
        m = (DecisionTreeClassifier(criterion="entropy", random_state=0) if name == "tree"
             else GaussianNB())
        m.fit(x_train, train["category"].to_numpy())
        out["category"][name] = {
            n: float((m.predict(x) == tests[n]["category"].to_numpy()).mean())
            for n, x in x_tests.items()
        }
    out["category_rows"] = {n: t["category"].value_counts().to_dict() for n, t in tests.items()}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
