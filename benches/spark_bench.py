"""kddstat.spark against Spark's own summary on one local-cluster[2,1,1024] (two executor JVMs, the
machine's two cores), same run: COPIES copies of KDDTrain+ written as FILES files (100 and 16 by
default, 1.9 GB), then

- ``kddstat.spark.describe(paths)`` (each file read by kddstat on an executor, states merged) against
  ``spark.read.csv(paths, inferSchema=True).summary()`` and ``approxQuantile`` of every numeric
  column (Spark's percentiles are approximate, kddstat's exact);
- ``kddstat.spark.describe(df)`` of the already-loaded, cached DataFrame against ``df.summary()`` of
  the same cached DataFrame;
- ``kddstat.spark.stats(paths)`` (the two passes of ``stats``, each a job whose states are merged);
- single-machine ``kddstat describe`` of the same files (the overhead of going through Spark);

and the peak resident memory of the executors' Python workers (sampled from /proc while the jobs
run). Needs pyspark, Java, the kddstat package, and KDDSTAT_DATA.

    python benches/spark_bench.py [COPIES FILES]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import kddstat
import kddstat.spark as ks

copies = int(sys.argv[1]) if len(sys.argv) > 1 else 100
files = int(sys.argv[2]) if len(sys.argv) > 2 else 16
data = os.environ["KDDSTAT_DATA"]
work = tempfile.mkdtemp(prefix="kddstat-spark-bench-")
text = open(os.path.join(data, "KDDTrain+.txt"), "rb").read()
paths = []
per = [copies // files + (1 if i < copies % files else 0) for i in range(files)]
for i, n in enumerate(per):
    p = os.path.join(work, f"part{i:02}.txt")
    with open(p, "wb") as f:
        for _ in range(n):
            f.write(text)
    paths.append(p)
size = sum(os.path.getsize(p) for p in paths)
print(f"{copies} copies of KDDTrain+ as {files} files, {size / 1e9:.2f} GB")

import pyspark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402

home = tempfile.mkdtemp(prefix="kddstat-spark-home-")
package = os.path.dirname(pyspark.__file__)
for d in ["jars", "bin", "sbin", "python"]:
    if os.path.exists(os.path.join(package, d)):
        os.symlink(os.path.join(package, d), os.path.join(home, d))
os.environ.update(
    SPARK_HOME=home,
    PYSPARK_PYTHON=sys.executable,
    PYSPARK_DRIVER_PYTHON=sys.executable,
    SPARK_LOCAL_IP="127.0.0.1",
)
spark = (
    SparkSession.builder.master("local-cluster[2,1,1024]")
    .appName("kddstat-bench")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .config("spark.driver.memory", "2g")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)

peak = {"rss": 0}
stop = threading.Event()


def watch():
    """The largest resident set of any Python worker of the executors (pyspark.daemon/worker)."""
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                if b"pyspark" not in cmd or b"daemon" not in cmd and b"worker" not in cmd:
                    continue
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        peak["rss"] = max(peak["rss"], int(line.split()[1]) * 1024)
            except OSError:
                pass
        time.sleep(0.05)


threading.Thread(target=watch, daemon=True).start()


def timed(label, f):
    t0 = time.perf_counter()
    out = f()
    print(f"{label:<62} {time.perf_counter() - t0:8.2f} s")
    return out


numeric = [n for n in ks.NAMES[:41] if n not in ("protocol_type", "service", "flag")]
ours = timed("kddstat.spark.describe(paths)", lambda: ks.describe(paths).to_dict())
timed("kddstat.spark.stats(paths) (two jobs: first and second passes)", lambda: ks.stats(paths))
df = spark.read.csv(paths, inferSchema=True).toDF(*ks.NAMES)
timed("spark.read.csv(paths, inferSchema=True).summary()", lambda: df.summary().collect())
timed(
    "  + approxQuantile(25%, 50%, 75%) of the 38 numeric columns",
    lambda: df.approxQuantile(numeric, [0.25, 0.5, 0.75], 0.001),
)
cached = df.cache()
timed("cache the DataFrame (count)", lambda: cached.count())
timed("kddstat.spark.describe(cached DataFrame)", lambda: ks.describe(cached).to_dict())
timed("cached.summary()", lambda: cached.summary().collect())
stop.set()
print(f"peak RSS of an executor Python worker: {peak['rss'] / 2**20:.0f} MiB")
bin_ = os.environ.get("KDDSTAT_BIN") or shutil.which("kddstat")
if bin_:
    timed(
        "single machine: kddstat describe of the files",
        lambda: subprocess.run([bin_, "describe", "--format", "json", *paths], capture_output=True, check=True),
    )
rows = ours["files"][0]["rows"]
print(f"rows: {rows:,}")
spark.stop()
shutil.rmtree(work, ignore_errors=True)
shutil.rmtree(home, ignore_errors=True)
