"""export_html from an installed wheel, outside the checkout: require.js and
embed-amd.js come from the package's own fetch (pinned npm tarballs,
sha512-checked, into a user cache), not from the checkout's .venv/share.

The installed copy runs in a venv of its own (no share/seernn_widgets) whose
site-packages see the built wheel and this venv's dependencies; its cache is
filled from this venv's share folder, and its registry is a closed port, so
the export must not need the network.  The download itself is tested once
against registry.npmjs.org and against a local
server that hands out a corrupted tarball."""
import base64
import gzip
import hashlib
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import threading
from pathlib import Path

import pytest

from seernn_widgets import _js_deps
from seernn_widgets.export import export_html, main
from test_wheel import build_wheel

VENV_SHARE = Path(sys.prefix) / "share"
DEAD_REGISTRY = "http://127.0.0.1:9"   # discard port: nothing listens

PROBE = """
import json, sys
import bqplot, ipywidgets, numpy as np
import seernn_widgets
from seernn_widgets import _js_deps, export_html

x = np.linspace(0, 6, 20)
scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
figure = bqplot.Figure(marks=[bqplot.Lines(x=x, y=np.sin(x), scales=scales)])
page = export_html([ipywidgets.IntSlider(2), figure], sys.argv[1], progress=False)
print(json.dumps({"package": seernn_widgets.__file__, "deps": str(_js_deps.find()),
                  "page": str(page)}))
"""


def _page_files(page):
    """Every file the page's scripts load: <script src>, and each
    requirejs path (a module's path + .js, or a folder)."""
    text = page.read_text(encoding="utf-8")
    srcs = re.findall(r'<script src="([^"]+)"', text)
    config = json.loads(re.search(r"requirejs\.config\((\{.*?\})\);", text).group(1))
    assert config["waitSeconds"] == 0
    paths = list(config["paths"].values())
    return srcs, paths


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv (python) whose seernn_widgets is the built wheel."""
    tmp = tmp_path_factory.mktemp("installed")
    wheel = build_wheel(tmp)
    site = tmp / "site"
    shutil.unpack_archive(wheel, site, format="zip")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    venv_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip())
    # the wheel first; this venv's packages (not its .pth files: no editable checkout)
    (venv_site / "deps.pth").write_text(f"{site}\n{sysconfig.get_path('purelib')}\n")
    (venv / "share").mkdir(exist_ok=True)
    (venv / "share" / "jupyter").symlink_to(VENV_SHARE / "jupyter")   # the wheels' nbextensions
    assert not (venv / "share" / "seernn_widgets").exists()
    return python, site


def _env(tmp_path, **extra):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "2",
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "SEERNN_NPM_REGISTRY": DEAD_REGISTRY}
    env.update(extra)
    return env


def _fill_cache(cache_home):
    """The user cache as a download would leave it, from this venv's share folder."""
    share = VENV_SHARE / "seernn_widgets"
    assert _js_deps.is_complete(share), f"{share} is incomplete: `make venv` fetches it"
    target = Path(cache_home) / "seernn_widgets" / _js_deps.cache_dir().name
    shutil.copytree(share, target)
    (target / "LICENSES.txt").write_text(_js_deps.LICENSES, encoding="utf-8")
    return target


def test_installed_package_exports_a_complete_page_from_its_cache(installed, tmp_path):
    python, site = installed
    cache = _fill_cache(tmp_path / "cache")
    out = subprocess.run([str(python), "-c", PROBE, str(tmp_path / "out" / "page.html")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env=_env(tmp_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert Path(result["package"]).parent == site / "seernn_widgets"   # not the checkout
    assert Path(result["deps"]) == cache
    page = Path(result["page"])
    srcs, paths = _page_files(page)
    assert srcs == ["page_files/require.js", "page_files/html-manager/embed-amd.js"]
    for src in srcs:
        assert (page.parent / src).is_file(), src
    for path in paths:
        target = page.parent / path
        assert target.is_dir() or target.with_name(target.name + ".js").is_file(), path
    files = page.with_name("page_files")
    assert {p.name for p in (files / "nbextensions").iterdir()} == {"bqplot", "bqscales"}
    assert "BSD 3-Clause" in (files / "LICENSES.txt").read_text(encoding="utf-8")
    assert (files / "html-manager" / "embed.js.LICENSE.txt").is_file()
    assert "oneDNN" not in out.stderr and "absl" not in out.stderr


def test_offline_without_a_cache_the_error_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("SEERNN_JS_DEPS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("SEERNN_NPM_REGISTRY", DEAD_REGISTRY)
    monkeypatch.setattr(_js_deps, "venv_dir", lambda: tmp_path / "no-venv-share")
    import ipywidgets

    with pytest.raises(_js_deps.JSDepsError) as info:
        export_html(ipywidgets.IntSlider(), tmp_path / "page.html", progress=False)
    message = str(info.value)
    assert "python -m seernn_widgets.export --fetch-deps" in message
    assert "SEERNN_JS_DEPS" in message and DEAD_REGISTRY in message
    assert not (tmp_path / "page.html").exists()
    with pytest.raises(SystemExit) as info:
        main(["--fetch-deps", str(tmp_path / "deps"), "--quiet"])
    assert str(info.value).startswith("error: ") and "--fetch-deps" in str(info.value)


def test_first_export_downloads_and_checks_the_pinned_tarballs(monkeypatch, tmp_path):
    # the npm registry is reachable wherever `make test` installs (CI included)
    monkeypatch.delenv("SEERNN_JS_DEPS", raising=False)
    monkeypatch.delenv("SEERNN_NPM_REGISTRY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_js_deps, "venv_dir", lambda: tmp_path / "no-venv-share")
    import ipywidgets

    lines = []
    export_html(ipywidgets.IntSlider(), tmp_path / "page.html", progress=lines.append)
    cache = _js_deps.cache_dir()
    assert cache.is_relative_to(tmp_path / "cache")
    assert [line.split()[0] for line in lines] == ["downloading", "downloading", "require.js"]
    assert _js_deps.is_complete(cache)
    share = VENV_SHARE / "seernn_widgets"
    if _js_deps.is_complete(share):     # what npm pack gave, byte for byte
        for name in ("require.js", "html-manager/embed-amd.js"):
            assert (cache / name).read_bytes() == (share / name).read_bytes(), name
    assert (tmp_path / "page_files" / "html-manager" / "embed-amd.js").is_file()
    lines.clear()
    export_html(ipywidgets.IntSlider(), tmp_path / "again.html", progress=lines.append)
    assert lines == []      # cached


def _tarball(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


@pytest.fixture
def corrupt_registry():
    """A registry whose tarballs have the right names and the wrong bytes."""
    bad = _tarball({"package/require.js": b"define('evil', [], {});\n"})
    assert gzip.decompress(bad)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(bad)))
            self.end_headers()
            self.wfile.write(bad)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_tarball_that_is_not_the_pinned_one_is_refused(corrupt_registry, monkeypatch,
                                                         tmp_path):
    monkeypatch.setenv("SEERNN_NPM_REGISTRY", corrupt_registry)
    dest = tmp_path / "deps"
    dest.mkdir()
    (dest / "mine.txt").write_text("not touched")
    with pytest.raises(_js_deps.IntegrityError) as info:
        _js_deps.fetch(dest)
    assert "requirejs@2.3.8" in str(info.value) and "not the pinned" in str(info.value)
    assert sorted(p.name for p in dest.iterdir()) == ["mine.txt"]   # nothing installed
    with pytest.raises(SystemExit) as info:
        main(["--fetch-deps", str(dest), "--quiet"])
    assert "not the pinned" in str(info.value)


def test_integrity_is_npms_sha512():
    data = b"some tarball"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    _js_deps.check_integrity(data, integrity, "x")
    with pytest.raises(_js_deps.IntegrityError):
        _js_deps.check_integrity(data + b"!", integrity, "x")
