import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# What `make test-fast` leaves out: modules, or module::test, marked `slow` here.
# Together about 85% of the non-browser suite's time (`pytest --durations=0`).
SLOW = {
    "test_zoo",                 # 83 model configurations against their references
    "test_seernn_parity",       # see-rnn's own test calls
    "test_view_properties",     # random control sequences, refusals while fit runs
    "test_history",
    "test_notebooks::test_notebook_runs",
    "test_views_features2d::test_refresh_redraws_new_numbers",
    "test_views_lines::test_features1d_defaults_show_all_samples_and_the_first_16_channels",
    "test_visuals::test_see_rnn_test_calls_run",
    "test_model_unchanged::test_every_inspection_leaves_the_model_bit_for_bit_unchanged",
    "test_engine_trust::test_live_refreshes_after_training_are_compiled_by_xla_where_possible",
    "test_robustness::test_mirrored_strategy_model_inspects_like_a_single_device_one",
}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.path.stem
        test = getattr(item, "originalname", item.name)
        if module in SLOW or f"{module}::{test}" in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def rng():
    keras.utils.set_random_seed(0)
    return np.random.default_rng(0)
