"""How the playground shows a run, apart from the run itself: the held-out test points, hard
classes instead of the network's confidence, and the colours.

These options change no number of the run, so they are not its settings (changing one
never resets or retrains). A link carries them like a setting (``?show_test=1&palette=
okabe_ito``, ``state.urlstate``) and the set-up file saves them (``export.settings``).

    display = Display(palette="okabe_ito")
    display.values()            # {"show_test": False, "discretize": False, "palette": ...}
"""
from __future__ import annotations

import param

PALETTES = ("standard", "okabe_ito")


class Display(param.Parameterized):
    """The page's display options (TF Playground's "Show test data" and "Discretize
    output", and a colour-blind-safe palette)."""

    show_test = param.Boolean(default=False, doc=(
        "Also draw the held-out test points (outlined). The network never trains on them: "
        "they show whether what it learned holds for new data."))
    discretize = param.Boolean(default=False, doc=(
        "Colour each spot only by the predicted class (sign of the output, or the most "
        "likely of K classes) instead of the network's confidence."))
    palette = param.Selector(default="standard", objects=list(PALETTES), doc=(
        "The colours of the classes. Colour-blind safe: the Okabe–Ito colours, told apart "
        "with every common kind of colour blindness, and a different shape for the points "
        "of each class, so that no one needs the colours at all."))

    @classmethod
    def names(cls) -> list:
        return [n for n in cls.param if n != "name"]

    def values(self) -> dict:
        return {n: getattr(self, n) for n in self.names()}


DEFAULTS = {n: Display.param[n].default for n in Display.names()}


def problem(key: str, value) -> str | None:
    """Why ``value`` cannot be the display option ``key`` (plain words), or None."""
    p = Display.param[key]
    if isinstance(p, param.Boolean):
        return None if isinstance(value, bool) else "is not on or off"
    if value not in p.objects:
        return "is not a palette here"
    return None


def allowed(key: str, link: bool = True) -> str:
    """What a display option takes, in plain words."""
    p = Display.param[key]
    if isinstance(p, param.Boolean):
        return "choose 1 (on) or 0 (off)" if link else "choose true or false"
    return "choose " + " or ".join(p.objects)
