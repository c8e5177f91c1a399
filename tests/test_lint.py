"""ruff, as pyproject.toml configures it, finds nothing to say about the package,
the tests, the benchmarks, the scripts and the notebooks (their percent-format
.py files). `make lint` runs the same check; `ruff check --fix` fixes most of it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")   # the venv's, pinned in requirements/
CHECKED = ["seernn_widgets", "tests", "bench", "scripts", "notebooks", "setup.py"]


def test_ruff_finds_nothing():
    assert RUFF.exists(), f"{RUFF} is missing: `make venv` installs it (the dev extra)"
    run = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "full",
                          *CHECKED],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"ruff check (`make lint`):\n{run.stdout}{run.stderr}"
