"""A WebGL heatmap: bqplot Figure + bqplot-image-gl `ImageGL` mark.

ImageGL repaints a 256x1024 float32 image in tens of ms where bqplot's
HeatMap needs most of a second (it redraws every cell on a canvas), and a
colour-range change only updates the `ColorScale`. NaN pixels come out
transparent, so the plot area's background is the NaN colour.
"""
import bqplot
import numpy as np
from bqplot_image_gl import ImageGL

NAN_COLOUR = "#ffd400"  # NaN shows through the transparent pixels
DIVERGING = ["#2166ac", "#ffffff", "#b2182b"]   # blue - white - red, like bwr
GREYS = ["#ffffff", "#000000"]


class Heatmap:
    """Figure + ImageGL mark + colour scale, updated in place."""

    def __init__(self, image, norm, title="", x_label="", y_label="",
                 colours=DIVERGING, css_class="seernn-heatmap", height=300):
        self.x_scale = bqplot.LinearScale(allow_padding=False)
        self.y_scale = bqplot.LinearScale(allow_padding=False, reverse=True)
        self.colour_scale = bqplot.ColorScale(colors=colours, min=norm[0], max=norm[1])
        h, w = image.shape
        self.mark = ImageGL(image=image, x=(0, w), y=(0, h),
                            scales={"x": self.x_scale, "y": self.y_scale,
                                    "image": self.colour_scale})
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=x_label)
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left",
                                  label=y_label, tick_format="d",
                                  num_ticks=min(h, 8))
        self.figure = bqplot.Figure(
            marks=[self.mark], axes=[self.x_axis, self.y_axis],
            title=title, background_style={"fill": NAN_COLOUR},
            fig_margin={"top": 40, "bottom": 40, "left": 60, "right": 20},
            layout={"height": f"{height}px", "width": "100%"})
        self.figure.add_class(css_class)

    def show(self, image, norm, title=None):
        """Draw `image` (2-D float32) with colour range `norm`."""
        h, w = image.shape
        with self.mark.hold_sync():
            if self.mark.x[1] != w or self.mark.y[1] != h:
                self.mark.x, self.mark.y = (0, w), (0, h)
                self.y_axis.num_ticks = min(h, 8)  # a 1-row bias gets one tick
            self.mark.image = np.ascontiguousarray(image, dtype=np.float32)
        self.set_norm(norm)
        if title is not None:
            self.figure.title = title

    def set_norm(self, norm):
        with self.colour_scale.hold_sync():
            self.colour_scale.min, self.colour_scale.max = float(norm[0]), float(norm[1])
