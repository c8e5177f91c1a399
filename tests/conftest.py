import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# What `make test-fast` leaves out: modules, or module::test, marked `slow` here
# (from `pytest --durations=0`): most of the non-browser suite's time.
SLOW = {
    "test_zoo",                 # 83 model configurations against their references
    "test_backends",            # a TensorFlow and a JAX subprocess
    "test_runs",                # writer processes (training, SIGKILLed), a TF-free reader
    "test_runs_multiworker",    # two worker processes training together
    "test_compare",             # two recorded runs, four views of their difference
    "test_views_flow",          # gradients at several training steps
    "test_views_health",
    "test_views_gates::test_gates_follow_training",
    "test_labels::test_titles_say_the_step_shown_and_take_an_override",
    "test_subclassed::test_predict_and_training_are_bit_identical_with_inspection",
    "test_subclassed::test_every_call_equals_the_layers_called_by_hand",
    "test_seernn_parity",       # see-rnn's own test calls
    "test_view_properties",     # random control sequences, refusals while fit runs
    "test_history",
    "test_model_unchanged",
    "test_wheel",               # builds a wheel
    "test_export_installed",    # subprocesses that import TensorFlow
    "test_export_logs",
    "test_notebooks::test_notebook_runs",
    "test_cache::test_training_steps_are_noticed_by_themselves",
    "test_cache::test_after_a_refresh_one_pass_serves_everything_without_retracing",
    "test_loading::test_cli_reports_a_saved_model",
    "test_loading::test_cli_refuses_a_lambda_file_without_traceback",
    "test_live::test_one_recompute_per_refresh_however_many_widgets",
    "test_live::test_interrupted_refresh_leaves_widgets_usable_and_model_untouched",
    "test_views_explorer::test_each_choice_shows_the_fitting_view_with_the_right_data",
    "test_views_features2d::test_refresh_redraws_new_numbers",
    "test_views_lines::test_features1d_defaults_show_all_samples_and_the_first_16_channels",
    "test_downsampling::test_rnn_heatmap_draws_big_kernels_binned_in_units",
    "test_visuals::test_see_rnn_test_calls_run",
    "test_engine_trust::test_live_refreshes_after_training_are_compiled_by_xla_where_possible",
    "test_engine_trust::test_inspecting_many_models_is_not_reported_as_retracing",
    "test_engine_trust::test_ctrl_c_during_training_mode_passes_never_leaves_the_model_changed",
    "test_robustness::test_mirrored_strategy_model_inspects_like_a_single_device_one",
    "test_package::test_inspection_imports_without_ipywidgets_or_bqplot",
    "test_live::test_epoch_refreshes_record_validation_logs",
    "test_live::test_hand_written_gradient_tape_loop",
    "test_live::test_min_interval_throttles_and_training_end_still_refreshes",
    "test_inspector_numbers::test_weight_gradients_match_finite_differences",
    "test_cache::test_weight_gradients_are_computed_only_once_asked_for",
    "test_views_rnn::test_refresh_redraws_new_numbers",
    "test_views_norms::test_matches_compat_weights_norm_accumulation",
    "test_views_norms::test_norms_follow_training_for_every_layer",
    "test_engine_trust::test_data_fit_accepts_is_accepted",
    "test_engine_trust::test_an_inspected_model_is_collected_once_dropped",
    "test_engine_trust::test_every_output_of_a_multi_output_layer_is_its_own_entry",
    "test_compat::test_gradients_weights_mode_follows_trainable_weights",
    "test_masks::test_mask_follows_the_padding_through_the_layers",
    "test_downsampling::test_peak_per_bin_2d_bins_rows_and_each_gate_apart",
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
