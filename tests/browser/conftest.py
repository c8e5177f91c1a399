"""Fixtures for real-browser tests: one JupyterLab server and one Chromium per
session, a fresh page per test (see lab.py for the helpers)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as labmod  # noqa: E402

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test in this folder is a `browser` test (`make test-fast` leaves them out)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A running ``lab.Lab`` (``.url``, ``.token``, ``.root_dir``) serving a tmp dir."""
    if not os.path.exists(labmod.CHROMIUM):
        pytest.fail(f"{labmod.CHROMIUM} is missing: `make test` installs it "
                    f"(scripts/ensure-system-packages)")
    with labmod.running_lab(tmp_path_factory.mktemp("lab-root")) as server:
        yield server


@pytest.fixture(scope="session")
def browser_context(lab):
    with labmod.browser_context() as ctx:
        yield ctx


@pytest.fixture
def page(browser_context, lab):
    """A new page; its kernels are shut down afterwards."""
    pg = browser_context.new_page()
    yield pg
    pg.close()
    labmod.shutdown_kernels(lab)
