from __future__ import annotations


def test_home_page_loads_in_chromium(live_server, demo, page, console_errors):
    page.goto(live_server.url + "/")
    assert page.title().endswith("Climb")
    assert page.get_by_role("link", name="Distributed Systems").is_visible()
    assert console_errors == []
