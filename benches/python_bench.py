"""The Python package beside pandas and polars, in one running interpreter, same run:
kddstat.describe against read_csv + describe() of each, and scoring KDDTest+ from a polars
DataFrame against scoring it from the file. Best of RUNS (5) wall times.
    KDDSTAT_DATA=../shared/datasets/nsl-kdd python benches/python_bench.py
"""
import os
import time

import kddstat

data = os.environ["KDDSTAT_DATA"]
train = os.path.join(data, "KDDTrain+.txt")
test = os.path.join(data, "KDDTest+.txt")
runs = int(os.environ.get("RUNS", "5"))
names = [f"c{i}" for i in range(43)]


def best(f):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def pandas_describe():
    import pandas as pd

    df = pd.read_csv(train, header=None, names=names)
    df.describe()
    df.nunique()
    for c in ["c1", "c2", "c3", "c41"]:
        df[c].value_counts()


def polars_describe():
    import polars as pl

    df = pl.read_csv(train, has_header=False, new_columns=names)
    df.describe()
    for c in ["c1", "c2", "c3", "c41"]:
        df[c].value_counts()


k = best(lambda: kddstat.describe(train))
pd_t = best(pandas_describe)
pl_t = best(polars_describe)
print(f"describe KDDTrain+: kddstat {k*1000:.0f} ms, pandas {pd_t*1000:.0f} ms ({pd_t/k:.1f}x), "
      f"polars {pl_t*1000:.0f} ms ({pl_t/k:.1f}x)")

model = kddstat.fit(train, detector="gmm", seed=42)
import polars as pl

frame = kddstat.read(test).to_polars()
f_file = best(lambda: model.score(test))
f_frame = best(lambda: model.score(frame))
print(f"score KDDTest+ (gmm): from the file {f_file*1000:.0f} ms, from a polars DataFrame "
      f"{f_frame*1000:.0f} ms ({f_frame/f_file:.2f}x)")
