"""`export_html`: widgets or a notebook as an HTML page that needs no kernel
and no network.

The page is ``path`` plus a folder next to it, ``<stem>_files/``, holding
everything its scripts load (nothing comes from a CDN)::

    <stem>_files/require.js               requirejs (npm)
    <stem>_files/html-manager/embed-amd.js @jupyter-widgets/html-manager (npm),
                                          with its icon fonts
    <stem>_files/nbextensions/<module>/index.js
                                          the AMD front-end the wheel installed
                                          in <venv>/share/jupyter/nbextensions/
                                          (bqplot, bqscales, bqplot-image-gl,
                                          anywidget, ...), only those the
                                          widget state uses

A ``require.config`` in the page maps each widget module name to its local
copy, so html-manager's loader finds it there before it would try a CDN.
Our anywidget module travels in the widget state (``_esm``), so the
controls that `BrowserSlicer` handles in the page (e.g. the `Features2D`
sample slider) keep working; controls that need Python do nothing.

require.js and embed-amd.js are fetched once by ``scripts/fetch-js-deps``
(run by ``make venv``) into ``<venv>/share/seernn_widgets/``.  Set
``SEERNN_JS_DEPS`` to use another folder.  ``inline=True`` puts everything
in the one HTML file instead (scripts as data: URLs; the icon fonts are
left out, so Font Awesome icons, if any, do not show).

From the command line (a notebook without saved widget state is run first)::

    python -m seernn_widgets.export notebooks/quickstart.ipynb quickstart.html [--inline]
"""
import base64
import html
import json
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

__all__ = ["export_html"]

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
FETCH_COMMAND = "scripts/fetch-js-deps` (or `make venv`"
_CORE_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls",
                 "@jupyter-widgets/output"}   # built into embed-amd.js
_DEFINE = re.compile(r'define\(\s*\[([^\]]*)\]')
# a module a bundle loads later, e.g. bqplot-image-gl's require(["bqplot-gl"])
_LATE_REQUIRE = re.compile(r'\(\s*\[\s*"([A-Za-z0-9@/_.-]+)"\s*\]')


def _prefix():
    return Path(sys.prefix)


def js_deps_dir():
    """Where scripts/fetch-js-deps put require.js and html-manager/."""
    env = os.environ.get("SEERNN_JS_DEPS")
    return Path(env) if env else _prefix() / "share" / "seernn_widgets"


def nbextensions_dir():
    """Where the wheels installed their AMD front-ends."""
    for base in (_prefix(), Path(sys.base_prefix)):
        folder = base / "share" / "jupyter" / "nbextensions"
        if folder.is_dir():
            return folder
    return _prefix() / "share" / "jupyter" / "nbextensions"


def _need(path, what):
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"export_html needs {what}, and {path} is missing. Fetch it with "
            f"`{FETCH_COMMAND}) in the seernn_widgets checkout (it runs `npm pack`), "
            f"or set SEERNN_JS_DEPS to a folder holding require.js and "
            f"html-manager/embed-amd.js.")
    return Path(path)


def _npm_files():
    deps = js_deps_dir()
    return (_need(deps / "require.js", "require.js (npm requirejs)"),
            _need(deps / "html-manager" / "embed-amd.js",
                  "embed-amd.js (npm @jupyter-widgets/html-manager)"))


def _bundle(module):
    path = nbextensions_dir() / module / "index.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"the widget state uses the front-end module {module!r}, but {path} is "
            f"missing: install the Python package that provides it (its wheel "
            f"puts the bundle under share/jupyter/nbextensions/{module}/).")
    return path


def _modules(state):
    """Front-end modules the widget state needs, with the modules their
    bundles `define` on (bqplot-image-gl needs bqplot)."""
    todo = {m for model in state.values()
            for m in (model.get("model_module"), model.get("state", {}).get("_view_module"))
            if m and m not in _CORE_MODULES}
    done = {}
    while todo:
        module = todo.pop()
        path = _bundle(module)
        done[module] = path
        text = path.read_text(encoding="utf-8", errors="replace")
        match = _DEFINE.search(text)
        deps = json.loads(f"[{match.group(1)}]") if match else []
        deps += [name for name in _LATE_REQUIRE.findall(text)
                 if (nbextensions_dir() / name / "index.js").is_file()]
        todo |= {d for d in deps if d not in _CORE_MODULES and d not in done}
    return done


def _scripts(state, files_dir, rel, inline):
    """Provide require.js, embed-amd.js and the bundles ``state`` needs;
    return (HTML for the page's head, URL of embed-amd.js).

    Not ``inline``: copied into ``files_dir`` (replaced if present), which
    the page reaches as ``rel``.  ``inline``: require.js in the page, the
    others as data: URLs (the icon fonts of embed-amd.js are left out)."""
    requirejs, embed = _npm_files()
    modules = _modules(state)
    if inline:
        paths = {m: _data_url(p) for m, p in modules.items()}
        head = f"<script>\n{_script_text(requirejs)}\n</script>\n"
        return head + _require_config(paths), _data_url(embed)

    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir(parents=True)
    shutil.copy2(requirejs, files_dir / "require.js")
    shutil.copytree(embed.parent, files_dir / "html-manager",
                    ignore=shutil.ignore_patterns("*.map"))
    for module, path in modules.items():
        dest = files_dir / "nbextensions" / module
        dest.mkdir(parents=True)
        shutil.copy2(path, dest / "index.js")
        for extra in path.parent.glob("*.LICENSE.txt"):
            shutil.copy2(extra, dest / extra.name)
    paths = {m: f"{rel}/nbextensions/{quote(m)}/index" for m in modules}
    # embed-amd.js finds its icon fonts next to the URL requirejs would give
    # its named modules (@jupyter-widgets/html-manager/dist/..., and
    # @jupyter-widgets/...); both point at html-manager/.
    paths["@jupyter-widgets/html-manager/dist"] = f"{rel}/html-manager"
    paths["@jupyter-widgets"] = f"{rel}/html-manager"
    head = f'<script src="{html.escape(rel)}/require.js"></script>\n'
    return head + _require_config(paths), f"{rel}/html-manager/embed-amd.js"


def _require_config(paths):
    """Each widget module name -> its local copy, so html-manager's loader
    (which asks requirejs first) never falls back to a CDN."""
    return f"<script>\nrequire.config({_js({'paths': paths})});\n</script>\n"


def _data_url(path):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:text/javascript;base64,{data}"


def _script_text(path):
    text = Path(path).read_text(encoding="utf-8")
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.I)


def _js(value):
    """JSON that is safe inside a <script> element."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def _widget_state(state):
    return {"version_major": 2, "version_minor": 0, "state": state}


# ---------------------------------------------------------------- widgets

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{head}</head>
<body>
<script type="{state_mime}">
{state}
</script>
{views}
{renderer}</body>
</html>
"""


def _export_widgets(widgets, path, files_dir, rel, inline, title):
    from ipywidgets import embed

    # drop_defaults=False: anywidget's _esm is a trait default, and the page
    # knows no Python defaults
    state = embed.dependency_state(widgets, drop_defaults=False)
    head, renderer = _scripts(state, files_dir, rel, inline)
    views = "\n".join(
        f'<div class="seernn-widget">\n<script type="{VIEW_MIME}">\n'
        f'{_js({"version_major": 2, "version_minor": 0, "model_id": w.model_id})}\n'
        f"</script>\n</div>" for w in widgets)
    path.write_text(_PAGE.format(
        title=html.escape(title), head=head, state_mime=STATE_MIME,
        state=_js(_widget_state(state)), views=views,
        renderer=f'<script src="{html.escape(renderer)}"></script>\n'),
        encoding="utf-8")


# ---------------------------------------------------------------- notebooks

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}
{{ resources.seernn_head | safe }}
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""


def _saved_state(nb):
    return nb.metadata.get("widgets", {}).get(STATE_MIME, {}).get("state", {})


def _execute(nb, folder, timeout):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}},
                            store_widget_state=True)
    client.execute()
    return nb


def _export_notebook(src, path, files_dir, rel, inline, execute, timeout):
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(src), as_version=4)
    if execute is True or (execute is None and not _saved_state(nb)):
        unset = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # the kernel inherits it
        try:
            nb = _execute(nb, src.parent, timeout)
        finally:
            if unset:
                os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    state = _saved_state(nb)
    if not state:
        raise ValueError(f"{src} has no widget state to export (run it and save "
                         f"it with its widget state, or pass execute=True)")
    head, renderer = _scripts(state, files_dir, rel, inline)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"seernn_export.html.j2": _TEMPLATE})],
        template_file="seernn_export.html.j2",
        widget_renderer_url=renderer)
    body, _ = exporter.from_notebook_node(
        nb, resources={"seernn_head": head, "metadata": {"name": src.stem}})
    path.write_text(body, encoding="utf-8")


# ---------------------------------------------------------------- entry point


def export_html(widgets_or_notebook, path, *, inline=False, execute=None, timeout=600,
                title=None):
    """Write ``path`` (HTML) and ``<stem>_files/`` next to it: a page that
    shows the widgets with no kernel and no network.  Returns ``path``.

    ``widgets_or_notebook``: a widget, a list of widgets, or the path of a
    ``.ipynb``.  A notebook without saved widget state is executed first
    (nbclient, kernel ``python3``, in the notebook's folder) and the file is
    left unchanged; ``execute=True`` always runs it, ``execute=False`` never.
    Open the page from disk (``file://``) or any static web server, with
    ``<stem>_files/`` beside it.  ``inline=True`` writes one self-contained
    file instead (scripts as data: URLs, ~+5 MB; widget icon fonts left out).
    """
    _npm_files()   # fail before running a notebook
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    files_dir = path.with_name(f"{path.stem}_files")
    rel = quote(files_dir.name)
    if isinstance(widgets_or_notebook, (str, os.PathLike)):
        src = Path(widgets_or_notebook)
        if src.suffix != ".ipynb":
            raise ValueError(f"{src} is not a notebook (.ipynb)")
        if not src.is_file():
            raise FileNotFoundError(src)
        _export_notebook(src.resolve(), path, files_dir, rel, inline, execute, timeout)
    else:
        widgets = (list(widgets_or_notebook)
                   if isinstance(widgets_or_notebook, (list, tuple)) else [widgets_or_notebook])
        if not widgets:
            raise ValueError("no widgets to export")
        _export_widgets(widgets, path, files_dir, rel, inline, title or path.stem)
    return path


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m seernn_widgets.export",
        description="Export a notebook's widgets to an HTML page that needs no "
                    "kernel and no network (plus <stem>_files/ beside it).")
    parser.add_argument("notebook")
    parser.add_argument("html")
    parser.add_argument("--execute", action="store_true",
                        help="run the notebook first even if it has widget state")
    parser.add_argument("--inline", action="store_true",
                        help="one self-contained HTML file (no <stem>_files/)")
    args = parser.parse_args(argv)
    out = export_html(args.notebook, args.html, inline=args.inline,
                      execute=True if args.execute else None)
    print(out)


if __name__ == "__main__":
    main()
