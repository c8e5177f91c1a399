"""require.js and @jupyter-widgets/html-manager for exported pages.

The two npm packages are not in the wheel (together ~5.4 MB of tarballs;
the wheel stays small).  `ensure` finds them, in this order:

1. ``$SEERNN_JS_DEPS``, if set (a folder holding ``require.js`` and
   ``html-manager/embed-amd.js``; fetched into if incomplete);
2. ``<venv>/share/seernn_widgets/`` (what ``make venv`` fetches in a checkout);
3. a user cache folder (`cache_dir`), fetched into on first need.

Fetching downloads the pinned tarballs from the npm registry
(``$SEERNN_NPM_REGISTRY`` for a mirror) and refuses any whose sha512 is not
the pinned one.  Ahead of time (e.g. before going offline)::

    python -m seernn_widgets.export --fetch-deps [DIR]
"""
import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["JSDepsError", "IntegrityError", "ensure", "fetch", "find", "cache_dir"]

REGISTRY = "https://registry.npmjs.org"
# name: (version, tarball path on the registry, npm's "dist.integrity")
PACKAGES = {
    "requirejs": (
        "2.3.8", "requirejs/-/requirejs-2.3.8.tgz",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="),
    "@jupyter-widgets/html-manager": (   # @jupyter-widgets/base 6 = ipywidgets 8
        "1.0.15", "@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="),
}
# the stamp a complete folder carries (the format scripts/fetch-js-deps wrote)
VERSIONS = (f"html-manager {PACKAGES['@jupyter-widgets/html-manager'][0]}\n"
            f"requirejs {PACKAGES['requirejs'][0]}")
_ENTRIES = ("require.js", "html-manager", "LICENSES.txt")
_DIST_SKIP = (".map", "/embed.js", "/libembed-amd.js")   # not used by the page
FETCH_HINT = ("run `python -m seernn_widgets.export --fetch-deps` once with network "
              "access (it downloads the pinned npm tarballs of requirejs and "
              "@jupyter-widgets/html-manager, ~5 MB, into {cache}), or set SEERNN_JS_DEPS "
              "to a folder holding require.js and html-manager/embed-amd.js (e.g. one "
              "fetched on another machine)")

LICENSES = """\
The scripts in this folder come from npm, unchanged:

require.js: requirejs {requirejs}, https://github.com/requirejs/requirejs
  MIT License. Copyright jQuery Foundation and other contributors, https://jquery.org/

html-manager/: @jupyter-widgets/html-manager {html_manager}, https://github.com/jupyter-widgets/ipywidgets
  BSD 3-Clause License. Copyright (c) 2015 Project Jupyter Contributors. All rights reserved.
  The libraries bundled into embed-amd.js keep their own notices: html-manager/embed.js.LICENSE.txt
  nbextensions/<module>/: the widget libraries' own bundles, with their *.LICENSE.txt files.

--- MIT License (requirejs)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

--- BSD 3-Clause License (@jupyter-widgets/html-manager)

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
""".format(requirejs=PACKAGES["requirejs"][0],
           html_manager=PACKAGES["@jupyter-widgets/html-manager"][0])


class JSDepsError(RuntimeError):
    """require.js / embed-amd.js are not here and could not be fetched."""


class IntegrityError(JSDepsError):
    """A downloaded tarball is not the pinned one."""


def cache_dir():
    """The user cache folder for the pinned versions (XDG_CACHE_HOME,
    ~/Library/Caches, %LOCALAPPDATA%)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = VERSIONS.replace("\n", "-").replace(" ", "-")
    return base / "seernn_widgets" / f"js-deps-{tag}"


def venv_dir():
    return Path(sys.prefix) / "share" / "seernn_widgets"


def is_complete(folder, stamped=True):
    folder = Path(folder)
    needed = (folder / "require.js", folder / "html-manager" / "embed-amd.js")
    if not all(path.is_file() for path in needed):
        return False
    if not stamped:
        return True
    try:
        return (folder / "VERSIONS").read_text(encoding="utf-8").strip() == VERSIONS
    except OSError:
        return False


def find():
    """The folder to use: complete, or the one `ensure` would fetch into."""
    env = os.environ.get("SEERNN_JS_DEPS")
    if env:
        return Path(env)
    if is_complete(venv_dir()):
        return venv_dir()
    return cache_dir()


def ensure(report=None):
    """The folder holding require.js and html-manager/embed-amd.js, fetched
    into `find()` first if they are missing there.  ``report(text)`` hears
    about a download."""
    folder = find()
    # SEERNN_JS_DEPS may be filled by hand (no VERSIONS stamp)
    if is_complete(folder, stamped=not os.environ.get("SEERNN_JS_DEPS")):
        return folder
    return fetch(folder, report=report)


def _registry():
    return (os.environ.get("SEERNN_NPM_REGISTRY") or REGISTRY).rstrip("/")


def _download(url, timeout=60):
    request = urllib.request.Request(url, headers={"User-Agent": "seernn_widgets"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def check_integrity(data, integrity, what):
    """Raise IntegrityError unless ``data`` has npm's ``sha512-<base64>`` digest."""
    algo, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode("ascii")
    if actual != expected:
        raise IntegrityError(
            f"{what}: the downloaded tarball's {algo} is {actual}, not the pinned "
            f"{expected}; nothing was installed. A proxy or mirror may have changed it.")


def _members(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                yield member.name, tar.extractfile(member).read()


def fetch(dest, report=None):
    """Download, check and unpack the pinned tarballs into ``dest`` (only its
    require.js, html-manager/, LICENSES.txt and VERSIONS are replaced).
    Returns ``dest``."""
    dest = Path(dest)
    registry = _registry()
    tarballs = {}
    for name, (version, tail, integrity) in PACKAGES.items():
        url = f"{registry}/{tail}"
        if report:
            report(f"downloading {name}@{version} ({url})")
        try:
            data = _download(url)
        except (urllib.error.URLError, OSError) as exc:
            raise JSDepsError(
                f"export_html needs require.js and html-manager/embed-amd.js, which are "
                f"not in {dest}, and downloading {url} failed ({exc}). To fix: "
                + FETCH_HINT.format(cache=cache_dir())) from exc
        check_integrity(data, integrity, f"{name}@{version} from {url}")
        tarballs[name] = data

    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest))
    try:
        for path, data in _members(tarballs["requirejs"]):
            if path == "package/require.js":
                (tmp / "require.js").write_bytes(data)
        (tmp / "html-manager").mkdir()
        for path, data in _members(tarballs["@jupyter-widgets/html-manager"]):
            if (path.startswith("package/dist/") and path.count("/") == 2
                    and not path.endswith(_DIST_SKIP)) or path == "package/package.json":
                (tmp / "html-manager" / path.rsplit("/", 1)[1]).write_bytes(data)
        (tmp / "LICENSES.txt").write_text(LICENSES, encoding="utf-8")
        if not is_complete(tmp, stamped=False):
            raise JSDepsError(f"the pinned tarballs lack require.js or dist/embed-amd.js "
                              f"(registry {registry})")
        (dest / "VERSIONS").unlink(missing_ok=True)   # incomplete until stamped again
        for entry in _ENTRIES:
            target = dest / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            os.replace(tmp / entry, target)
        (dest / "VERSIONS").write_text(VERSIONS + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if report:
        report(f"require.js and html-manager/embed-amd.js are in {dest}")
    return dest

