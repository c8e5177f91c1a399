"""TensorFlow's C++ log lines stay out of users' cells and exported pages;
real errors do not (issue 11 items 9 and 10)."""
import base64
import os
import subprocess
import sys

import nbformat
import pytest

import seernn_widgets._tf_logs
from seernn_widgets._tf_logs import drop_log_noise, is_log_noise
from seernn_widgets.export import export_html

TF_LOGS = seernn_widgets._tf_logs.__file__
NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796195454.318189    9161 port.cc:153] oneDNN custom operations are on. You "
    "may see slightly different numerical results due to floating-point round-off errors.",
    "I0000 00:00:1796195454.441302    9161 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "W0000 00:00:1796195454.441302    9161 op_kernel.cc:1857] OP_REQUIRES failed at gather_op.cc",
    "2026-01-30 22:44:42.456316: I tensorflow/core/util/port.cc:153] oneDNN custom operations",
]
KEPT = [
    "E0000 00:00:1796195454.441302    9161 cuda_dnn.cc:8579] Unable to register cuDNN factory",
    "F0000 00:00:1796195454.441302    9161 status.cc:12] Check failed: x",
    "2026-01-30 22:44:42.456316: E tensorflow/core/kernels/x.cc:1] real error",
    "UserWarning: something the user should read",
    "I think the model is fine",
]
TF_LINES = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard",
            "rebuild TensorFlow with the appropriate compiler flags")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(extra)
    return env


def _python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=_env(**env))


def test_log_lines_below_the_level_are_noise_errors_are_not():
    for line in NOISE:
        assert is_log_noise(line + "\n"), line
    for line in KEPT:
        assert not is_log_noise(line), line
    assert not is_log_noise(NOISE[1], level=0)
    assert is_log_noise(KEPT[0], level=3) and not is_log_noise(KEPT[1], level=3)
    text = "\n".join(NOISE[:3] + KEPT[:1] + NOISE[3:] + KEPT[1:]) + "\n"
    assert drop_log_noise(text) == "\n".join(KEPT) + "\n"


def test_importing_the_package_prints_no_tensorflow_log_lines_but_errors_show():
    out = _python("import os, seernn_widgets, tensorflow as tf\n"
                  "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], float(tf.reduce_sum(tf.ones(3))))\n"
                  "tf.gather(tf.constant([1, 2]), 5)   # a real error\n")
    assert out.stdout.split() == ["2", "3.0"], out.stderr
    assert not [line for line in out.stderr.splitlines() if any(s in line for s in TF_LINES)], \
        out.stderr
    assert out.returncode != 0
    assert "InvalidArgumentError" in out.stderr and "indices = 5 is not in [0, 2)" in out.stderr


def test_a_level_the_user_chose_is_kept():
    out = _python("import os, seernn_widgets, tensorflow\n"
                  "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])", TF_CPP_MIN_LOG_LEVEL="0")
    assert out.stdout.strip() == "0"
    assert "oneDNN custom operations are on" in out.stderr   # asked for, shown


def test_the_filter_passes_errors_and_other_bytes_of_descriptor_2_through():
    code = ("import importlib.util, os, sys\n"   # the module alone: no TensorFlow import
            f"spec = importlib.util.spec_from_file_location('tf_logs', {TF_LOGS!r})\n"
            "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
            "filtered_stderr_fd = module.filtered_stderr_fd\n"
            f"noise, kept = {NOISE!r}, {KEPT!r}\n"
            "with filtered_stderr_fd(2):\n"
            "    for a, b in zip(noise, kept):\n"
            "        os.write(2, (a + '\\n' + b + '\\n').encode())\n"
            "    os.write(2, b'no newline at the end')\n"
            "print('python stderr after', file=sys.stderr)\n")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "\n".join(KEPT) + "\nno newline at the endpython stderr after\n"


def _b64(lines):
    return base64.b64encode("".join(line + "\n" for line in lines).encode()).decode()


@pytest.fixture(scope="module")
def tiny_notebook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# tiny"),
        nbformat.v4.new_code_cell(
            "import base64, os, sys\n"
            "print('level', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))\n"
            # written as C++ code writes (descriptor 2), and kept out of the source
            f"os.write(2, base64.b64decode({_b64(NOISE)!r}))\n"
            "print('a real warning for the reader', file=sys.stderr)"),
        nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(4)"),
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
    ]
    path = folder / "tiny.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_exported_notebook_shows_progress_and_no_tensorflow_log_lines(tiny_notebook, monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    lines = []
    out = export_html(tiny_notebook, tiny_notebook.with_name("tiny.html"), progress=lines.append)
    text = out.read_text(encoding="utf-8")
    for noise in TF_LINES:
        assert noise not in text, noise
    assert "level 2" in text                            # the kernel's TF logs errors only
    assert "a real warning for the reader" in text      # other stderr text stays
    assert "ZeroDivisionError" in text                  # and errors
    cells = [line for line in lines if line.startswith("[")]
    assert [c.split("]")[0] for c in cells] == ["[1/3", "[2/3", "[3/3"], lines
    assert cells[1].endswith("import ipywidgets")
    assert lines[-1].startswith("wrote ") and lines[-1].endswith("tiny_files/")
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ     # the test process is left alone


def test_progress_goes_to_stderr_unless_turned_off(tiny_notebook, capsys):
    export_html(tiny_notebook, tiny_notebook.with_name("again.html"), execute=True)
    err = capsys.readouterr().err
    assert "export_html: [3/3]" in err and "export_html: wrote" in err
    export_html(tiny_notebook, tiny_notebook.with_name("quiet.html"), execute=True,
                progress=False)
    assert capsys.readouterr().err == ""
