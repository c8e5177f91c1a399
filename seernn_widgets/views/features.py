"""Features2D: channels x timesteps heatmap of one sample (see-rnn features_2D)."""
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import TraitError

from .. import rnn, slicing
from ..stats import _describe, detect_nans
from . import _colour as colour
from ._base import (
    Control,
    DirectionView,
    Kind,
    Whole,
    checkbox,
    dropdown,
    norm_controls,
    sample_slider,
    validate_sample,
)
from ._browser import attach_features2d, features2d_state, sync_features2d
from ._heatmap import Heatmap
from ._ticks import index_ticks
from .selection import Linked, draw_selection

HEIGHT = 300   # px, the heatmap figure's

MAX_TICKS = 10   # per heatmap axis: labels of 4 digits fit at 400 px


def sequence_data(inspector, layer, mode, step=None, gate=None):
    """The (samples, timesteps, channels) array a sequence view shows:
    outputs, output-gradients, one gate's activations, or a 3-D kernel
    (e.g. Conv1D's, whose first axis then plays the samples)."""
    if mode == "gates":
        return inspector.gates(layer, step=step)[gate]
    if mode == "outputs":
        return inspector.outputs(layer, step=step)
    if mode == "gradients":
        return inspector.gradients(layer, "outputs", step=step)
    return inspector.weights(layer, step=step)[0]


def sequence_mask(inspector, layer, mode, step=None):
    """(samples, timesteps) bool, False at masked timesteps, of what
    `sequence_data` gives; None when the layer's output carries no mask of
    that shape (kernels never do)."""
    if mode == "weights":
        return None
    if mode == "gates":
        return inspector.gates_mask(layer, step)
    kept = inspector.mask(layer, step)
    shape = tuple(inspector.output_shape(layer)[:2])
    return kept if kept is not None and kept.shape == shape else None


def rank(shape):
    return None if shape is None else len(shape)


def kernel_shape(inspector, layer):
    """Shape of the layer's first weight (its kernel), None without weights."""
    shapes = inspector.weight_shapes(layer)
    return tuple(shapes[0]) if shapes else None


def _colour_ranges(data, scale, one_sided=False):
    """`Features2D.colour_ranges` of one array and colour scale; `one_sided`
    (a sigmoid gate's values, all >= 0): 0 .. max, white closed, red open."""
    c = colour.linthresh(data) if scale == "symlog" else 1.0
    drawn = lambda p: colour.to_drawn(colour.symmetric(p, one_sided), scale, c)   # noqa: E731
    return {colour.AUTO: drawn(colour.peak(data)),
            colour.ROBUST: drawn(colour.robust_peak(data)),
            "sample": [drawn(p) for p in colour.per_row_peaks(data)],
            "c": c}


class Features2D(Linked, colour.ColourControls, DirectionView):
    """Heatmap of one sample: channels (y) x timesteps (x), diverging colours
    centred on 0 (NaN in yellow, masked timesteps greyed out). Sequences
    longer than `time_resolution` timesteps are downsampled to it, each
    column keeping its bin's largest-|value| entry, so spikes survive.

    Example:
        Features2D(insp, layer='bidirectional', mode='gradients', reflect_half=True)
    """

    modes = ("outputs", "gradients", "weights", "gates")
    controls = {**DirectionView.controls, "gate": Kind.DATA, "sample": Kind.SLICE,
                "norm": Kind.SCALE,
                "reflect_half": Kind.SLICE, "timesteps_xaxis": Kind.SLICE,
                "time_resolution": Kind.LAYOUT, "colour_scale": Kind.LAYOUT}
    # the automatic colour ranges (see _colour): over everything, the sample, robust
    NORMS = (colour.AUTO, "sample", colour.ROBUST)

    gate = Control(None)   # mode 'gates': which gate (choices('gate')); else None
    sample = Whole(0)   # in [0, samples): checked with the state (_check_values)
    norm = Control(colour.AUTO)   # one of NORMS, or (lo, hi); None is 'auto'
    colour_scale = Control("linear")   # or 'symlog': sign(v)*log10(1+|v|/c) drawn
    reflect_half = traitlets.Bool(False)
    timesteps_xaxis = traitlets.Bool(True)
    time_resolution = Whole(1024, min=1)   # timesteps drawn at most (~ screen pixels)

    def layer_choices(self):
        return [name for name in self.inspector.layer_names if self.mode_choices(name)]

    def mode_choices(self, layer):
        """outputs (and gradients, given labels) of a 3-D output; weights of
        a 3-D kernel (e.g. Conv1D's)."""
        sequence = rank(self.inspector.output_shape(layer)) == 3
        has_gates = getattr(self.inspector, "has_gates", None)
        return [mode for mode, ok in (("outputs", sequence),
                                      ("gradients", sequence and self.has_output_gradient(layer)),
                                      ("weights", rank(kernel_shape(self.inspector, layer)) == 3),
                                      ("gates", has_gates is not None and has_gates(layer)))
                if ok]

    def choices(self, name):
        if name == "gate":
            if self.mode != "gates":
                return [None]
            return list(self.inspector.gate_functions(self.layer))
        return super().choices(name)

    def is_bidirectional(self, layer=None):
        """Also: gates of a Bidirectional, whatever its merge mode, side by
        side (forward first) when both directions have as many units."""
        if self.mode != "gates":
            return super().is_bidirectional(layer)
        info = self.inspector.rnn_info(self.layer if layer is None else layer)
        return info is not None and len(info.directions) == 2 and info.same_layout

    def merged_note(self):
        return "" if self.mode == "gates" else super().merged_note()

    def _why_not(self, mode):
        if mode == "gates":
            return ("mode 'gates' needs a recurrent layer (LSTM, GRU, SimpleRNN or a "
                    "Bidirectional of one) of a functional or Sequential model")
        if mode == "weights":
            return (f"Features2D needs a 3-D kernel; the layer's weights have shapes "
                    f"{self.inspector.weight_shapes(self.layer)}")
        if rank(self.layer_shape()) != 3:
            return (f"Features2D needs a 3-D array; the layer's output has shape "
                    f"{self.layer_shape()}")
        return super()._why_not(mode)

    def n_samples(self):
        """What the sample control picks from: the batch, or a 3-D kernel's
        first axis (from metadata: nothing is computed)."""
        shape = kernel_shape(self.inspector, self.layer) if self.mode == "weights" \
            else self.layer_shape()
        return shape[0] if shape else self.inspector.batch_size

    def _refit(self, given):
        super()._refit(given)
        if "sample" not in given:
            self.sample = max(0, min(self.sample, self.n_samples() - 1))
        if "reflect_half" not in given and not self.reflect_allowed():
            self.reflect_half = False
        if "gate" not in given and self.gate not in self.choices("gate"):
            self.gate = self.choices("gate")[0]

    def _check_values(self):
        validate_sample(self.sample, self.n_samples())
        if self.reflect_half and not self.reflect_allowed():
            raise TraitError(
                f"reflect_half applies only to a bidirectional layer with both directions "
                f"shown (direction='both'); layer {self.layer!r} "
                + (f"shows direction {self.direction!r}" if self.is_bidirectional()
                   else "is not a concat-Bidirectional one" + self.merged_note()))

    def reflect_allowed(self):
        """reflect_half flips the backward half: only with both halves shown,
        of a bidirectional layer (or of plain arrays, which the user says are)."""
        plain = hasattr(self.inspector, "describe")
        return self.direction == "both" and (plain or (self.mode != "weights"
                                                       and self.is_bidirectional()))

    def _data(self):
        return sequence_data(self.inspector, self.layer, self.mode, self.step, self.gate)

    def kept(self):
        return sequence_mask(self.inspector, self.layer, self.mode, self.step)

    def view_data(self):
        data = self._data()
        sample = slicing.peak_per_bin(data[self.sample], self.time_resolution)
        return slicing.features_2d(sample[None], 0, self.direction,
                                   self.reflect_half, self.timesteps_xaxis)

    def mask_data(self):
        """The grey overlay of masked timesteps on `view_data()` (1 where
        masked, NaN elsewhere), or None when nothing is masked."""
        kept = self.kept()
        if kept is None or kept[self.sample].all():
            return None
        kept = slicing.kept_per_bin(kept[self.sample:self.sample + 1], self.time_resolution)
        return slicing.mask_image(kept, self._data().shape[-1], 0, self.direction,
                                  self.reflect_half, self.timesteps_xaxis)

    def extent(self):
        """(width, height) in timesteps and channels: the full sequence
        length even when fewer columns are drawn."""
        steps, channels = self._data().shape[1:]
        channels = len(range(channels)[slicing.direction_channels(channels, self.direction)])
        return (steps, channels) if self.timesteps_xaxis else (channels, steps)

    def colour_ranges(self):
        """The automatic ranges, in the units drawn (symlog or not), for every
        state the page can show without the kernel: {'auto': (lo, hi),
        'robust': (lo, hi), 'sample': [(lo, hi) per sample]}, plus 'c' (the
        symlog's linthresh). 'auto' is ±max|value| over the whole array, every sample and channel,
        so a sample, direction or reflect_half change keeps the colours; computed
        once per array and colour scale."""
        data, scale = self._data(), self.colour_scale
        key = (id(data), scale)
        if key not in self._ranges:
            # a new array: forget the old ones, but keep every gate of this
            # layer and step (computed together), so a gate switch reuses them
            others = self.inspector.gates(self.layer, step=self.step).values() \
                if self.mode == "gates" else ()
            gates = self.mode == "gates"
            self._ranges = {(id(a), scale): (a, _colour_ranges(a, scale, gates and a.min() >= 0))
                            for a in (data, *others)}
        return self._ranges[key][1]

    def bar_heights(self):
        """The figure height of each heatmap (one), for its colour bar's ticks."""
        return [HEIGHT]

    def norm_shown(self):
        """The colour range drawn now, in the units drawn."""
        ranges = self.colour_ranges()
        if isinstance(self.norm, tuple):
            return colour.to_drawn(self.norm, self.colour_scale, ranges["c"])
        shown = ranges[self.norm]
        return shown[self.sample] if self.norm == "sample" else shown

    def _prepare(self):
        self._ranges = {}   # {(id(array), colour scale): (array, its ranges)}

    def _build(self):
        image = self.view_data()
        self.heatmap = Heatmap(self.drawn_image(image), self.norm_shown(),
                               css_class="seernn-features2d", height=HEIGHT)
        self.sample_control = sample_slider(self)
        norm_box = norm_controls(self, dropdown(self, "colour_scale", "colours",
                                                options=list(colour.COLOUR_SCALES)))
        reflect = self.reflect_control = checkbox(self, "reflect_half",
                                                   "reflect_half (backward in time)")
        self.gate_control = dropdown(self, "gate", "gate")
        top = widgets.HBox([dropdown(self, "layer", "layer"), dropdown(self, "mode", "mode"),
                            self.gate_control, self.direction_dropdown()])
        # the page re-slices while the kernel is busy (e.g. in model.fit)
        self.slicer = attach_features2d(self)
        self.body.children = [top, self.heatmap.figure,
                              widgets.HBox([self.sample_control, reflect]), norm_box, self.slicer]

    def _redraw(self, kinds):
        self.show_direction_control()
        self.gate_control.layout.display = None if self.mode == "gates" else "none"
        # reflect_half: only for a bidirectional layer, only with both halves shown
        self.reflect_control.layout.display = None if self.reflect_allowed() \
            or self.is_bidirectional() else "none"
        self.reflect_control.disabled = not self.reflect_allowed()
        state = features2d_state(self, kinds)
        self.slicer.update(state)   # before the image: the page's controls agree first
        norm = self.norm_shown()
        if kinds != {Kind.SCALE}:   # else colours only, no new image
            image = self.view_data()
            self.heatmap.show(self.drawn_image(image), norm, title=self._title(image),
                              extent=self.extent())
            axes = self.axes(self.direction)
            self.heatmap.set_axes(axes["x"], axes["y"], axes["x_label"], axes["y_label"])
            self.heatmap.show_mask(self.mask_data())
        self.heatmap.set_norm(norm, ticks=self.bar_ticks(norm, HEIGHT))
        colour.note_drawn(self)
        sync_features2d(self, kinds, state)   # after show_mask: it may add the overlay
        draw_selection(self)   # the selected unit's outline; clicks select a unit

    def subject(self, what=None, layer=None):
        if self.mode == "gates":   # 'lstm gate f (forget)'
            what = f"gate {self.gate} ({rnn.GATE_LABELS[self.gate]})"
        return super().subject("kernel" if self.mode == "weights" else what, layer)

    def position_word(self):
        """What the sample control picks: a sample, or a 3-D kernel's position."""
        return "kernel position" if self.mode == "weights" else "sample"

    def _title(self, image):
        return self.title_for(self.sample, self.direction, self.reflect_half,
                              detect_nans(image))

    def title_for(self, sample, direction, reflect, nans):
        """The title of one state (the page's titles are made by it too)."""
        kept = self.kept()
        masked = 0 if kept is None else int((~kept[sample]).sum())
        where = f" - {direction}" if direction != "both" else self.merged_note()
        return (f"{self.heading()} - {self.position_word()} {sample}" + where
                + (" - backward half reversed in time" if reflect else "")
                + self.step_note()
                + (f" - {nans} (yellow)" if nans else "")
                + (f" - {masked} masked timesteps (grey)" if masked else ""))

    def page_states(self):
        """(direction, reflect_half) pairs the page can show without the kernel."""
        if self.mode != "weights" and self.is_bidirectional():
            return [("both", False), ("both", True), ("forward", False), ("backward", False)]
        return [("both", False), ("both", True)] if self.reflect_allowed() else [("both", False)]

    def page_titles(self):
        """{'direction/reflect (0 or 1)': [title of each sample]}: the titles
        the page shows when it re-slices; NaN/Inf counted in the drawn
        (time-binned) slice, as `_title` counts them."""
        binned = slicing.peak_per_bin(self._data(), self.time_resolution)
        nans = np.isnan(binned).sum(axis=1)                    # (samples, channels)
        infs = np.isinf(binned).sum(axis=1)
        titles = {}
        for direction, reflect in self.page_states():
            part = slicing.direction_channels(binned.shape[-1], direction)
            size = binned.shape[1] * len(range(binned.shape[-1])[part])
            texts = []
            for sample in range(binned.shape[0]):
                text = ", ".join(t for t in (_describe(int(nans[sample, part].sum()), size, "NaN"),
                                             _describe(int(infs[sample, part].sum()), size, "Inf"))
                                 if t)
                texts.append(self.title_for(sample, direction, reflect, text or None))
            titles[f"{direction}/{int(reflect)}"] = texts
        return titles

    def axis_labels(self):
        """(x label, y label) in the user's words."""
        if self.mode == "weights":
            rows, columns = "output channel", "input channel"
        else:
            rows = "unit" if self.inspector.rnn_info(self.layer) is not None else "channel"
            columns = "timestep"
        return (columns, rows) if self.timesteps_xaxis else (rows, columns)

    def axes(self, direction):
        """{'x', 'y': `_ticks.Ticks`, 'x_label', 'y_label'} for `direction`:
        integer ticks on the centres of real timesteps and channels (the
        full sequence length also when fewer columns are drawn)."""
        steps, channels = self._data().shape[1:]
        channels = len(range(channels)[slicing.direction_channels(channels, direction)])
        width, height = (steps, channels) if self.timesteps_xaxis else (channels, steps)
        x_label, y_label = self.axis_labels()
        return {"x": index_ticks(width, MAX_TICKS), "y": index_ticks(height, MAX_TICKS),
                "x_label": x_label, "y_label": y_label}
