"""Keyboard shortcuts of the playground tab, and their help.

Space plays and pauses, → trains one epoch, R resets, ? shows or hides the help and Esc
leaves a text field or a menu (and closes the help). A few lines of JavaScript, installed
once per page, listen to the page's keys and send the action to the server through a Bokeh
model (the way ``heartbeat`` sends its beats); the server then clicks the same buttons a
mouse would, so a key does exactly what its button does.

Keys do nothing while the focus is in a text field, a number box or a menu (the letters
and arrows are the field's), nor on another tab (``active``); Space also leaves a focused
button, checkbox or slider alone, and never scrolls the page when it plays. On a focused
tab title (on any tab), Enter or Space opens that tab and ← → move between the titles.

    keys = Keyboard({"play": controls.play, "step": controls.step, "reset": controls.reset})
    keys.install(doc)                  # once per page, under a server
    layout = pn.Column(..., keys.button, keys.help, keys.pane)
    keys.active = tab == "playground"  # whenever the tab changes
"""
from __future__ import annotations

import panel as pn
from bokeh.models import ColumnDataSource, CustomJS, Div
from panel.io.state import set_curdoc

from .binding import tooltip_below

ACTIONS = ("play", "step", "reset", "help", "close")
KEYS = (("Space", "Play or pause training"),
        ("→ (right arrow)", "Train one epoch (Step)"),
        ("R", "Reset: fresh random weights"),
        ("?", "Show or hide this help"),
        ("Esc", "Leave a text field or menu, so that the keys work again; close this help"),
        ("Tab, Shift+Tab", "Move to the next or previous control"),
        ("Enter, Space", "Press the focused button"),
        ("Arrow keys", "Change the focused menu or slider; move between the tabs' titles"),
        ("Enter on a tab's title", "Open that tab"))

HELP_HTML = (
    '<div class="pg-keys" role="region" aria-label="Keyboard shortcuts">'
    '<div class="pg-section-title">Keyboard shortcuts (Playground tab)</div>'
    '<table class="pg-table pg-keys-table"><caption class="pg-visually-hidden">Keys and what '
    'they do</caption><thead><tr><th scope="col">Key</th><th scope="col">What it does</th>'
    '</tr></thead><tbody>'
    + "".join(f'<tr><th scope="row"><kbd>{k}</kbd></th><td>{what}</td></tr>'
              for k, what in KEYS)
    + '</tbody></table><div class="pg-note">The shortcuts do nothing while you type in a '
      'box or choose in a menu: press Esc first.</div></div>')

# tags of the key model: [press number, action]; of the state model: [1 on the playground tab]
KEYS_JS = """
if (!window._pg_keys) {
  const k = window._pg_keys = {n: 0, want: 0}
  const NOT_TYPED = new Set(["checkbox", "radio", "button", "submit", "reset", "file",
                             "range", "color", "image"])
  const OWN_SPACE = new Set(["BUTTON", "A", "SUMMARY", "INPUT", "SELECT", "TEXTAREA"])
  const OWN_SPACE_ROLES = new Set(["button", "checkbox", "switch", "radio", "slider", "tab",
                                   "option", "menuitem", "link", "combobox", "listbox",
                                   "spinbutton", "textbox"])
  const OWN_ARROWS = new Set(["slider", "tab", "radio", "listbox", "combobox", "menu",
                              "menuitem", "option", "spinbutton", "scrollbar", "textbox"])
  const focused = (e) => {
    const path = e.composedPath ? e.composedPath() : []
    return path.length ? path[0] : e.target
  }
  const deepActive = () => {
    let a = document.activeElement
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement
    return a
  }
  const leave = () => {
    const a = deepActive()
    if (a && a.blur) a.blur()
  }
  // opening a tab draws its titles anew: the focus stays on the title just opened (for
  // three seconds, while the tab is built, unless the student has moved it elsewhere)
  // k.want is the title the student last chose, so that an arrow pressed in those three
  // seconds is kept too when the titles are drawn again
  const keepFocus = (root, tries) => {
    const a = deepActive()
    const tab = root.querySelectorAll(".bk-tab")[k.want]
    if (tab && (!a || a === document.body)) tab.focus()
    if (tries > 0) setTimeout(() => keepFocus(root, tries - 1), 100)
  }
  // a tab's title (Bokeh draws them as plain elements that only a click opens): Enter or
  // Space opens its tab, ← and → move to the title beside it, on every tab
  const onTab = (e, t) => {
    if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") {
      const root = t.getRootNode()
      const i = Array.from(root.querySelectorAll(".bk-tab")).indexOf(t)
      k.want = i
      t.click()
      keepFocus(root, 30)
    } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const all = Array.from(t.parentElement.querySelectorAll(".bk-tab"))
      const i = all.indexOf(t) + (e.key === "ArrowRight" ? 1 : -1)
      k.want = (i + all.length) % all.length
      all[k.want].focus()
    } else {
      return
    }
    e.preventDefault()
  }
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return
    const t = focused(e) || {}
    if (t.classList && t.classList.contains("bk-tab")) return onTab(e, t)
    if (!(state.tags && state.tags[0] === 1)) return
    const tag = t.tagName || ""
    const role = (t.getAttribute && t.getAttribute("role")) || ""
    const typing = tag === "SELECT" || tag === "TEXTAREA" || t.isContentEditable === true
      || (tag === "INPUT" && !NOT_TYPED.has((t.type || "").toLowerCase()))
    let action = null
    if (e.key === "Escape") {
      if (typing) leave()
      action = "close"
    } else if (typing) {
      return
    } else if (e.key === " " || e.key === "Spacebar") {
      if (OWN_SPACE.has(tag) || OWN_SPACE_ROLES.has(role)) return
      action = "play"
    } else if (e.key === "ArrowRight") {
      if (OWN_ARROWS.has(role)) return
      action = "step"
    } else if (e.key === "r" || e.key === "R") {
      action = "reset"
    } else if (e.key === "?") {
      action = "help"
    } else {
      return
    }
    if (action !== "close") e.preventDefault()
    k.n = (k.n + 1) % 1000000
    keys.tags = [k.n, action]
  })
}
"""


class Keyboard:
    """The page's shortcuts: the key listener, the help button and the help itself."""

    def __init__(self, buttons: dict):
        """buttons: the Panel buttons that "play", "step" and "reset" press."""
        self.buttons = dict(buttons)
        self.pressed: list[str] = []        # the actions done, oldest first (the last 20)
        self._doc = None
        self.button = pn.widgets.Button(
            label="Keyboard", width=100, height=28, margin=0, color="light",
            styles={"position": "absolute", "top": "2px", "right": "6px", "z-index": "1"},
            description=tooltip_below("Show the keyboard shortcuts (or press ?): Space "
                                      "plays and pauses, → steps one epoch, R resets."))
        self.help = pn.pane.HTML(HELP_HTML, visible=False, margin=(2, 5),
                                 sizing_mode="stretch_width")
        self.button.on_click(lambda e: self.show_help(not self.help.visible))
        # data sources the browser keeps in step without drawing them; the hidden Div only
        # brings them into the page
        self.model = ColumnDataSource(data={})
        self.model.on_change("tags", self._key)
        self.state = ColumnDataSource(data={}, tags=[1])
        anchor = Div(text="", width=0, height=0, visible=False)
        anchor.js_on_change("tags", CustomJS(args=dict(keys=self.model, state=self.state),
                                             code=""))
        self.pane = pn.pane.Bokeh(anchor, visible=False, margin=0)

    @property
    def active(self) -> bool:
        """Whether the keys work now (the playground tab is shown)."""
        return self.state.tags == [1]

    @active.setter
    def active(self, value: bool) -> None:
        tags = [1 if value else 0]
        if self.state.tags != tags:
            self.state.tags = tags

    def show_help(self, shown: bool) -> None:
        """Show or hide the list of keys; the button says what a press will do."""
        self.help.visible = bool(shown)
        self.button.label = "Hide keys" if shown else "Keyboard"

    def install(self, doc) -> None:
        self._doc = doc
        doc.js_on_event("document_ready", CustomJS(
            args=dict(keys=self.model, state=self.state), code=KEYS_JS))

    def _key(self, attr, old, new):
        try:
            action = str(new[1])
        except (IndexError, KeyError, TypeError):
            return                          # not a key this page sends
        if action not in ACTIONS:
            return
        if self._doc is not None:
            with set_curdoc(self._doc):
                self.press(action)
        else:
            self.press(action)

    def press(self, action: str) -> bool:
        """Do what a key does: press a button, or show/hide the help. False when it did
        nothing (another tab shown, the button disabled, an unknown action)."""
        if not self.active or action not in ACTIONS:
            return False
        if action == "help":
            self.show_help(not self.help.visible)
        elif action == "close":
            if not self.help.visible:
                return False
            self.show_help(False)
        else:
            button = self.buttons.get(action)
            if button is None or button.disabled or not button.visible:
                return False
            button.clicks += 1              # its on_click callbacks, as for a mouse click
        self.pressed = (self.pressed + [action])[-20:]
        return True
