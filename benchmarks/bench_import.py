"""What kms_mock costs a test run at start-up, as a user's suite sees it.

(a) The pytest plugin in a suite that never touches KMS: ``pytest --co -q`` on
    a one-test file, with the plugin (installed, so loaded) against
    ``-p no:kms_mock``; once for a suite that imports nothing of AWS, once for
    one whose test module imports boto3 (the hook then goes in). Target: at
    most +10 ms median for the first.
(b) ``import kms_mock`` on top of ``import boto3``, and what first use adds
    (``from kms_mock import mock_kms``: the mock, its operations, cryptography).

Every figure is the median of fresh interpreters, the variants taken in turn
so that a busy spell weighs on all alike, with bytecode cached in a temporary
folder (``PYTHONPYCACHEPREFIX``), as installed packages run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

from bench_foundation import fmt, text_table, versions, write_results

RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
PLUGIN_TARGET_S = 0.010

PLAIN_TEST = "def test_one():\n    assert 1 + 1 == 2\n"
BOTO3_TEST = "import boto3\n\n\ndef test_one():\n    assert boto3.__name__ == 'boto3'\n"

# name -> (command, what it stands for); each is timed in a fresh interpreter.
IMPORTS = {
    "nothing": ("pass", "python -c pass"),
    "kms_mock": ("import kms_mock", "import kms_mock"),
    "boto3": ("import boto3", "import boto3"),
    "boto3+kms_mock": ("import boto3, kms_mock", "import boto3, kms_mock"),
    "boto3+mock_kms": (
        "import boto3; from kms_mock import mock_kms",
        "import boto3; from kms_mock import mock_kms",
    ),
}


def _wall(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = timeit.default_timer()
    subprocess.run(command, check=True, env=env, cwd=cwd, capture_output=True)
    return timeit.default_timer() - started


# Plugins of this environment that have nothing to do with kms_mock, left out of
# both variants: their start-up only adds noise to a difference of milliseconds.
UNRELATED_PLUGINS = ("cacheprovider", "hypothesispytest", "randomly", "xdist", "benchmark")


def _pytest(test_file: str, plugin: bool) -> list[str]:
    disabled = [*UNRELATED_PLUGINS, *([] if plugin else ["kms_mock"])]
    options = [option for name in disabled for option in ("-p", f"no:{name}")]
    return [sys.executable, "-m", "pytest", "--co", "-q", *options, test_file]


def _signed(seconds: float) -> str:
    return ("+" if seconds >= 0 else "-") + fmt(abs(seconds))


def measure(runs: int) -> dict[str, list[float]]:
    """Wall seconds of every variant, ``runs`` times each, taken in turn."""
    with tempfile.TemporaryDirectory(prefix="kms-mock-import-") as folder:
        root = Path(folder)
        (root / "test_plain.py").write_text(PLAIN_TEST)
        (root / "test_boto3.py").write_text(BOTO3_TEST)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        variants: dict[str, list[str]] = {
            "pytest plain, plugin": _pytest("test_plain.py", plugin=True),
            "pytest plain, -p no:kms_mock": _pytest("test_plain.py", plugin=False),
            "pytest boto3, plugin": _pytest("test_boto3.py", plugin=True),
            "pytest boto3, -p no:kms_mock": _pytest("test_boto3.py", plugin=False),
        }
        variants.update({name: [sys.executable, "-c", code] for name, (code, _) in IMPORTS.items()})
        for command in variants.values():  # compile into the cache, warm the file cache
            _wall(command, env, root)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):
            for name, command in variants.items():
                samples[name].append(_wall(command, env, root))
    return samples


def _added(samples: dict[str, list[float]], name: str, baseline: str) -> tuple[float, float]:
    """Median difference and median of per-run differences (runs were taken in turn)."""
    median = statistics.median(samples[name]) - statistics.median(samples[baseline])
    paired = statistics.median(a - b for a, b in zip(samples[name], samples[baseline], strict=True))
    return median, paired


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write the JSON results; exit 1 if the plugin target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=41, help="fresh interpreters per variant")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)

    samples = measure(args.runs)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    comparisons = [
        (
            "pytest --co, one plain test: the plugin",
            "pytest plain, plugin",
            "pytest plain, -p no:kms_mock",
        ),
        (
            "pytest --co, a test importing boto3: the plugin",
            "pytest boto3, plugin",
            "pytest boto3, -p no:kms_mock",
        ),
        ("import kms_mock", "kms_mock", "nothing"),
        ("import kms_mock on top of import boto3", "boto3+kms_mock", "boto3"),
        ("first use (from kms_mock import mock_kms) on top of boto3", "boto3+mock_kms", "boto3"),
    ]
    rows = [("measurement", "with", "without", "adds (medians)", "adds (paired)")]
    added: dict[str, dict[str, float]] = {}
    for title, name, baseline in comparisons:
        median, paired = _added(samples, name, baseline)
        added[title] = {"median_difference_s": median, "paired_median_difference_s": paired}
        rows.append(
            (title, fmt(medians[name]), fmt(medians[baseline]), _signed(median), _signed(paired))
        )
    plugin_added = added[comparisons[0][0]]["paired_median_difference_s"]
    met = plugin_added <= PLUGIN_TARGET_S

    print(f"kms_mock start-up benchmark ({', '.join(f'{k} {v}' for k, v in versions().items())})")
    print(f"medians of {args.runs} fresh interpreters per variant, taken in turn\n")
    print(text_table(rows))
    verdict = "met" if met else "MISSED"
    print(
        f"\nthe plugin in a suite that never touches AWS: {_signed(plugin_added)} "
        f"(median of paired runs; target <= 10 ms: {verdict})"
    )

    write_results(
        args.output,
        "import",
        runs=args.runs,
        medians_s=medians,
        added=added,
        plugin_target_met=met,
        samples=samples,
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
