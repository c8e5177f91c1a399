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

The page waits as long as its scripts take to load (``waitSeconds: 0``:
no "Load timeout for modules" on a busy machine) and, if one cannot be
loaded, says which in a red box where the widgets would be.

require.js and embed-amd.js are not in the wheel: the package downloads the
pinned npm tarballs (sha512-checked) into a user cache on first need, or
uses ``$SEERNN_JS_DEPS`` / ``<venv>/share/seernn_widgets/`` when they hold
them (see `seernn_widgets._js_deps`).  ``inline=True`` puts everything
in the one HTML file instead (scripts as data: URLs; the icon fonts are
left out, so Font Awesome icons, if any, do not show).

A notebook that is run first runs with ``TF_CPP_MIN_LOG_LEVEL=2`` (unless
set), and TensorFlow/absl INFO and WARNING log lines are dropped from every
cell's stderr in the page (errors, tracebacks and other text stay).  One
progress line per cell goes to stderr (``progress=``).

From the command line (a notebook without saved widget state is run first)::

    python -m seernn_widgets.export notebooks/quickstart.ipynb quickstart.html [--inline]
    python -m seernn_widgets.export --fetch-deps [DIR]   # download require.js etc. now
"""
import base64
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import quote

from . import _js_deps
from ._tf_logs import LEVEL_VAR, drop_log_noise

__all__ = ["export_html"]

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_CORE_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls",
                 "@jupyter-widgets/output"}   # built into embed-amd.js
_DEFINE = re.compile(r'define\(\s*\[([^\]]*)\]')
# a module a bundle loads later, e.g. bqplot-image-gl's require(["bqplot-gl"])
_LATE_REQUIRE = re.compile(r'\(\s*\[\s*"([A-Za-z0-9@/_.-]+)"\s*\]')


def _prefix():
    return Path(sys.prefix)


def nbextensions_dir():
    """Where the wheels installed their AMD front-ends."""
    for base in (_prefix(), Path(sys.base_prefix)):
        folder = base / "share" / "jupyter" / "nbextensions"
        if folder.is_dir():
            return folder
    return _prefix() / "share" / "jupyter" / "nbextensions"


def _npm_files(report=None):
    """(require.js, embed-amd.js), downloaded first if need be."""
    deps = _js_deps.ensure(report=report)
    return deps / "require.js", deps / "html-manager" / "embed-amd.js"


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


def _scripts(state, files_dir, rel, inline, report):
    """Provide require.js, embed-amd.js and the bundles ``state`` needs;
    return (HTML for the page's head, URL of embed-amd.js).

    Not ``inline``: copied into ``files_dir`` (replaced if present), which
    the page reaches as ``rel``.  ``inline``: require.js in the page, the
    others as data: URLs (the icon fonts of embed-amd.js are left out)."""
    requirejs, embed = _npm_files(report)
    modules = _modules(state)
    if inline:
        paths = {m: _data_url(p) for m, p in modules.items()}
        head = (_error_script(None) + f"<script>\n{_script_text(requirejs)}\n</script>\n")
        return head + _require_config(paths), _data_url(embed)

    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir(parents=True)
    shutil.copy2(requirejs, files_dir / "require.js")
    shutil.copytree(embed.parent, files_dir / "html-manager",
                    ignore=shutil.ignore_patterns("*.map", "package.json"))
    (files_dir / "LICENSES.txt").write_text(_js_deps.LICENSES, encoding="utf-8")
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
    head = (_error_script(files_dir.name)
            + f'<script src="{html.escape(rel)}/require.js"></script>\n')
    return head + _require_config(paths), f"{rel}/html-manager/embed-amd.js"


def _require_config(paths):
    """Each widget module name -> its local copy, so html-manager's loader
    (which asks requirejs first) never falls back to a CDN.  waitSeconds 0:
    a bundle that takes more than requirejs' default 7 s (a busy machine, a
    slow share) is waited for rather than reported as a load timeout."""
    config = {"paths": paths, "waitSeconds": 0}
    return ("<script>\n"
            f"if (window.requirejs) {{\n  requirejs.config({_js(config)});\n"
            "  requirejs.onError = seernnExportError.requireError;\n"
            "  requirejs.onResourceLoad = seernnExportError.loaded;\n}\n"
            "</script>\n")


# Before require.js, so that its own failure is caught too.  A script that
# fails (requirejs marks its modules' scripts with data-requiremodule), a
# requirejs error nobody handles and a rejected render all end in one red
# box, before the first widget view, that names the module; a module that
# loads after all (html-manager retries a CDN when online) takes its line
# back out.
_ERROR_JS = r"""
window.seernnExportError = (function () {
  var folder = %(folder)s, lines = {};
  function box() {
    var el = document.getElementById("seernn-export-error");
    if (el) return el;
    el = document.createElement("div");
    el.id = "seernn-export-error";
    el.className = "seernn-export-error";
    el.setAttribute("role", "alert");
    el.style.cssText = "border:2px solid #c62828;background:#fff4f4;color:#7f0000;" +
      "padding:8px 12px;margin:8px 0;font:14px/1.45 sans-serif;white-space:pre-wrap";
    var head = document.createElement("strong");
    head.textContent = "Some widgets on this page could not be shown.";
    el.appendChild(head);
    var view = document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]');
    var parent = view ? view.parentNode : document.body;
    parent.insertBefore(el, view || parent.firstChild);
    return el;
  }
  function show(key, text) {
    if (lines[key]) return;
    var line = document.createElement("div");
    line.textContent = text;
    lines[key] = line;
    var put = function () { if (lines[key] === line) box().appendChild(line); };
    if (document.body) put(); else document.addEventListener("DOMContentLoaded", put);
  }
  function where(src) {
    if (!src) return "";
    if (src.indexOf("data:") === 0) return " (inlined in this page)";
    try { src = decodeURI(src); } catch (e) {}
    return " from " + src;
  }
  var hint = folder ? " Keep the folder " + folder + "/ next to this page, complete," +
    " or export the page again." : " Export the page again.";
  function failed(module, detail) {
    show("module:" + module, 'The widget module "' + module + '" could not be loaded' +
      detail + "." + hint);
  }
  document.addEventListener("error", function (event) {
    var el = event.target;
    if (!el || el.tagName !== "SCRIPT") return;
    var module = el.getAttribute("data-requiremodule"), src = el.getAttribute("src");
    if (module) failed(module, where(src));
    else show("script:" + src, "The script" + where(src) + " could not be loaded." + hint);
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    var err = event.reason || {}, mods = err.requireModules;
    if (mods && mods.length) failed(mods[0], ": " + (err.message || err));
    else show("render:" + (err.message || err), "Rendering the widgets failed: " +
      (err.message || String(err)));
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.requirejs && !Object.keys(lines).length)
      show("require", "require.js did not load." + hint);
  });
  return {
    requireError: function (err) {
      var mods = err.requireModules || [];
      if (mods.length) failed(mods[0], ": " + err.message);
      else show("require:" + err.message, "A script failed: " + err.message);
      if (window.console) console.error(err);
    },
    loaded: function (context, map) {
      var line = lines["module:" + map.id];
      if (!line) return;
      delete lines["module:" + map.id];
      if (line.parentNode) line.parentNode.removeChild(line);
      var el = document.getElementById("seernn-export-error");
      if (el && el.childNodes.length === 1) el.parentNode.removeChild(el);
    }
  };
}());
"""


def _error_script(folder):
    return f"<script>{_ERROR_JS % {'folder': _js(folder)}}</script>\n"


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


def _export_widgets(widgets, path, files_dir, rel, inline, title, report):
    from ipywidgets import embed

    # drop_defaults=False: anywidget's _esm is a trait default, and the page
    # knows no Python defaults
    state = embed.dependency_state(widgets, drop_defaults=False)
    head, renderer = _scripts(state, files_dir, rel, inline, report)
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


def _execute(nb, folder, timeout, report):
    """Run ``nb`` in a python3 kernel, one progress line per code cell."""
    from nbclient import NotebookClient

    cells = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and cell.source.strip()]
    start = time.monotonic()

    def on_cell_execute(cell, cell_index):
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        first = first if len(first) <= 60 else first[:57] + "..."
        number = cells.index(cell_index) + 1 if cell_index in cells else "?"
        report(f"[{number}/{len(cells)}] {time.monotonic() - start:5.1f} s  {first}")

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}},
                            store_widget_state=True, on_cell_execute=on_cell_execute)
    # the kernel's TensorFlow logs errors only, unless the user chose a level
    env = dict(os.environ)
    env.setdefault(LEVEL_VAR, "2")
    report(f"running {len(cells)} code cells in a python3 kernel (timeout {timeout} s per cell)")
    client.execute(env=env)
    report(f"ran the notebook in {time.monotonic() - start:.1f} s")
    return nb


def _drop_log_lines(nb):
    """TensorFlow/absl INFO and WARNING lines out of every stderr stream
    output; error outputs, tracebacks and any other text stay."""
    for cell in nb.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = drop_log_noise(output.get("text", ""))
                if not output["text"]:
                    continue
            outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs
    return nb


def _export_notebook(src, path, files_dir, rel, inline, execute, timeout, report):
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(src), as_version=4)
    if execute is True or (execute is None and not _saved_state(nb)):
        report(f"running {src.name} to get its widget state")
        nb = _execute(nb, src.parent, timeout, report)
    state = _saved_state(nb)
    if not state:
        raise ValueError(f"{src} has no widget state to export (run it and save "
                         f"it with its widget state, or pass execute=True)")
    _drop_log_lines(nb)
    head, renderer = _scripts(state, files_dir, rel, inline, report)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"seernn_export.html.j2": _TEMPLATE})],
        template_file="seernn_export.html.j2",
        widget_renderer_url=renderer)
    body, _ = exporter.from_notebook_node(
        nb, resources={"seernn_head": head, "metadata": {"name": src.stem}})
    path.write_text(body, encoding="utf-8")


# ---------------------------------------------------------------- entry point


def _reporter(progress):
    if callable(progress):
        return progress
    if progress:
        def report(line):
            print(f"export_html: {line}", file=sys.stderr, flush=True)
        return report
    return lambda line: None


def export_html(widgets_or_notebook, path, *, inline=False, execute=None, timeout=600,
                title=None, progress=True):
    """Write ``path`` (HTML) and ``<stem>_files/`` next to it: a page that
    shows the widgets with no kernel and no network.  Returns ``path``.

    ``widgets_or_notebook``: a widget, a list of widgets, or the path of a
    ``.ipynb``.  A notebook without saved widget state is executed first
    (nbclient, kernel ``python3``, in the notebook's folder, with
    ``TF_CPP_MIN_LOG_LEVEL=2`` unless set) and the file is left unchanged;
    ``execute=True`` always runs it, ``execute=False`` never.  TensorFlow's
    INFO/WARNING log lines are left out of the page's cell outputs.
    Open the page from disk (``file://``) or any static web server, with
    ``<stem>_files/`` beside it.  ``inline=True`` writes one self-contained
    file instead (scripts as data: URLs, ~+5 MB; widget icon fonts left out).

    ``progress``: ``True`` prints a line per step that takes time (a
    download of require.js/html-manager, each notebook cell run) to stderr,
    ``False`` nothing; a callable gets each line instead.

    Example::

        export_html([Features2D(insp, "lstm")], "lstm.html")
        export_html("notebooks/quickstart.ipynb", "out/quickstart.html", execute=True)
    """
    report = _reporter(progress)
    _npm_files(report)   # fail (or download) before running a notebook
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
        _export_notebook(src.resolve(), path, files_dir, rel, inline, execute, timeout, report)
        report(f"wrote {path}" + ("" if inline else f" and {files_dir.name}/"))
    else:
        widgets = (list(widgets_or_notebook)
                   if isinstance(widgets_or_notebook, (list, tuple)) else [widgets_or_notebook])
        if not widgets:
            raise ValueError("no widgets to export")
        _export_widgets(widgets, path, files_dir, rel, inline, title or path.stem, report)
    return path


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m seernn_widgets.export",
        description="Export a notebook's widgets to an HTML page that needs no "
                    "kernel and no network (plus <stem>_files/ beside it).")
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("html", nargs="?")
    parser.add_argument("--execute", action="store_true",
                        help="run the notebook first even if it has widget state")
    parser.add_argument("--inline", action="store_true",
                        help="one self-contained HTML file (no <stem>_files/)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--fetch-deps", nargs="?", const="", metavar="DIR",
                        help="only download require.js and @jupyter-widgets/html-manager "
                             "(pinned, sha512-checked) into DIR (default: where "
                             "export_html looks: $SEERNN_JS_DEPS, else the user cache)")
    args = parser.parse_args(argv)
    report = _reporter(not args.quiet)
    try:
        if args.fetch_deps is not None:
            if args.notebook:
                parser.error("--fetch-deps takes no notebook")
            dest = Path(args.fetch_deps) if args.fetch_deps else _js_deps.find()
            if _js_deps.is_complete(dest):
                os.utime(dest / "VERSIONS")   # make's stamp
                report(f"up to date: {dest}")
            else:
                _js_deps.fetch(dest, report=report)
            print(dest)
            return
        if not (args.notebook and args.html):
            parser.error("give a notebook and an html path (or --fetch-deps)")
        out = export_html(args.notebook, args.html, inline=args.inline,
                          execute=True if args.execute else None, progress=not args.quiet)
    except _js_deps.JSDepsError as exc:
        sys.exit(f"error: {exc}")
    print(out)


if __name__ == "__main__":
    main()
