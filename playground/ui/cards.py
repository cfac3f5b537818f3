"""The layout every lab tab shares: a two-line introduction, then cards with a title and a
two-line explanation each, wrapping to the width of the screen."""
from __future__ import annotations

import panel as pn


def tab_intro(text: str, **params) -> pn.pane.HTML:
    """A tab's two-line introduction."""
    return pn.pane.HTML(f'<div class="pg-tab-intro">{text}</div>',
                        **{"sizing_mode": "stretch_width", **params})


def lab_placeholder(intro: str) -> pn.Column:
    """What a lab's tab shows while the lab is being set up: its introduction."""
    return pn.Column(
        tab_intro(intro),
        pn.pane.HTML('<div class="pg-lab-loading">Setting up this lab…</div>',
                     margin=(6, 10)),
        sizing_mode="stretch_width")


def lab_layout(owner, intro: str, sections) -> pn.Column:
    """sections: (attribute of ``owner`` holding the card's Viewer, title, explanation,
    card width in pixels). Each card carries the CSS class ``pg-lab-<attribute>``."""
    cards = [pn.Column(
        pn.pane.HTML(f'<div class="pg-section-title">{title}</div>'
                     f'<p class="pg-explain">{text}</p>', margin=(0, 5), width=width),
        getattr(owner, key), css_classes=["pg-card", f"pg-lab-{key}"],
        styles={"padding": "8px"}, margin=(6, 4))
        for key, title, text, width in sections]
    return pn.Column(
        tab_intro(intro),
        pn.FlexBox(*cards, flex_wrap="wrap", sizing_mode="stretch_width"),
        sizing_mode="stretch_width")
