"""describe() of a KDD file with Polars' streaming engine or pandas, for benches/describe-scale.sh.

    python describe_polars.py polars FILE   # pl.scan_csv(...).describe-like aggregation, streaming
    python describe_polars.py pandas FILE   # pd.read_csv + describe() + value_counts()

Polars: count, mean, std, min, quartiles (linear), max and n_unique of every numeric column, and
the value counts of the symbolic ones, in one lazy query collected with engine="streaming".
"""
import sys

NUMERIC_SKIP = {1, 2, 3}  # protocol_type, service, flag


def columns(n):
    return [f"c{i}" for i in range(n)]


def main():
    engine, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        n = f.readline().count(",") + 1
    names = columns(n)
    numeric = [c for i, c in enumerate(names) if i not in NUMERIC_SKIP and i != 41]
    symbolic = [names[i] for i in sorted(NUMERIC_SKIP)] + [names[41]]
    if engine == "polars":
        import polars as pl

        lf = pl.scan_csv(path, has_header=False, new_columns=names)
        aggs = []
        for c in numeric:
            col = pl.col(c).cast(pl.Float64)
            aggs += [
                col.count().alias(f"{c}_count"),
                col.mean().alias(f"{c}_mean"),
                col.std().alias(f"{c}_std"),
                col.min().alias(f"{c}_min"),
                col.quantile(0.25, "linear").alias(f"{c}_q25"),
                col.median().alias(f"{c}_q50"),
                col.quantile(0.75, "linear").alias(f"{c}_q75"),
                col.max().alias(f"{c}_max"),
                col.n_unique().alias(f"{c}_distinct"),
            ]
        stats = lf.select(aggs).collect(engine="streaming")
        counts = [
            lf.group_by(c).len().collect(engine="streaming") for c in symbolic
        ]
        print(stats.shape, sum(len(c) for c in counts))
    else:
        import pandas as pd

        df = pd.read_csv(path, header=None, names=names)
        d = df[numeric].describe()
        counts = [df[c].value_counts() for c in symbolic]
        print(d.shape, sum(len(c) for c in counts))


main()
