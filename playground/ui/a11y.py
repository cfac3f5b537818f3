"""Page styles and names for keyboard and screen-reader users (no computation).

Panel draws each widget in its own shadow DOM, where the page's own stylesheet does not
reach; what ``pn.config.raw_css`` holds is added to every Panel component's stylesheets,
so these rules reach every button, menu, slider, input and tab. (Bokeh's own focus styles
are a 1-px dotted grey line or none at all: too faint to follow.)
"""
from __future__ import annotations

import panel as pn
from bokeh.models import CustomJS

FOCUS_COLOR = "#0b3d91"      # 10:1 on white, 8:1 on the page's grey

A11Y_CSS = f"""
:focus-visible {{ outline: 3px solid {FOCUS_COLOR} !important;
  outline-offset: 2px !important; }}
:host(:focus-visible) {{ outline: 3px solid {FOCUS_COLOR} !important;
  outline-offset: 2px !important; }}
.bk-input:focus-visible, select:focus-visible, input:focus-visible, textarea:focus-visible {{
  outline: 3px solid {FOCUS_COLOR} !important; outline-offset: 1px !important; }}
.noUi-handle:focus-visible, .noUi-handle:focus {{ outline: 3px solid {FOCUS_COLOR} !important;
  outline-offset: 1px !important; }}
.pg-visually-hidden {{ position: absolute !important; width: 1px; height: 1px; padding: 0;
  margin: 0; overflow: visible; clip: rect(0, 0, 0, 0); clip-path: inset(50%); border: 0; }}
kbd {{ font-family: monospace; font-size: 12px; color: #222; background: #f4f4f4;
  border: 1px solid #767676; border-radius: 3px; padding: 0 4px; white-space: nowrap; }}
.pg-keys {{ background: #fff; border: 1px solid #767676; border-radius: 4px;
  padding: 4px 8px; margin: 2px 0 4px 0; }}
.pg-keys-table th[scope="row"] {{ text-align: left; font-weight: 400; background: none; }}
.pg-keys-table td {{ text-align: left; font-family: sans-serif; }}
.pg-readout[style*="#777"] {{ color: #666 !important; }}
.pg-swatch {{ display: inline-block; width: 14px; height: 4px; vertical-align: middle;
  border-radius: 1px; }}
.pg-weights {{ margin: 4px 0 8px 0; }}
.pg-weights caption {{ text-align: left; font-family: sans-serif; font-size: 12px;
  color: #333; padding: 2px 0; }}
.pg-weights th[scope="row"] {{ text-align: left; background: none; font-weight: 600; }}
"""

# A widget with no visible label still needs one for a screen reader: its label element is
# kept (with the words) but drawn nowhere, so the layout does not change.
HIDDEN_LABEL_CSS = """
label { position: absolute !important; width: 1px !important; height: 1px !important;
  padding: 0 !important; margin: 0 !important; overflow: visible !important;
  clip: rect(0, 0, 0, 0) !important; clip-path: inset(50%) !important;
  white-space: normal !important; border: 0 !important; }
"""

# widgets that type or choose a value, which Bokeh labels with a <label> element
LABELLED = ("Select", "TextInput", "IntInput", "FloatInput", "FileInput", "DatetimeInput",
            "PasswordInput", "TextAreaInput", "NumberInput", "Spinner", "MultiSelect")


def hidden_label(widget, text: str):
    """Give ``widget`` the label ``text`` that screen readers read and nobody sees."""
    widget.label = text
    if HIDDEN_LABEL_CSS not in widget.stylesheets:
        widget.stylesheets = [*widget.stylesheets, HIDDEN_LABEL_CSS]
    return widget


def label_from_tooltip(description) -> str:
    """A short label from a control's tooltip: its first sentence, up to a colon or a
    bracket ("Dropout in layer 1: while training, …" -> "Dropout in layer 1")."""
    text = getattr(description, "content", description) or ""
    for stop in (". ", ": ", " (", " — "):
        text = text.split(stop, 1)[0]
    return text.strip().rstrip(".:") if text.strip() else ""


def name_controls(viewable) -> int:
    """Give every input widget inside ``viewable`` that has no label a hidden one, taken
    from its tooltip. Returns how many were named."""
    n = 0
    for w in viewable.select(pn.widgets.Widget):
        if type(w).__name__ not in LABELLED and not any(
                c.__name__ in LABELLED for c in type(w).__mro__):
            continue
        if getattr(w, "label", None):
            continue
        text = label_from_tooltip(getattr(w, "description", None))
        if text:
            hidden_label(w, text)
            n += 1
    return n


# Names for parts of Bokeh's widgets that Bokeh leaves unnamed and no public option
# reaches: a slider's handle (role="slider", named here after the slider's title), a
# checkbox (its words are a <div> beside the box, not a <label>), a number box's two small
# arrow buttons (named "Increase …"/"Decrease …" and taken out of the Tab order: the arrow
# keys in the box do the same), the tabs' titles (roles tablist, tab and which one is
# selected), and the page itself (its one drawn root is the main landmark). Installed once
# per page; it looks again in the next animation frame after anything that can hold a
# control is drawn (a MutationObserver on the page and on every view's shadow root: a view,
# a slider's handle, a number box's arrows, a checkbox or a tab bar added), at most once
# every NAME_SOON_MS (window._pg_name_looks counts these looks), so a control is named at
# once however late its view is built; and every NAME_EVERY_MS for what changes without
# being added (a tab selected).
NAME_EVERY_MS = 2000         # a scan of the page costs about 4 ms on a slow laptop
NAME_SOON_MS = 100           # a lab whose cards come one a frame is looked at 10 times a
                             # second, not 60
BRINGS_CONTROLS = '[role="slider"], .bk-spin-btn, input[type="checkbox"], .bk-headers-wrapper'
NAMES_JS = """
if (!window._pg_names) {
  let watch = (root) => {}
  const scan = (root) => {
    for (const h of root.querySelectorAll('[role="slider"]:not([aria-label])')) {
      const t = h.getRootNode().querySelector(".bk-slider-title")
      if (!t) continue
      const v = t.querySelector(".bk-slider-value")
      let words = t.textContent
      if (v) words = words.slice(0, words.length - v.textContent.length)
      words = words.trim().replace(/:$/, "").trim()
      if (words) h.setAttribute("aria-label", words)
    }
    for (const b of root.querySelectorAll(".bk-spin-btn:not([aria-label])")) {
      const lab = b.getRootNode().querySelector("label")
      const words = lab ? lab.textContent.trim() : ""
      const up = b.classList.contains("bk-spin-btn-up")
      b.setAttribute("aria-label", (up ? "Increase" : "Decrease") + (words ? " " + words : ""))
      b.setAttribute("tabindex", "-1")
    }
    for (const c of root.querySelectorAll('input[type="checkbox"]:not([aria-label])')) {
      const words = c.nextElementSibling && c.nextElementSibling.classList.contains("bk-label")
        ? c.nextElementSibling.textContent.trim() : ""
      if (words) c.setAttribute("aria-label", words)
    }
    for (const bar of root.querySelectorAll(".bk-headers-wrapper")) {
      const tabs = Array.from(bar.children).filter((c) => c.classList.contains("bk-tab"))
      if (!tabs.length || tabs.length !== bar.children.length) continue
      bar.setAttribute("role", "tablist")
      for (const tab of tabs) {
        tab.setAttribute("role", "tab")
        tab.setAttribute("aria-selected", tab.classList.contains("bk-active") ? "true" : "false")
      }
    }
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) {
      watch(el.shadowRoot)
      scan(el.shadowRoot)
    }
  }
  const main = () => {       // the page's one root that draws anything is its main part
    if (document.querySelector("main, [role=main]")) return
    const roots = Array.from(document.querySelectorAll("body > [data-root-id]"))
      .filter((r) => r.childElementCount > 0)
    if (roots.length === 1) roots[0].setAttribute("role", "main")
  }
  window._pg_names = setInterval(() => { main(); scan(document) }, every)
  let asked = false, last = -Infinity
  const look = () => {   // in an animation frame (timers wait behind a busy page's tasks)
    if (performance.now() - last < soon_ms) { requestAnimationFrame(look); return }
    asked = false
    last = performance.now()
    main()
    scan(document)
  }
  const brings = (n) => n.nodeType === 1 &&
    (n.shadowRoot || n.matches(brings_controls) || n.querySelector(brings_controls))
  const drawn = new MutationObserver((records) => {
    if (asked) return            // one look for all that comes before it
    for (const r of records) for (const n of r.addedNodes) if (brings(n)) {
      asked = true
      window._pg_name_looks = (window._pg_name_looks || 0) + 1
      requestAnimationFrame(look)
      return
    }
  })
  const watched = new WeakSet()
  watch = (root) => {
    if (watched.has(root)) return
    watched.add(root)
    drawn.observe(root, {childList: true, subtree: true})
  }
  watch(document)
  main()
  scan(document)
}
"""


def install_names(doc) -> None:
    """Name the sliders' handles and the number boxes' arrows of this page (NAMES_JS)."""
    doc.js_on_event("document_ready", CustomJS(
        args=dict(every=NAME_EVERY_MS, soon_ms=NAME_SOON_MS, brings_controls=BRINGS_CONTROLS),
        code=NAMES_JS))
