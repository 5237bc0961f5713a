"""robots.txt and the sitemap: what search engines are told."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from lessons.models import Status, Tier

from .factories import make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def content():
    climb = make_climb(slug="ds", title="Distributed Systems")
    piece = make_piece(climb, slug="leases", order=1)
    zero = make_version(piece, tier=Tier.ZERO, steps=1)
    senior = make_version(piece, tier=Tier.SENIOR, steps=1)
    draft = make_version(make_piece(climb, slug="unfinished", order=2), status=Status.DRAFT)
    return {"climb": climb, "zero": zero, "senior": senior, "draft": draft}


def robots(client) -> RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    parser = RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


def test_robots_lets_crawlers_read_every_reading_page_in_both_languages(client, content):
    parser = robots(client)
    for prefix in ("", "/ru"):
        for path in (
            "/",
            content["climb"].get_absolute_url(),
            content["zero"].get_absolute_url(),
            content["senior"].get_absolute_url(),
        ):
            assert parser.can_fetch("*", f"https://climb.example{prefix}{path}"), prefix + path


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/accounts/login/",
        "/teams/",
        "/teams/1/",
        "/progress/",
        "/progress/answers.csv",
        "/answer/",
        "/search/?q=lease",
        "/ru/accounts/signup/",
        "/ru/teams/1/members/",
        "/ru/progress/",
        "/ru/search/",
    ],
)
def test_robots_keeps_crawlers_out_of_private_and_endless_pages(client, path):
    assert not robots(client).can_fetch("*", f"https://climb.example{path}")


def test_robots_runs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/robots.txt").status_code == 200


def test_robots_points_at_the_sitemap(client):
    text = client.get("/robots.txt", headers={"X-Forwarded-Proto": "https"}).content.decode()
    sitemap = [line for line in text.splitlines() if line.startswith("Sitemap: ")]
    assert len(sitemap) == 1
    address = urlsplit(sitemap[0].removeprefix("Sitemap: "))
    assert address.scheme in ("http", "https") and address.netloc
    assert client.get(address.path).status_code == 200


def test_robots_is_not_redirected_for_a_russian_reader(client):
    client.cookies["django_language"] = "ru"
    assert client.get("/robots.txt").status_code == 200
    assert client.get("/sitemap.xml").status_code == 200


def sitemap(client) -> dict[str, dict]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    entries = {}
    for url in ET.fromstring(response.content).findall("s:url", NS):
        loc = url.findtext("s:loc", namespaces=NS)
        entries[loc.split("://", 1)[1].split("/", 1)[1]] = {
            "lastmod": url.findtext("s:lastmod", namespaces=NS),
            "alternates": {
                link.get("hreflang"): link.get("href").split("://", 1)[1].split("/", 1)[1]
                for link in url.findall("x:link", NS)
            },
        }
    return entries


def test_sitemap_lists_every_published_page_in_both_languages_with_alternates(client, content):
    entries = sitemap(client)
    pages = [
        "",
        content["climb"].get_absolute_url()[1:],
        content["zero"].get_absolute_url()[1:],
        content["senior"].get_absolute_url()[1:],
    ]
    assert set(entries) == {page for path in pages for page in (path, f"ru/{path}")}
    piece = content["senior"].get_absolute_url()[1:]
    assert entries[piece]["alternates"] == {"en": piece, "ru": f"ru/{piece}", "x-default": piece}
    assert entries[f"ru/{piece}"]["alternates"] == entries[piece]["alternates"]
    assert entries[piece]["lastmod"] == content["senior"].updated_at.date().isoformat()
    assert entries[content["climb"].get_absolute_url()[1:]]["lastmod"]


def test_sitemap_leaves_out_drafts_and_climbs_without_published_pieces(client, content):
    make_version(make_piece(make_climb(slug="empty"), slug="soon"), status=Status.DRAFT)
    entries = sitemap(client)
    assert not any("unfinished" in loc or "empty" in loc for loc in entries)


def test_sitemap_query_count_does_not_grow_with_the_content(
    client, content, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        sitemap(client)
    for n in range(30):
        make_version(make_piece(content["climb"], slug=f"more-{n}", order=10 + n), steps=0)
    with django_assert_max_num_queries(3):
        assert len(sitemap(client)) == 2 * (4 + 30)


def test_the_sitemap_answers_only_reads(client):
    assert client.head("/sitemap.xml").status_code == 200
    for method in ("options", "trace", "post"):
        assert getattr(client, method)("/sitemap.xml").status_code == 405
