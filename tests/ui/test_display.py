"""The display options (test points, hard classes, colour-blind palette) on the page: a link
sets them, the address bar keeps them, the set-up file saves and reopens them, and the
palette reaches the points, their shapes, the heatmap, the diagram and the matrix."""
import panel as pn

from playground import export
from playground.state import urlstate
from playground.state.display import Display
from playground.ui import PlaygroundApp, theme
from playground.ui.links import PAGE


def build(query=None):
    app = PlaygroundApp(query=query)
    assert pn.panel(app).get_root() is not None
    app.stop()
    return app


def search(app):
    return urlstate.to_search(app.run.settings(), urlstate.View(display=app.display.values()),
                              PAGE)


def test_a_link_opens_the_page_with_its_display_options():
    app = build("?dataset=xor&show_test=1&discretize=1&palette=okabe_ito")
    assert app.display.values() == {"show_test": True, "discretize": True,
                                    "palette": "okabe_ito"}
    assert app.controls.message_kind != "warning"           # nothing to complain about
    out = app.output
    okabe = theme.PALETTES["okabe_ito"]
    assert out.test_glyph.visible and out.show_test_toggle.value
    assert out.discretize_toggle.value and out.palette_select.value == "okabe_ito"
    assert list(out.mapper.palette) == okabe.discrete            # hard classes, its colours
    assert list(out.point_mapper.palette) == okabe.scale
    assert okabe.negative in out.scale.object and "▲" in out.scale.object
    y, shapes = out.train_pts.data["y"], out.train_pts.data["marker"]
    assert {m for v, m in zip(y, shapes) if v > 0} == {"circle"}
    assert {m for v, m in zip(y, shapes) if v < 0} == {"triangle"}
    assert list(app.diagram.sign_mapper.palette) == [okabe.negative, okabe.positive]
    assert list(app.diagram.node_mapper.palette) == okabe.scale
    assert search(app) == "?dataset=xor&show_test=1&discretize=1&palette=okabe_ito"


def test_the_standard_palette_is_the_default_and_changes_live():
    app = build("?dataset=blobs3")
    out, std = app.output, theme.PALETTES["standard"]
    assert app.display.values() == {"show_test": False, "discretize": False,
                                    "palette": "standard"}
    assert set(out.train_pts.data["marker"]) == {"circle"}
    assert list(out.point_mapper.palette) == list(std.classes[:3])
    epoch = app.run.epoch
    out.palette_select.value = "okabe_ito"                  # the menu, as a click would
    okabe = theme.PALETTES["okabe_ito"]
    assert app.display.palette == "okabe_ito" and app.run.epoch == epoch
    assert list(out.point_mapper.palette) == list(okabe.classes[:3])
    assert list(out.mapper.palette) == okabe.class_scale
    y, shapes = out.train_pts.data["y"], out.train_pts.data["marker"]
    assert {int(v): m for v, m in zip(y, shapes)} == {0: "circle", 1: "triangle", 2: "square"}
    conf = app.confusion.source.data["color"]
    assert conf[0] == theme.blend("#ffffff", okabe.classes[0], 0.35)     # its diagonal
    assert "palette=okabe_ito" in search(app)
    app.display.palette = "standard"                        # and back, from the state
    assert out.palette_select.value == "standard"
    assert list(out.point_mapper.palette) == list(std.classes[:3])


def test_bad_display_values_in_a_link_are_named_and_ignored():
    settings, view, notices = urlstate.from_query(
        "?palette=neon&show_test=maybe&discretize=", PAGE)
    assert dict(view.display) == {} and settings == {}
    assert notices == [
        "palette=neon is not a palette here; choose standard or okabe_ito; using standard",
        "show_test=maybe is not on or off; choose 1 (on) or 0 (off); using 0",
        "discretize= is empty; choose 1 (on) or 0 (off); using 0"]
    _, view, notices = urlstate.from_query("?show_test=true&discretize=off", PAGE)
    assert dict(view.display) == {"show_test": True, "discretize": False} and notices == []
    app = build("?palette=neon")
    assert app.display.palette == "standard" and app.controls.message_kind == "warning"


def test_the_set_up_file_keeps_the_display_options():
    app = build("?dataset=spiral3&palette=okabe_ito&show_test=1")
    text = app.export.settings_dl.callback().getvalue()
    assert '"palette": "okabe_ito"' in text
    assert export.display_from_json(text) == {"show_test": True, "discretize": False,
                                              "palette": "okabe_ito"}
    other = build()
    other.export.settings_in.value = text.encode()            # open it on another page
    assert other.display.values() == app.display.values()
    assert other.run.dataset == "spiral3" and other.output.palette_select.value == "okabe_ito"
    assert other.controls.message_kind != "danger"


def test_a_file_without_display_options_leaves_the_page_s_own():
    app = build("?palette=okabe_ito")
    old = export.settings_to_json(app.run)                  # as files were saved before
    assert "display" not in old and export.display_from_json(old) == {}
    app.export.settings_in.value = old.encode()
    assert app.display.palette == "okabe_ito"


def test_bad_display_options_in_a_file_refuse_it_and_change_nothing():
    app = build("?dataset=xor")
    good = export.settings_to_json(app.run, Display().values())
    for bad, words in [('"palette": "neon"', "display: palette: 'neon' is not a palette here"),
                       ('"palette": 3', "display: palette: 3 is not a palette here"),
                       ('"show_test": "yes"', "display: show_test: 'yes' is not on or off"),
                       ('"show_test": 1', "display: show_test: 1 is not on or off")]:
        key = bad.split(":")[0]
        line = next(x for x in good.splitlines() if x.strip().startswith(key))
        text = good.replace(line.strip().rstrip(","), bad)
        try:
            export.display_from_json(text)
        except ValueError as exc:
            assert str(exc).startswith(words), str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
        page = build("?dataset=circle")
        page.export.settings_in.value = text.encode()
        assert page.run.dataset == "circle" and page.display.palette == "standard"
        assert page.controls.message_kind == "danger"
    text = good.replace('"display": {', '"display": {"sparkles": true, ')
    try:
        export.display_from_json(text)
    except ValueError as exc:
        assert "unknown option(s) 'sparkles'" in str(exc)
    else:
        raise AssertionError("an unknown option was accepted")
