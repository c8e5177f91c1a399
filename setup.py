"""The project's metadata is in pyproject.toml; this adds the one build step
it cannot declare: the wheel carries the ES module sources js/*.js."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithJS(build_py):
    """Copy the ES module sources js/*.js into the built package's static/,
    so a wheel carries them (a source checkout serves js/ directly)."""

    def run(self):
        super().run()
        if self.editable_mode:   # the editable install reads js/ in place
            return
        target = Path(self.build_lib) / "seernn_widgets" / "static"
        self.mkpath(str(target))
        for source in sorted((HERE / "js").glob("*.js")):
            self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildPyWithJS})
