"""The convolution lab's state: an input, a kernel, stride and padding, and a walk through
the convolution, then ReLU, then 2×2 max pooling (no Panel import)."""
from __future__ import annotations

import numpy as np
import param

from ..engine import assets, conv

SOURCES = ("classic_5x5", "curve_field", "no_curve_field", "photo", "digit", "paint")
SOURCE_LABELS = {"classic_5x5": "5×5 binary example", "curve_field": "curve (7×7)",
                 "no_curve_field": "no curve (7×7)", "photo": "photo (64×64)",
                 "digit": "a digit (8×8)", "paint": "paint your own (8×8)"}
PAINT_SIZE = 8
PADDINGS = (0, 1, 2, 3, "same")
KERNEL_SIZES = (3, 5, 7)
POOL = 2


class ConvLab(param.Parameterized):
    """What the student set, and how far the step-through has gone."""

    source = param.Selector(default="classic_5x5", objects=list(SOURCES),
                            doc="The image the kernel slides over.")
    digit_index = param.Integer(0, bounds=(0, 1796), doc="Which handwritten digit (0–1796).")
    kernel_name = param.Selector(default="x_pattern", objects=[*conv.KERNELS, "custom"],
                                 doc="A ready-made kernel; edit any number to make your own.")
    kernel_size = param.Selector(default=3, objects=list(KERNEL_SIZES),
                                 doc="Size of your own kernel (k×k).")
    stride = param.Integer(1, bounds=(1, 4), doc="How many pixels the kernel moves per step.")
    padding = param.Selector(default=0, objects=list(PADDINGS),
                             doc="Zeros added around the image; 'same' keeps the size "
                                 "(with stride 1).")
    step = param.Integer(-1, bounds=(-1, None),
                         doc="How far the walk has gone: −1 before the first cell.")
    message = param.String("", doc="Why the current set-up gives no output, if it does not.")

    def __init__(self, **params):
        self._kernel = np.array(conv.KERNELS["x_pattern"])
        self._paint = np.zeros((PAINT_SIZE, PAINT_SIZE))
        self._paint[1:7, 4] = 1                 # a stroke to start from
        super().__init__(**params)
        self.param.watch(self._preset, ["kernel_name"])
        self.param.watch(self._resize, ["kernel_size"])
        self.param.watch(lambda *e: self.restart(),
                         ["source", "digit_index", "stride", "padding"])
        self._preset()

    # ------------------------------------------------------------------- inputs
    def image(self) -> np.ndarray:
        return self._image.copy()

    def _load_image(self) -> np.ndarray:
        if self.source == "photo":
            return assets.load_photo()
        if self.source == "digit":
            return conv.digit_image(self.digit_index)[0]
        if self.source == "paint":
            return self._paint.copy()
        return np.array(conv.INPUTS[self.source])

    def kernel(self) -> np.ndarray:
        return self._kernel.copy()

    def _preset(self, *_):
        if self.kernel_name != "custom":
            self._kernel = np.array(conv.KERNELS[self.kernel_name])
            if self._kernel.shape[0] != self.kernel_size:
                self.kernel_size = self._kernel.shape[0]
        self.restart()

    def _resize(self, *_):
        k = self.kernel_size
        if self._kernel.shape != (k, k):
            new = np.zeros((k, k))
            new[k // 2, k // 2] = 1.0                 # identity of the new size
            self._kernel = new
            self.kernel_name = "custom"
        self.restart()

    def set_kernel_cell(self, row: int, col: int, value: float):
        """Edit one kernel weight (the preset becomes 'custom')."""
        value = float(value)
        if not np.isfinite(value) or abs(value) > 1e4:
            raise ValueError("a kernel weight must be a number between −10000 and 10000")
        self._kernel[row, col] = value
        if self.kernel_name != "custom":
            self.kernel_name = "custom"           # restarts the walk
        else:
            self.restart()

    def use_kernel(self, kernel, name: str = "custom"):
        """Put any square kernel (e.g. a learned filter) into the lab."""
        k = np.asarray(kernel, np.float64)
        if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] not in KERNEL_SIZES:
            raise ValueError(f"a kernel must be square, one of {KERNEL_SIZES}; got {k.shape}")
        self._kernel = k.copy()
        self.param.update(kernel_size=k.shape[0], kernel_name="custom")
        self.restart()

    def toggle_pixel(self, row: int, col: int):
        """Paint mode: switch one pixel between 0 and 1."""
        if not (0 <= row < PAINT_SIZE and 0 <= col < PAINT_SIZE):
            return
        self._paint[row, col] = 1.0 - self._paint[row, col]
        if self.source == "paint":
            self.restart()

    # ------------------------------------------------------------------ results
    def result(self) -> dict | None:
        """The feature map, its ReLU and its 2×2 max pooling (None when the set-up does
        not fit, with ``message`` saying why)."""
        return self._result

    def _compute(self):
        self._image = self._load_image()
        try:
            out = conv.conv2d(self._image, self._kernel, self.stride, self.padding)
        except ValueError as exc:
            self._result = None
            self.message = str(exc)
            return
        self.message = ""
        rect = conv.relu(out)
        pooled = conv.max_pool(rect, POOL, POOL) if min(rect.shape) >= POOL else None
        self._result = {"out": out, "relu": rect, "pooled": pooled}

    def formula(self) -> str:
        img, k = self.image().shape, self._kernel.shape[0]
        try:
            rows = conv.output_size_formula(img[0], k, self.stride, self.padding)
            if img[0] == img[1]:
                return f"output size: {rows} (rows and columns alike)"
            cols = conv.output_size_formula(img[1], k, self.stride, self.padding)
            return f"output rows: {rows}; columns: {cols}"
        except ValueError as exc:
            return str(exc)

    # --------------------------------------------------------------------- walk
    def n_steps(self) -> int:
        """Convolution cells, then one ReLU step, then the pooled cells."""
        r = self.result()
        if r is None:
            return 0
        pooled = 0 if r["pooled"] is None else r["pooled"].size
        return r["out"].size + 1 + pooled

    def phase(self) -> tuple[str, int]:
        """('start' | 'conv' | 'relu' | 'pool' | 'done', index within that phase)."""
        r = self.result()
        if r is None or self.step < 0:
            return "start", -1
        n_conv = r["out"].size
        if self.step < n_conv:
            return "conv", self.step
        if self.step == n_conv:
            return "relu", 0
        k = self.step - n_conv - 1
        if r["pooled"] is not None and k < r["pooled"].size:
            return "pool", k
        return "done", 0

    def forward(self, n: int = 1):
        self.step = min(self.step + n, max(self.n_steps() - 1, -1))

    def backward(self):
        self.step = max(self.step - 1, -1)

    def finish(self):
        self.step = max(self.n_steps() - 1, -1)

    def restart(self):
        self._compute()
        self.step = -1
        self.param.trigger("step")

    def current(self) -> dict | None:
        """The arithmetic of the current step (conv_cell or pool_cell), else None."""
        phase, k = self.phase()
        r = self.result()
        if phase == "conv":
            rows, cols = r["out"].shape
            return conv.conv_cell(self.image(), self._kernel, k // cols, k % cols, self.stride,
                                  self.padding)
        if phase == "pool":
            cols = r["pooled"].shape[1]
            return conv.pool_cell(r["relu"], k // cols, k % cols, POOL, POOL)
        return None
