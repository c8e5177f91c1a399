from pathlib import Path

from setuptools import find_packages, setup
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


setup(
    cmdclass={"build_py": BuildPyWithJS},
    name="seernn_widgets",
    version="0.1.0",
    description="Live, interactive RNN introspection for Jupyter (Keras 3, bqplot)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["seernn_widgets", "seernn_widgets.*"]),
    package_data={"seernn_widgets": ["static/*"]},
    python_requires=">=3.11,<3.14",
    install_requires=[
        "tensorflow-cpu>=2.16,<2.22; platform_machine=='x86_64'",
        "tensorflow>=2.16,<2.22; platform_machine!='x86_64'",
        "keras>=3.12.1,<4",   # earlier 3.x: published safe_mode bypasses
        "numpy>=2,<3",
        "traitlets>=5,<6",
        "ipywidgets>=8,<9",
        "bqplot>=0.13,<0.14",
        "bqplot-image-gl>=1.10,<2",
        "bqplot-gl>=0.1.1,<0.2",
        "anywidget>=0.11,<0.12",
    ],
    extras_require={
        "dev": [
            "jupyterlab>=4.4,<5",
            "ipykernel>=7,<8",
            "nbclient>=0.10,<0.12",
            "nbconvert>=7,<8",
            "nbformat>=5,<6",
            "playwright>=1.50,<2",
            "pillow>=10",
            "pytest>=8,<10",
        ],
    },
)
