"""kddstat.spark on a real multi-process cluster (local-cluster[2,1,1024]: two executor JVMs), its
results checked against the single-machine CLI to the bit. Needs pyspark and Java; the JVMs it
starts are stopped at the end."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import kddstat
import kddstat.spark

DATA = os.environ.get("KDDSTAT_DATA", "")
TRAIN = os.path.join(DATA, "KDDTrain+.txt")
TEST = os.path.join(DATA, "KDDTest+.txt")
BIN = os.environ.get("KDDSTAT_BIN") or shutil.which("kddstat")

NAMES = kddstat.spark.NAMES


def cli_json(*args):
    out = subprocess.run([BIN, *map(str, args)], capture_output=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    if not os.path.exists(TRAIN):
        pytest.fail("set KDDSTAT_DATA to the NSL-KDD folder")
    from pyspark.sql import SparkSession

    home = tempfile.mkdtemp(prefix="kddstat-spark-")
    package = os.path.dirname(pyspark.__file__)
    for d in ["jars", "bin", "sbin", "python"]:
        if os.path.exists(os.path.join(package, d)):
            os.symlink(os.path.join(package, d), os.path.join(home, d))
    os.environ["SPARK_HOME"] = home
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = (
        SparkSession.builder.master("local-cluster[2,1,1024]")
        .appName("kddstat-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.task.maxFailures", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None) if gateway is not None else None
    if gateway is not None:
        gateway.shutdown()
    if proc is not None:
        # The driver JVM ends when its standard input closes; else it is ended.
        try:
            proc.stdin.close()
        except Exception:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    shutil.rmtree(home, ignore_errors=True)


def frame(spark, path, partitions):
    df = spark.read.csv(path, inferSchema=True).toDF(*NAMES)
    return df.repartition(partitions) if partitions else df


def test_describe_of_a_dataframe_equals_the_cli(spark):
    want = cli_json("describe", TRAIN, "--format", "json")["files"][0]
    for partitions in [8, 13]:
        got = kddstat.spark.describe(frame(spark, TRAIN, partitions)).to_dict()["files"][0]
        for key in ["rows", "numeric", "categorical"]:
            assert got[key] == want[key], key
    grouped = cli_json("describe", TEST, "--by", "category", "--format", "json")["files"][0]
    got = kddstat.spark.describe(frame(spark, TEST, 9), by="category").to_dict()["files"][0]
    assert got["groups"] == grouped["groups"]


def test_describe_of_paths_reads_them_on_the_executors(spark, tmp_path):
    lines = open(TEST, "rb").read().splitlines(keepends=True)
    parts = []
    for i in range(8):
        p = tmp_path / f"part{i}.txt"
        p.write_bytes(b"".join(lines[i::8]))
        parts.append(str(p))
    got = kddstat.spark.describe(parts).to_dict()["files"][0]
    want = cli_json("describe", TEST, "--format", "json")["files"][0]
    for key in ["rows", "numeric", "categorical"]:
        assert got[key] == want[key], key
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"".join(lines[:5]) + b"0,tcp,http,SF,abc" + b",0" * 36 + b",normal,21\n")
    with pytest.raises(kddstat.InputError) as e:
        kddstat.spark.describe([str(bad)] + parts[:2])
    assert "bad.txt:6: column 'src_bytes'" in str(e.value)


def test_stats_equals_the_cli(spark, tmp_path):
    """stats of a DataFrame in 8 partitions and of 8 files read on the executors: the CLI's JSON
    of the whole file to the bit (every float compared by equality), both profiles."""
    want = cli_json("stats", TRAIN, "--format", "json")
    got = kddstat.spark.stats(frame(spark, TRAIN, 8))
    assert got["path"] == "<DataFrame>"
    got["path"] = want["path"]
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    lines = open(TEST, "rb").read().splitlines(keepends=True)
    parts = []
    for i in range(8):
        p = tmp_path / f"part{i}.txt"
        p.write_bytes(b"".join(lines[i::8]))
        parts.append(str(p))
    want = cli_json("stats", TEST, "--by", "label", "--min-r", "0.8", "--format", "json")
    got = kddstat.spark.stats(parts, by="label", min_r=0.8)
    got["path"] = want["path"]
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_evaluate_equals_the_cli(spark, tmp_path):
    """evaluate of a detector on KDDTest+ as a DataFrame in 8 partitions and as 8 files: the
    CLI's figures of the whole file to the bit."""
    model = tmp_path / "gmm.json"
    subprocess.run([BIN, "fit", "--train", TRAIN, "--detectors", "gmm", "-o", str(model), "-q"], check=True, capture_output=True)
    want = cli_json("evaluate", "--model", model, "--test", TEST, "--format", "json")
    for det in want["detectors"]:
        for t in det["tests"]:
            t["file"] = "<DataFrame>"
    got = kddstat.spark.evaluate(frame(spark, TEST, 8), str(model))
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    lines = open(TEST, "rb").read().splitlines(keepends=True)
    parts = []
    for i in range(8):
        p = tmp_path / f"part{i}.txt"
        p.write_bytes(b"".join(lines[i::8]))
        parts.append(str(p))
    got = kddstat.spark.evaluate(parts, kddstat.load_model(str(model)))
    for det in got["detectors"]:
        for t in det["tests"]:
            t["file"] = "<DataFrame>"
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_scores_and_models_equal_the_cli(spark, tmp_path):
    model = kddstat.fit(TRAIN, detector="zscore", seed=3)
    df = frame(spark, TEST, None)
    scored = kddstat.spark.score(df, model).select("score", "flagged").collect()
    assert [r.score for r in scored] == list(model.score(TEST))
    assert [r.flagged for r in scored] == list(model.flag(TEST))
    # The reasons of each score, as `kddstat score --explain 2` gives them, in 8 partitions (the
    # shuffle reorders the rows: the same multiset of scores and reasons).
    why = kddstat.spark.score(frame(spark, TEST, 8), model, explain=2)
    got = sorted((r.score, r.why_1, r.why_2) for r in why.select("score", "why_1", "why_2").collect())
    want = model.scores(TEST, explain=2).to_pandas()
    assert got == sorted(zip(map(float, want["score"]), want["why_1"], want["why_2"]))
    assert got[0][1].split("=")[0] in kddstat.spark.NAMES
    # Every row, in the file's order: the model of the CLI's fit of the file (but the training
    # file's name and checksum, which name what was read).
    fitted = json.loads(kddstat.spark.fit(frame(spark, TRAIN, None), detector="zscore", seed=3).to_bytes())
    cli_model = json.loads(model.to_bytes())
    for doc in (fitted, cli_model):
        doc.pop("training")
    assert fitted == cli_model


def test_a_failed_task_is_retried_and_the_result_is_still_exact(spark, tmp_path):
    flag = tmp_path / "failed-once"
    spark.sparkContext.setLocalProperty("kddstat.test.fail_once", str(flag))
    try:
        got = kddstat.spark.describe(frame(spark, TEST, 8)).to_dict()["files"][0]
    finally:
        spark.sparkContext.setLocalProperty("kddstat.test.fail_once", None)
    assert flag.exists(), "no task failed"
    want = cli_json("describe", TEST, "--format", "json")["files"][0]
    assert got["numeric"] == want["numeric"] and got["rows"] == want["rows"]
