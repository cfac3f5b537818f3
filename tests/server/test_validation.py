"""Bokeh's check of each new page's whole document is skipped by the server's set-up (the
tests check the page and every lab instead: tests/ui/test_viewers.py)."""
import pytest
from bokeh.settings import settings

from playground import server


@pytest.fixture
def bokeh_setting():
    """Bokeh's setting as it is with nothing set, and as it was again afterwards: another
    test in this process may already have set the server up (``server.install``)."""
    setting = settings.perform_document_validation
    before = setting()
    setting.unset_value()
    yield setting
    setting.unset_value()
    if before is not setting():
        setting.set_value(before)


def test_the_server_skips_bokehs_check_of_each_new_document(monkeypatch, bokeh_setting):
    monkeypatch.delenv("BOKEH_VALIDATE_DOC", raising=False)
    assert bokeh_setting() is True                       # Bokeh's default
    assert server.skip_document_validation() is True
    assert bokeh_setting() is False


def test_bokehs_own_setting_in_the_environment_is_kept(monkeypatch, bokeh_setting):
    monkeypatch.setenv("BOKEH_VALIDATE_DOC", "true")
    assert server.skip_document_validation() is False
    assert bokeh_setting() is True
