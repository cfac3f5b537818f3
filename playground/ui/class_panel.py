"""The class bar of a student's page (``/app?class=CODE``): join under a name, then see
who you are in which class; the teacher's pushes are applied by the page
(``PlaygroundApp``)."""
from __future__ import annotations

import html

import panel as pn

from ..classroom.membership import Membership
from ..classroom.store import MAX_NAME


class ClassPanel(pn.viewable.Viewer):
    """Join a class; ``member`` is the page's Membership."""

    def __init__(self, member: Membership, on_error, **params):
        super().__init__(**params)
        self.member = member
        self._on_error = on_error
        self.name_input = pn.widgets.TextInput(
            placeholder="your name", max_length=MAX_NAME, width=180, margin=(0, 5),
            description="The name your teacher will see on the class board (nothing "
                        "else about you is kept).")
        self.join_button = pn.widgets.Button(label="Join", color="primary", width=70,
                                             margin=(0, 5),
                                             description="Join the class under this name.")
        self.join_button.on_click(lambda e: self.join())
        self.name_input.param.watch(lambda e: self.join(), "enter_pressed")
        self.text = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        self.row = pn.Row(self.text, self.name_input, self.join_button, margin=(2, 0),
                          css_classes=["pg-class-bar"], sizing_mode="stretch_width",
                          visible=not member.problem)
        self._show()

    def _show(self):
        m = self.member
        title = html.escape(m.title)
        if m.joined:
            name = html.escape(m.student.name)
            self.text.object = (f'<div class="pg-readout" role="status">You are in '
                                f'<strong>{title}</strong> as <strong>{name}</strong>. '
                                f'What your teacher opens appears here.</div>')
            self.name_input.visible = self.join_button.visible = False
        else:
            self.text.object = (f'<div class="pg-readout">Class <strong>{title}</strong> '
                                f'(code {m.code}): type your name to join.</div>')

    def join(self):
        if self.member.joined:
            return
        try:
            self.member.join(self.name_input.value_input or self.name_input.value)
        except ValueError as exc:
            self._on_error(f"Could not join the class: {exc}.")
            return
        self._show()

    def __panel__(self):
        return self.row
