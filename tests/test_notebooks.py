"""Every notebook in notebooks/ runs headless, top to bottom, without error.

The notebooks assert what they show (shapes of `view_data()`, vanishing
gradients, NaN counts, shared axes, ...), so running them is the test. They
run on a kernel spec `python3` that launches this interpreter, with this
checkout first on the kernel's import path, in a temporary working directory.
"""
import importlib.util
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"quickstart", "live_training", "gallery"}
CELL_TIMEOUT = 300   # seconds per cell; the slowest cell takes about 10 s


def _with(path, variable):
    """`path` prepended to the os.pathsep-separated environment `variable`."""
    return os.pathsep.join(p for p in (str(path), os.environ.get(variable)) if p)


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernel spec `python3` running sys.executable, first on JUPYTER_PATH."""
    data_dir = tmp_path_factory.mktemp("jupyter-data")
    spec_dir = data_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (seernn_widgets tests)",
        "language": "python",
    }))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", _with(data_dir, "JUPYTER_PATH"))
        mp.setenv("PYTHONPATH", _with(ROOT, "PYTHONPATH"))
        mp.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
        spec = KernelSpecManager().get_kernel_spec("python3")
        assert spec.argv[0] == sys.executable, spec.argv
        yield


def test_the_notebooks_are_there():
    assert EXPECTED <= {path.stem for path in NOTEBOOKS}


def test_notebooks_are_saved_without_outputs():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, \
                    f"{path.name}: a cell was saved with outputs"
        assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebooks_match_their_generator():
    """The .ipynb files are what notebooks/make_notebooks.py writes."""
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", NOTEBOOK_DIR / "make_notebooks.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert set(generator.NOTEBOOKS) == {path.stem for path in NOTEBOOKS}
    for name, cells in generator.NOTEBOOKS.items():
        text = (NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8")
        assert text == generator.build(name, cells), (
            f"{name}.ipynb is out of date: run python notebooks/make_notebooks.py")


def _execute(path, workdir):
    """(executed notebook, seconds, the exception raised or None)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    start = time.monotonic()
    try:
        client.execute()   # raises CellExecutionError (with the traceback) on a failing cell
        error = None
    except Exception as e:  # reported by the notebook's own test
        error = e
    return nb, time.monotonic() - start, error


@pytest.fixture(scope="module")
def executed(request, kernel_env, tmp_path_factory):
    """{path: _execute(path)} for the notebooks whose test was selected, run
    two at a time (each kernel mostly keeps one core busy), slowest first."""
    selected = {item.callspec.params["path"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_notebook_runs"
                and item.module.__name__ == __name__}
    paths = sorted(selected, key=lambda p: p.stat().st_size, reverse=True)
    workers = max(1, min(2, os.cpu_count() or 1, len(paths)))
    with ThreadPoolExecutor(workers) as pool:
        runs = {path: pool.submit(_execute, path, tmp_path_factory.mktemp(path.stem))
                for path in paths}
        return {path: future.result() for path, future in runs.items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(path, executed):
    nb, elapsed, error = executed[path]
    if error is not None:
        raise error
    errors = [output for cell in nb.cells for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert not errors, errors
    ran = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert ran and all(cell.execution_count for cell in ran)
    print(f"{path.name}: {len(ran)} code cells in {elapsed:.1f} s")
