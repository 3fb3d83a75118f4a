"""What the kiosk looks like at 80×24: idle, reasons and thank-you (pytest-textual-snapshot).

Update after a deliberate change with ``pytest tests/kiosk/test_snapshots.py --snapshot-update``
and look at the new SVGs before committing them.
"""

from __future__ import annotations


def test_idle_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_idle_screen_with_qr_code(snap_compare, make_app):
    assert snap_compare(make_app(sms_number="+14155550134", station="front"), terminal_size=(80, 24))


def test_reasons_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["1"])


def test_thanks_screen(snap_compare, make_app):
    assert snap_compare(make_app(thanks_seconds=60), terminal_size=(80, 24), press=["2"])


def test_light_theme_idle_screen(snap_compare, make_app):
    assert snap_compare(make_app(theme="light"), terminal_size=(80, 24))


def test_idle_screen_with_a_choice_focused(snap_compare, make_app, pin_hash):
    assert snap_compare(make_app(pin_hash=pin_hash), terminal_size=(80, 24), press=["right", "right"])


def test_phone_screen_ticked(snap_compare, make_app):
    async def tick(pilot):  # type: ignore[no-untyped-def]
        await pilot.press("1")
        await pilot.click("#skip")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        await pilot.press(*"4155550134", "down")
        await pilot.click("#consent")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=tick)
