"""Every notebook in notebooks/ runs headless, top to bottom, without error.

Each notebook is written as a jupytext percent-format script (notebooks/<name>.py)
paired with its .ipynb. The notebooks assert what they show (shapes of
`view_data()`, vanishing gradients, NaN counts, shared axes, ...) in check cells
(tagged `check`, source collapsed in JupyterLab), so running them is the test.
They run on a kernel spec `python3` that launches this interpreter, with this
checkout first on the kernel's import path, in a temporary working directory.
"""
import ast
import builtins
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SCRIPTS = sorted(NOTEBOOK_DIR.glob("*.py"))
SYNC = "make notebooks"   # jupytext --update --to ipynb notebooks/*.py
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


def _without_ids(notebook):
    """The notebook's JSON, cell ids left out (jupytext makes new ones each time)."""
    content = json.loads(notebook)
    for cell in content["cells"]:
        cell.pop("id", None)
    return content


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_notebook_is_what_jupytext_makes_of_its_script(script):
    path = script.with_suffix(".ipynb")
    assert path.exists(), f"{script.name} has no {path.name}: run `{SYNC}`"
    made = jupytext.read(script)
    assert made.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert _without_ids(path.read_text(encoding="utf-8")) == \
        _without_ids(jupytext.writes(made, fmt="ipynb")), (
            f"{path.name} differs from {script.name}: run `{SYNC}`")


def test_every_notebook_has_its_script():
    assert {path.stem for path in NOTEBOOKS} == {path.stem for path in SCRIPTS}


def _is_check(cell):
    return "check" in cell.metadata.get("tags", [])


def _names(source):
    """(names a cell's code reads, names it binds): a close enough reading."""
    read, bound = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return read, bound


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_checks_are_tagged_collapsed_and_only_check(path):
    """Every assert is in a check cell, collapsed for the reader; the teaching
    cells read no name that only a check cell sets (they run without them)."""
    nb = nbformat.read(path, as_version=4)
    checks = [cell for cell in nb.cells if _is_check(cell)]
    assert checks, f"{path.name} has no check cell"
    taught = set(dir(builtins)) | {"display"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        read, bound = _names(cell.source)
        if _is_check(cell):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source
            continue
        asserts = any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(cell.source)))
        assert not asserts and "np.testing" not in cell.source, (
            f"{path.name}: an assert outside a check cell:\n{cell.source}")
        taught |= bound
        assert read <= taught, (f"{path.name}: {sorted(read - taught)} set only by check cells, "
                                f"read in:\n{cell.source}")


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
