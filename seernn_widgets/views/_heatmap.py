"""A WebGL heatmap: bqplot Figure + bqplot-image-gl `ImageGL` mark.

ImageGL repaints a 256x1024 float32 image in tens of ms where bqplot's
HeatMap needs most of a second (it redraws every cell on a canvas), and a
colour-range change only updates the `ColorScale`. NaN pixels come out
transparent, so the plot area's background is the NaN colour. An optional
second ImageGL on top greys out masked timesteps (its NaN pixels let the
data show through).
"""
import bqplot
import numpy as np
from bqplot_image_gl import ImageGL

from ._colour import DIVERGING_ENDS, GREYS_ENDS, palette
from ._ticks import (
    Ticks,
    cell_extent,
    left_margin,
    same_value,
    set_ticks,
    title_style,
    y_label_offset,
)

NAN_COLOUR = "#ffd400"  # NaN shows through the transparent pixels
DIVERGING = DIVERGING_ENDS   # blue at lo - white at 0 - red at hi, like bwr (see _colour)
GREYS = GREYS_ENDS           # |values|: white at 0 - black at hi
KEEP = object()               # set_norm: leave the colour bar's ticks as they are
COLOUR_BAR_PX = 100          # right margin: the colour bar and its tick labels
MASK_COLOUR = "#808080"
MASK_OPACITY = 0.7


class Heatmap:
    """Figure + ImageGL mark + colour scale, updated in place."""

    def __init__(self, image, norm, title="", x_label="", y_label="",
                 colours=DIVERGING, css_class="seernn-heatmap", height=300):
        self.x_scale = bqplot.LinearScale(allow_padding=False)
        self.y_scale = bqplot.LinearScale(allow_padding=False, reverse=True)
        # `colours`: the ends of the palette (see _colour.palette): zero stays white
        self.colours = colours
        self.colour_scale = bqplot.ColorScale(colors=palette(*norm, colours),
                                              min=norm[0], max=norm[1])
        # a vertical colour bar (ColorAxis is vertical when side is left or
        # right), its ticks Python's (set_norm): no num_ticks, with which
        # bqplot keeps only every k-th of the tick_values given
        self.colour_axis = bqplot.ColorAxis(scale=self.colour_scale, side="right",
                                            tick_format=".2~g", num_ticks=None)
        h, w = image.shape
        # cells centred on integers: tick k sits on row/column k (see _ticks)
        self.mark = ImageGL(image=image, x=cell_extent(w), y=cell_extent(h),
                            scales={"x": self.x_scale, "y": self.y_scale,
                                    "image": self.colour_scale})
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=x_label)
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left", label=y_label)
        self.figure = bqplot.Figure(
            marks=[self.mark], axes=[self.x_axis, self.y_axis, self.colour_axis],
            title=title, background_style={"fill": NAN_COLOUR},
            fig_margin={"top": 40, "bottom": 40, "left": 60, "right": COLOUR_BAR_PX},
            layout={"height": f"{height}px", "width": "100%"})
        self.figure.add_class(css_class)
        self.mask = None   # the masked-timesteps overlay (show_mask)

    def show(self, image, norm, title=None, extent=None):
        """Draw `image` (2-D float32) with colour range `norm`, spanning
        `extent` = (width, height) in axis units (its shape by default; more
        when the image is a downsampled one)."""
        w, h = extent or image.shape[::-1]
        with self.mark.hold_sync():
            if tuple(self.mark.x) != cell_extent(w) or tuple(self.mark.y) != cell_extent(h):
                self.mark.x, self.mark.y = cell_extent(w), cell_extent(h)
            self.mark.image = np.ascontiguousarray(image, dtype=np.float32)
        self.set_norm(norm)
        if title is not None:
            style = title_style(title)
            if style != self.figure.title_style:
                self.figure.title_style = style
            self.figure.title = title

    def set_axes(self, x_ticks, y_ticks, x_label=None, y_label=None):
        """Tick values and labels (`_ticks.Ticks`) and axis labels; the left
        margin fits the y labels."""
        set_ticks(self.x_axis, x_ticks, x_label)
        set_ticks(self.y_axis, y_ticks, y_label)
        self.y_axis.label_offset = y_label_offset(y_ticks)
        margin = {**self.figure.fig_margin, "left": left_margin(y_ticks, self.y_axis.label)}
        if margin != self.figure.fig_margin:
            self.figure.fig_margin = margin

    def show_mask(self, image):
        """Grey out the pixels where `image` is 1 (NaN: not masked), over the
        same extent as the data; None removes the overlay. Made on first use:
        most layers have no mask."""
        if image is None:
            if self.mask is not None:
                self.mask.image = np.full((1, 1), np.nan, np.float32)
            return
        if self.mask is None:
            self.mask = ImageGL(
                image=image, x=self.mark.x, y=self.mark.y, opacity=MASK_OPACITY,
                scales={"x": self.x_scale, "y": self.y_scale,
                        "image": bqplot.ColorScale(colors=[MASK_COLOUR] * 2, min=0, max=1)})
            self.figure.marks = [self.mark, self.mask]
        with self.mask.hold_sync():
            self.mask.x, self.mask.y = self.mark.x, self.mark.y
            self.mask.image = np.ascontiguousarray(image, dtype=np.float32)

    def set_norm(self, norm, colours=None, ticks=KEEP):
        """Colour range `norm` = (lo, hi) in the units drawn, zero white
        (`colours`: the palette's ends, kept when None); the colour bar
        follows. `ticks`: [(value, label)] for the colour bar (_colour.bar_ticks),
        None for bqplot's own, KEEP to leave them.

        bqplot's ColorBar does not listen to its tick_values/tick_labels: it
        reads them when it redraws for a new scale domain. So the ticks go
        first (the changed ones, in one message), then the scale's colours,
        min and max in one message, which redraws the bar with them."""
        lo, hi = float(norm[0]), float(norm[1])
        if colours is not None:
            self.colours = colours
        if ticks is not KEEP:
            traits = {"tick_labels": None, "tick_values": None} if ticks is None else Ticks(
                tuple(v for v, _ in ticks), tuple(label for _, label in ticks)).axis_traits()
            with self.colour_axis.hold_sync():
                for name, value in traits.items():
                    if not same_value(getattr(self.colour_axis, name), value):
                        setattr(self.colour_axis, name, value)
        colors = palette(lo, hi, self.colours)
        with self.colour_scale.hold_sync():
            if self.colour_scale.colors != colors:
                self.colour_scale.colors = colors
            self.colour_scale.min, self.colour_scale.max = lo, hi
