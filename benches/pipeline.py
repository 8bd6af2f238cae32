"""The notebook way to make `kddstat report`: pandas + scikit-learn + matplotlib.

What an analyst writes today for the same answers as the main job (KDDTrain+ against KDDTest+ and
KDDTest-21): describe every file, category and label counts, a histogram per numeric feature,
overlays by category, categorical bars, the correlation heat map, drift (KS, PSI) per test file,
four anomaly detectors fitted on the normal training rows (z-score, k-means 8, diagonal GMM 8,
Isolation Forest 100), ROC and precision-recall curves, score box plots per category and label,
detection per label, a page of SVGs and CSVs. Run by `benches/report-vs-python.sh`, which times it
beside `kddstat report`.

Usage: python3 pipeline.py DATA_DIR OUT_DIR
"""
import os
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import ks_2samp  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.feature_selection import mutual_info_classif  # noqa: E402
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

COLUMNS = (
    "duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot "
    "num_failed_logins logged_in num_compromised root_shell su_attempted num_root "
    "num_file_creations num_shells num_access_files num_outbound_cmds is_host_login "
    "is_guest_login count srv_count serror_rate srv_serror_rate rerror_rate srv_rerror_rate "
    "same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count dst_host_srv_count "
    "dst_host_same_srv_rate dst_host_diff_srv_rate dst_host_same_src_port_rate "
    "dst_host_srv_diff_host_rate dst_host_serror_rate dst_host_srv_serror_rate "
    "dst_host_rerror_rate dst_host_srv_rerror_rate label difficulty"
).split()
SYMBOLIC = ["protocol_type", "service", "flag"]
CATEGORY = {
    **{k: "DoS" for k in "back land neptune pod smurf teardrop apache2 mailbomb processtable udpstorm".split()},
    **{k: "Probe" for k in "ipsweep nmap portsweep satan mscan saint".split()},
    **{k: "R2L" for k in (
        "ftp_write guess_passwd imap multihop phf spy warezclient warezmaster named sendmail "
        "snmpgetattack snmpguess worm xlock xsnoop").split()},
    **{k: "U2R" for k in "buffer_overflow loadmodule perl rootkit ps sqlattack xterm httptunnel".split()},
    "normal": "normal",
}


def load(path):
    df = pd.read_csv(path, header=None, names=COLUMNS)
    df["category"] = df["label"].map(CATEGORY).fillna("unknown")
    return df


def encode(train_normal, frames):
    numeric = [c for c in COLUMNS[:41] if c not in SYMBOLIC]
    def one(df):
        x = pd.get_dummies(df[SYMBOLIC].astype(pd.CategoricalDtype()), dtype=float)
        return pd.concat([np.log1p(df[numeric].clip(lower=0)), x], axis=1)
    base = one(train_normal)
    mean, std = base.mean(), base.std().replace(0, 1)
    out = []
    for df in frames:
        x = one(df).reindex(columns=base.columns, fill_value=0.0)
        out.append(((x - mean) / std).to_numpy())
    return out


def main(data, out):
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    os.makedirs(os.path.join(out, "tables"), exist_ok=True)
    names = ["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]
    frames = [load(os.path.join(data, n)) for n in names]
    train, tests = frames[0], frames[1:]
    figs = []

    def save(fig, name):
        fig.savefig(os.path.join(out, "plots", name + ".svg"))
        plt.close(fig)
        figs.append(name)

    for n, df in zip(names, frames):
        df.describe().to_csv(os.path.join(out, "tables", f"describe-{n}.csv"))
        df["label"].value_counts().to_csv(os.path.join(out, "tables", f"labels-{n}.csv"))
        fig, ax = plt.subplots()
        df["label"].value_counts().plot.barh(ax=ax, logx=True)
        save(fig, f"labels-{n}")
    numeric = [c for c in COLUMNS[:41] if c not in SYMBOLIC and train[c].nunique() > 1]
    for c in numeric:
        fig, ax = plt.subplots()
        ax.hist(train[c], bins=20, log=True)
        ax.set_title(c)
        save(fig, f"hist-{c}")
    mi = mutual_info_classif(train[numeric], train["category"], random_state=0)
    for c in [numeric[i] for i in np.argsort(-mi)[:6]]:
        fig, ax = plt.subplots()
        for cat, g in train.groupby("category"):
            ax.hist(g[c], bins=20, histtype="step", density=True, label=cat)
        ax.legend()
        save(fig, f"overlay-{c}")
    for c in SYMBOLIC:
        fig, ax = plt.subplots()
        pd.crosstab(train[c], train["category"]).head(15).plot.barh(stacked=True, ax=ax)
        save(fig, f"bars-{c}")
    corr = train[numeric].corr()
    corr.to_csv(os.path.join(out, "tables", "pearson.csv"))
    fig, ax = plt.subplots(figsize=(10, 10))
    ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    save(fig, "correlation")
    for n, t in zip(names[1:], tests):
        ks = {c: ks_2samp(train[c], t[c]).statistic for c in numeric}
        pd.Series(ks).sort_values().to_csv(os.path.join(out, "tables", f"ks-{n}.csv"))
        fig, ax = plt.subplots()
        pd.Series(ks).sort_values().plot.barh(ax=ax)
        save(fig, f"drift-ks-{n}")

    normal = train[train["category"] == "normal"]
    xs = encode(normal, [normal] + tests)
    fit, scored = xs[0], xs[1:]
    detectors = {
        "zscore": None,
        "kmeans": KMeans(8, n_init=1, random_state=42).fit(fit),
        "gmm": GaussianMixture(8, covariance_type="diag", random_state=42).fit(fit),
        "iforest": IsolationForest(n_estimators=100, random_state=42).fit(fit),
    }

    def score(name, model, x):
        if name == "zscore":
            return np.abs(x).mean(axis=1)
        if name == "kmeans":
            return model.transform(x).min(axis=1)
        if name == "gmm":
            return -model.score_samples(x)
        return -model.score_samples(x)

    rows = []
    for n, t, x in zip(names[1:], tests, scored):
        y = (t["category"] != "normal").to_numpy()
        fig_roc, ax_roc = plt.subplots()
        fig_pr, ax_pr = plt.subplots()
        for name, model in detectors.items():
            s = score(name, model, x)
            threshold = np.quantile(score(name, model, fit), 0.99)
            fpr, tpr, _ = roc_curve(y, s)
            ax_roc.plot(fpr, tpr, label=name)
            p, r, _ = precision_recall_curve(y, s)
            ax_pr.plot(r, p, label=name)
            rows.append((name, n, roc_auc_score(y, s), average_precision_score(y, s)))
            frame = pd.DataFrame({"score": s, "category": t["category"], "label": t["label"]})
            for by in ["category", "label"]:
                fig, ax = plt.subplots(figsize=(8, 10 if by == "label" else 4))
                groups = [g["score"].to_numpy() for _, g in frame.groupby(by)]
                ax.boxplot(groups, vert=False, whis=(5, 95), showfliers=False)
                ax.axvline(threshold)
                save(fig, f"scores-{by}-{name}-{n}")
            frame.assign(flagged=s > threshold).groupby("label")["flagged"].mean().to_csv(
                os.path.join(out, "tables", f"detection-{name}-{n}.csv"))
        ax_roc.legend()
        ax_pr.legend()
        save(fig_roc, f"roc-{n}")
        save(fig_pr, f"pr-{n}")
    pd.DataFrame(rows, columns=["detector", "test", "roc_auc", "ap"]).to_csv(
        os.path.join(out, "tables", "detectors.csv"), index=False)
    with open(os.path.join(out, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><body>\n")
        for name in figs:
            f.write(f'<img src="plots/{name}.svg">\n')
        f.write("</body></html>\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
