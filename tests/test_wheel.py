"""The wheel carries the widgets' ES module (js/*.js -> seernn_widgets/static/),
and the package serves it from there once installed."""
import importlib.util
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JS = sorted(p.name for p in (ROOT / "js").glob("*.js"))
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build_wheel(tmp_path):
    """`pip wheel` of a copy of the project (the copy keeps build/ out of the
    working tree); offline with the venv's setuptools + wheel when present."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "static", "tests")
    for name in ("seernn_widgets", "js"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    offline = all(importlib.util.find_spec(m) for m in ("setuptools", "wheel"))
    flags = ["--no-build-isolation", "--no-index"] if offline else []   # else pip fetches them
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *flags,
                    "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("seernn_widgets-*.whl")
    return wheel


def test_wheel_ships_the_es_module_and_the_package_finds_it(tmp_path):
    assert {"slicing.js", "widget.js"} <= set(JS)
    wheel = build_wheel(tmp_path)
    assert wheel.name.startswith(f"seernn_widgets-{VERSION}-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for name in JS:
            assert f"seernn_widgets/static/{name}" in names
            assert zf.read(f"seernn_widgets/static/{name}") == (ROOT / "js" / name).read_bytes()
        assert not any(n.startswith("js/") for n in names)
        zf.extractall(tmp_path / "site")

    # what an installed copy serves: static/, not the checkout's js/
    probe = ("import seernn_widgets, pathlib\n"
             "from seernn_widgets.views._browser import esm_source, js_dir\n"
             "print(seernn_widgets.__version__)\n"
             "print(pathlib.Path(seernn_widgets.__file__).parent)\n"
             "print(js_dir())\n"
             "esm = esm_source()\n"
             "print('export function features2d' in esm and 'export default' in esm\n"
             "      and './slicing.js' not in esm)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120, cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path / "site"), "TF_CPP_MIN_LOG_LEVEL": "2",
                              "PATH": "/usr/bin:/bin"})
    version, package, folder, whole = out.stdout.splitlines()
    assert version == VERSION   # read from the wheel's metadata
    assert whole == "True"      # slicing.js inlined into one module
    assert Path(package) == tmp_path / "site" / "seernn_widgets"
    assert Path(folder) == tmp_path / "site" / "seernn_widgets" / "static"
