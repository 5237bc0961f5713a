"""The reading pages: what each shows, what it hides, its 404s and its query count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from climb.learning.models import Answer
from lessons.models import Choice, Status, Tier

from .factories import make_climb, make_piece, make_source, make_version

pytestmark = pytest.mark.django_db


def piece_url(version) -> str:
    return version.get_absolute_url()


@pytest.fixture
def version():
    climb = make_climb(slug="distributed-systems", title="Distributed Systems")
    first = make_version(make_piece(climb, slug="first", order=1), title="First piece", steps=1)
    piece = make_piece(climb, slug="leader", order=2)
    make_version(piece, tier=Tier.ZERO, title="Leaders for beginners", steps=1)
    senior = make_version(
        piece,
        tier=Tier.SENIOR,
        title="Leader election: code and log reading",
        crux="An exclusive lock does not make an exclusive writer.",
        minutes=14,
        intro="Bugs hide in the *gap*.",
        goal="Find the gap.",
        recap="Fix it where the write lands.",
        steps=2,
    )
    for n in range(3):
        make_source(senior, title=f"Source {n}", position=n)
    make_version(make_piece(climb, slug="after", order=3), tier=Tier.MIDDLE, title="After", steps=1)
    senior.first = first
    return senior


def test_home_lists_climbs_with_pieces_tiers_and_time(client, version):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Distributed Systems" in html
    assert re.search(r"<dt>Pieces</dt><dd>3</dd>", html)
    assert "tier-badge tier-zero" in html and "tier-badge tier-senior" in html
    assert "tier-badge tier-junior" not in html
    # 7 + 7 + 14 + 7 minutes: every published tier version
    assert "35 min" in html


def test_home_hides_climbs_without_published_content(client):
    climb = make_climb(title="Empty climb")
    make_version(make_piece(climb), status=Status.DRAFT)
    assert "Empty climb" not in client.get("/").content.decode()


def test_climb_page_lists_pieces_in_order_with_badges_crux_and_minutes(client, version):
    html = client.get(reverse("lessons:climb", args=["distributed-systems"])).content.decode()
    assert html.index("First piece") < html.index("Leaders for beginners") < html.index("After")
    assert "/climbs/distributed-systems/leader/senior/" in html
    assert "14 min" in html
    assert "The trap, in one line." in html


def test_piece_page_shows_the_whole_anatomy(client, version):
    response = client.get(piece_url(version))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Leader election: code and log reading — Senior · Climb</title>" in html
    assert 'href="/climbs/distributed-systems/"' in html  # back to the climb
    assert "<h1>Leader election: code and log reading</h1>" in html
    assert "An exclusive lock does not make an exclusive writer." in html
    assert '<span aria-current="page">Senior</span>' in html
    assert 'data-tier-link="zero"' in html  # the other tier of this piece is a link
    assert "is-missing" in html  # junior and middle are not written
    assert "14 min" in html
    assert "Bugs hide in the <em>gap</em>." in html
    assert "Find the gap." in html
    # Steps unfold: the first is open, the second waits for the first answer.
    assert html.count('class="line marked"') == 1
    assert html.count('class="quiz-form"') == 1
    assert 'class="step is-locked" id="step-2"' in html
    assert "Answer every question to see the recap." in html
    assert "Your altitude — next tier: Zero" in html
    assert 'href="/climbs/distributed-systems/after/middle/"' in html and "After" in html
    assert 'href="/climbs/distributed-systems/first/zero/"' in html
    assert re.search(r'Sources <span class="count">3</span>', html)
    assert '<details class="panel shortcuts"' in html


def test_piece_page_never_contains_the_correct_answer(client, version):
    html = client.get(piece_url(version)).content.decode()
    for choice in Choice.objects.filter(question__step__version=version):
        assert choice.text in html
        assert choice.explanation not in html
    assert "is_correct" not in html and "correct" not in html.lower().replace("incorrect", "")


def test_quiz_is_an_accessible_form(client, version):
    html = client.get(piece_url(version)).content.decode()
    assert "<fieldset" in html and "<legend>" in html
    assert html.count('type="radio"') == 3
    assert "csrfmiddlewaretoken" in html


def test_piece_without_tier_redirects_to_its_lowest_tier(client, version):
    response = client.get(reverse("lessons:piece", args=["distributed-systems", "leader"]))
    assert response.status_code == 302
    assert response["Location"] == "/climbs/distributed-systems/leader/zero/"


def test_previous_and_next_go_to_the_nearest_tier_and_back(client):
    """The audit's case: from Senior, k went to the piece's Zero though it had Middle.
    A tie goes upwards onwards and downwards back, so that k then j is a round trip."""
    climb = make_climb()
    first, second, third = (make_piece(climb, order=n) for n in (1, 2, 3))
    for tier in (Tier.JUNIOR, Tier.SENIOR):
        make_version(first, tier=tier)
    make_version(first, tier=Tier.MIDDLE, status=Status.DRAFT)
    for tier in (Tier.ZERO, Tier.MIDDLE):
        make_version(second, tier=tier)
    for tier in (Tier.ZERO, Tier.SENIOR):
        make_version(third, tier=tier)

    def links(piece, tier: str) -> tuple[str | None, str | None]:
        html = client.get(f"{piece.get_absolute_url()}{tier}/").content.decode()
        found = (re.search(f'<link rel="{rel}" href="([^"]+)">', html) for rel in ("prev", "next"))
        return tuple(match and match[1].split("/")[-2] for match in found)

    assert links(third, "senior") == ("middle", None)  # the nearest, not the lowest
    # Middle is a draft: Junior and Senior are as near, and back is downwards...
    assert links(second, "middle") == ("junior", "senior")
    # ...and onwards upwards: k then j comes back to Middle.
    assert links(first, "junior") == (None, "middle")
    assert links(third, "zero") == ("zero", None)


@pytest.mark.parametrize(
    "url",
    [
        "/climbs/nope/",
        "/climbs/distributed-systems/nope/",
        "/climbs/distributed-systems/leader/expert/",
        "/climbs/distributed-systems/leader/junior/",
        "/climbs/nope/leader/senior/",
        "/climbs/distributed-systems/leader/senior/extra/",
        "/climbs/%E2%9C%93/",
        "/nothing-here",
    ],
)
def test_unknown_addresses_get_the_sites_404(client, version, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()


def test_drafts_are_not_readable(client, version):
    version.status = Status.DRAFT
    version.save()
    assert client.get(piece_url(version)).status_code == 404


def test_a_climb_with_only_drafts_is_not_readable(client):
    climb = make_climb(slug="unfinished", title="Unfinished")
    make_version(make_piece(climb, slug="soon"), status=Status.DRAFT, steps=1)
    assert client.get("/climbs/unfinished/").status_code == 404


def test_pages_refuse_post_with_405(client, version):
    assert client.post("/").status_code == 405


def test_every_page_has_lang_favicon_and_no_inline_script_or_style(client, version):
    for url in ("/", "/climbs/distributed-systems/", piece_url(version), "/climbs/nope/"):
        html = client.get(url).content.decode()
        assert '<html lang="en">' in html
        assert 'rel="icon"' in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "//cdn" not in html and "https://fonts" not in html


def test_piece_page_does_no_rendering_work(client, version, monkeypatch):
    import markdown
    import pygments

    from lessons import rendering

    def forbidden(*args, **kwargs):
        raise AssertionError("a page view rendered Markdown or highlighted code")

    monkeypatch.setattr(markdown, "markdown", forbidden)
    monkeypatch.setattr(markdown.Markdown, "convert", forbidden)
    monkeypatch.setattr(pygments, "highlight", forbidden)
    monkeypatch.setattr(rendering, "highlight", forbidden)
    for name in ("render_markdown", "render_inline_markdown", "highlight_snippet", "sanitise"):
        monkeypatch.setattr(rendering, name, forbidden)
    assert client.get(piece_url(version)).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/climbs/distributed-systems/").status_code == 200


@pytest.mark.parametrize("steps", [3, 30])
def test_piece_page_query_count_does_not_grow_with_steps(client, django_assert_num_queries, steps):
    climb = make_climb()
    make_version(make_piece(climb, order=1), steps=1)
    version = make_version(make_piece(climb, order=2), steps=steps)
    make_version(make_piece(climb, order=3), steps=1)
    # Cold: the content generation (read once a second at most), then the content's six.
    with django_assert_num_queries(7):
        response = client.get(piece_url(version))
    assert response.content.decode().count('class="step is-locked"') == steps - 1


def test_home_and_climb_pages_have_a_fixed_query_count(client, django_assert_max_num_queries):
    for _ in range(20):
        climb = make_climb()
        for order in range(5):
            make_version(make_piece(climb, order=order), steps=0)
    # Rendered: the page's own queries, and the content generation (read again after an edit:
    # it keys the shared copy). A second reader without progress then gets that copy.
    with django_assert_max_num_queries(3):
        home = client.get("/")
    with django_assert_max_num_queries(4):
        page = client.get(climb.get_absolute_url())
    assert home.status_code == page.status_code == 200
    assert home.content.decode().count('class="card climb-card"') == 20
    with django_assert_max_num_queries(0):
        again = client.get("/"), client.get(climb.get_absolute_url())
    assert [response.status_code for response in again] == [200, 200]
    assert again[0].content.decode().count('class="card climb-card"') == 20


def test_every_page_sends_a_strict_content_security_policy(client, version):
    policy = client.get(piece_url(version))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


READING_PAGES = {
    "home": lambda version: "/",
    "climb": lambda version: version.piece.climb.get_absolute_url(),
    "piece": piece_url,
}


@pytest.mark.parametrize("page", READING_PAGES)
def test_readers_without_progress_share_one_cached_page_with_their_own_csrf_token(
    client, version, page, django_assert_num_queries
):
    from django.test import Client

    url = READING_PAGES[page](version)
    first = client.get(url)
    with django_assert_num_queries(0):
        second = Client().get(url)
    assert second.status_code == 200
    assert second.content.count(b"csrfmiddlewaretoken") == first.content.count(
        b"csrfmiddlewaretoken"
    )
    assert second.content.count(b"csrfmiddlewaretoken") >= 1  # the language switch, at least
    assert b"csrf-token-placeholder" not in second.content
    tokens = {
        re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content).group(1)
        for response in (first, second)
    }
    assert len(tokens) == 2  # each reader its own
    assert second.cookies["csrftoken"].value


@pytest.mark.parametrize("page", READING_PAGES)
def test_a_learner_with_progress_never_gets_the_shared_page(client, version, page):
    from django.test import Client

    url = READING_PAGES[page](version)
    Client().get(url)  # a reader without progress fills the shared copy
    question = version.first.steps.first().question
    right = question.choices.get(is_correct=True)
    client.post("/answer/", {"question": question.pk, "choice": right.pk, "attempt": 1})
    mine = client.get(url).content.decode()
    shared = Client().get(url).content.decode()
    assert mine != shared
    if page == "home":
        assert re.search(r"Pieces cleared at every tier</dt>\s*<dd>1 / 3", mine)
        assert re.search(r"Pieces cleared at every tier</dt>\s*<dd>0 / 3", shared)


@pytest.mark.parametrize("page", READING_PAGES)
def test_a_content_edit_shows_at_once_on_the_cached_page(client, version, page):
    url = READING_PAGES[page](version)
    client.get(url)
    climb = version.piece.climb
    climb.title = "Distributed Systems, sharper"
    climb.save()
    assert "Distributed Systems, sharper" in client.get(url).content.decode()


def test_an_edit_saved_by_another_app_server_shows_here_within_the_check_interval(
    client, version, settings, monkeypatch
):
    import time

    from django.db.models import F

    from lessons.models import ContentGeneration, TierVersion

    settings.CONTENT_CHECK_SECONDS = 1
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    assert "Edited elsewhere" not in client.get(piece_url(version)).content.decode()
    # Another process saves the edit: its signal bumps the number in the database, and this
    # process's caches hear nothing of it.
    TierVersion.objects.filter(pk=version.pk).update(title="Edited elsewhere")
    ContentGeneration.objects.filter(pk=1).update(value=F("value") + 1)
    now[0] += 0.5
    assert "Edited elsewhere" not in client.get(piece_url(version)).content.decode()
    now[0] += 0.6
    assert "Edited elsewhere" in client.get(piece_url(version)).content.decode()


def test_a_cached_page_still_accepts_answers(client, version):
    from django.test import Client

    client.get(piece_url(version))  # fills the cache
    reader = Client(enforce_csrf_checks=True)
    html = reader.get(piece_url(version)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    question = version.steps.first().question
    response = reader.post(
        "/answer/",
        {
            "question": question.pk,
            "choice": question.choices.first().pk,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert Answer.objects.filter(question=question, attempt=1).count() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/answer/"), ("post", "/"), ("post", "/search/"), ("get", "/accounts/logout/")],
)
def test_a_wrong_method_gets_a_page_that_says_what_to_do(client, version, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"]  # what the address does take, as HTTP asks
    html = response.content.decode()
    assert "This address is not a page to open" in html
    assert "Go back to the page you came from" in html
    assert '<html lang="en">' in html  # the site's page, with its navigation


def test_a_wrong_method_from_htmx_goes_to_the_toast_not_the_target(client, version):
    response = client.get("/answer/", headers={"HX-Request": "true"})
    assert response.status_code == 405
    assert response["HX-Retarget"] == "#toast"
    assert "Reload the page and try again" in response.content.decode()


def test_a_head_request_to_a_post_only_address_stays_bodiless(client, version):
    response = client.head("/answer/")
    assert response.status_code == 405
    assert response.content == b""


def test_every_kind_of_page_has_one_shortcuts_panel(client, version, django_user_model):
    """`?` opens the panel on every page, and a page never has two (one id)."""
    pages = [
        "/",
        "/climbs/distributed-systems/",
        piece_url(version),
        "/search/?q=leader",
        "/progress/",
        "/about/altitude/",
        "/accounts/login/",
        "/climbs/nope/",
        "/answer/",
    ]
    for url in [*pages, "teams"]:
        if url == "teams":  # a page only a signed-in user sees
            client.force_login(django_user_model.objects.create_user("ada"))
            url = reverse("teams:list")
        html = client.get(url).content.decode()
        assert len(re.findall(r'<details [^>]*id="shortcuts"', html)) == 1, url
        assert "Open this panel" in html and "Next piece" in html, url


def test_a_bare_405_without_allow_still_gets_the_page(rf):
    from django.http import HttpResponse

    from climb.errors import MethodNotAllowedMiddleware

    request = rf.get("/somewhere/")
    request.htmx = False
    response = MethodNotAllowedMiddleware(lambda r: HttpResponse(status=405))(request)
    assert response.status_code == 405
    assert "This address is not a page to open" in response.content.decode()


def test_a_renamed_piece_s_old_address_leads_to_its_new_one(client):
    """The authoring audit renamed a piece's slug: its old address became a 404 for every
    bookmark, link and search engine."""
    from lessons.models import Piece, PieceAlias

    climb = make_climb(slug="ds")
    piece = make_version(make_piece(climb, slug="what-is-a-leader"), tier=Tier.ZERO).piece
    piece.slug = "leaders"
    piece.save()
    response = client.get("/climbs/ds/what-is-a-leader/zero/")
    assert response.status_code == 301
    assert response["Location"] == "/climbs/ds/leaders/zero/"
    assert client.get("/climbs/ds/what-is-a-leader/").status_code == 301
    russian = client.get("/ru/climbs/ds/what-is-a-leader/zero/")
    assert russian["Location"] == "/ru/climbs/ds/leaders/zero/"
    assert client.get("/climbs/ds/what-is-a-leader/junior/").status_code == 404  # no such tier

    # Renamed again: both earlier names lead to the latest.
    piece.slug = "leader-election"
    piece.save()
    for old in ("leaders", "what-is-a-leader"):
        response = client.get(f"/climbs/ds/{old}/zero/")
        assert response["Location"] == "/climbs/ds/leader-election/zero/", old
    # A new piece takes the first name: it is that piece's address now.
    make_version(make_piece(climb, slug="what-is-a-leader", order=5), tier=Tier.ZERO)
    assert client.get("/climbs/ds/what-is-a-leader/zero/").status_code == 200
    assert not PieceAlias.objects.filter(slug="what-is-a-leader").exists()
    assert Piece.objects.filter(slug="what-is-a-leader").count() == 1


def test_a_renamed_piece_taken_back_to_drafts_is_not_followed_from_its_old_address(client):
    """The redirect named the draft's new slug to anyone with the old address, and a 301
    (kept by the browser) led to a 404."""
    climb = make_climb(slug="ds")
    version = make_version(make_piece(climb, slug="what-is-a-leader"), tier=Tier.ZERO)
    piece = version.piece
    piece.slug = "leaders-rework-after-outage"
    piece.save()
    version.status = Status.DRAFT
    version.save()
    for old in ("/climbs/ds/what-is-a-leader/", "/climbs/ds/what-is-a-leader/zero/"):
        response = client.get(old)
        assert response.status_code == 404, old
        assert "leaders-rework" not in response.content.decode()


@pytest.mark.parametrize(
    ("language", "marked", "caption"),
    [
        ("go", "2", "marked line 2"),
        ("go", "2,3-4", "marked lines 2, 3–4"),
        ("log", "2-3", "marked lines 2–3"),
    ],
)
def test_a_snippet_s_caption_reads_as_words(client, language, marked, caption):
    """ "выделены строки 2,10" showed the raw mark; one line was "marked lines 17"; a log was
    read out as "Snippet in log"."""
    from .factories import make_step

    version = make_version(make_piece(make_climb()), steps=0)
    code = "a\nb\nc\nd" if language == "go" else "10:00 a\n10:01 b\n10:02 c"
    make_step(version, language=language, code=code, marked_lines=marked)
    html = client.get(piece_url(version)).content.decode()
    assert f'<span class="marked-note">· {caption}</span>' in html
    hidden = "Snippet:" if language == "log" else "Snippet in"
    assert f'<span class="visually-hidden">{hidden} </span>{language}' in html


def test_the_russian_caption_and_the_sources_in_their_languages(client, version):
    """The sources' notes were English on every Russian page, and read with a Russian voice."""
    version.steps.update(marked_lines="2")
    first, second, _third = version.sources.order_by("position")
    first.note, second.note = "Kleppmann, 2016: pauses", "Burrows, 2006: sequencers"
    first.note_ru = "Клеппман, 2016: паузы"
    first.save()
    second.save()
    english = client.get(piece_url(version)).content.decode()
    assert 'lang="en"' not in english.split('class="panel sources"')[1]
    html = client.get("/ru" + piece_url(version)).content.decode()
    assert '<span class="marked-note">· выделена строка 2</span>' in html
    sources = html.split('class="panel sources"')[1]
    assert 'rel="noopener noreferrer" lang="en">Source 0</a>' in sources  # a work's own title
    assert '<span class="source-note">— Клеппман, 2016: паузы</span>' in sources
    assert '<span class="source-note" lang="en">— Burrows, 2006: sequencers</span>' in sources


def test_the_in_process_bench_times_every_page_it_names(version):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench", "--requests", "2", stdout=out)
    rows = {line.split()[0]: line.split() for line in out.getvalue().splitlines()[2:]}
    assert set(rows) == {"home", "climb", "piece"}
    assert rows["climb"][-1] == version.piece.climb.get_absolute_url()
    assert rows["piece"][-1].startswith(rows["climb"][-1])
    assert all(float(row[1]) > 0 and int(row[3]) >= 0 for row in rows.values())


def test_the_shared_cache_keeps_each_release_apart(monkeypatch):
    """A deploy went on serving the HTML the previous release left in Redis (its templates,
    its hashed static names) until the content changed: shared keys carry the release."""
    from django.core.cache import cache

    from lessons import contentcache

    monkeypatch.setattr(contentcache, "_shared", lambda: True)  # the test cache stands in
    monkeypatch.setattr(contentcache, "release", lambda: "old")
    contentcache.set("page:1:en:/", "<p>old markup</p>", 60)
    assert cache.get("old:page:1:en:/") == "<p>old markup</p>"
    contentcache.clear_local()  # a new process
    assert contentcache.get("page:1:en:/") == "<p>old markup</p>"  # same release: shared

    contentcache.clear_local()  # a process of the next release
    monkeypatch.setattr(contentcache, "release", lambda: "new")
    assert contentcache.get("page:1:en:/") is None


def test_the_release_changes_with_any_file_it_is_made_of(tmp_path):
    from lessons.contentcache import digest_files

    template = tmp_path / "piece.html"
    template.write_text("<h1>{{ title }}</h1>")
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text('{"paths": {"css/site.css": "css/site.1a2b.css"}}')
    before = digest_files([template, manifest])
    assert digest_files([manifest, template]) == before  # whatever the order found
    manifest.write_text('{"paths": {"css/site.css": "css/site.3c4d.css"}}')
    assert digest_files([template, manifest]) != before
