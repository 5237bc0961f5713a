"""The search page: what it finds, in what order, what it hides, and what it survives.

Also the page anatomy that static/js/climb.js relies on: the script is tested in a browser,
but the hooks it reads are the server's to provide.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lessons.models import Status, Tier

from .factories import make_climb, make_piece, make_question, make_step, make_version

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("lessons:search")


def search(client, q: str, **kwargs):
    return client.get(SEARCH_URL, {"q": q}, **kwargs)


def result_titles(response) -> list[str]:
    return re.findall(r'<h3 class="search-result-title"><a href="[^"]*">([^<]*)</a>', response.text)


def test_search_finds_a_piece_by_its_title(client):
    version = make_version(title="Leases and TTLs")
    response = search(client, "ttls")
    assert response.status_code == 200
    assert result_titles(response) == ["Leases and TTLs"]
    assert f'href="{version.get_absolute_url()}"' in response.text
    assert f'class="tier-badge tier-{version.tier_slug}"' in response.text
    assert version.piece.climb.title in response.text


def test_search_finds_a_piece_by_its_crux(client):
    make_version(title="Clocks", crux="A paused process counts nothing.")
    response = search(client, "paused")
    assert result_titles(response) == ["Clocks"]
    assert "A paused process counts nothing." in response.text


def test_search_finds_a_piece_by_the_code_in_a_snippet(client):
    version = make_version(title="Sessions")
    make_step(version, code="lease, _ := client.Grant(ctx, 10)\nclient.KeepAlive(ctx, lease.ID)")
    assert result_titles(search(client, "KeepAlive")) == ["Sessions"]
    assert result_titles(search(client, "keepalive")) == ["Sessions"]


def test_search_finds_a_piece_by_a_question_prompt(client):
    version = make_version(title="Fencing")
    step = make_step(version, question=False)
    make_question(step, prompt="Which write does the store reject?")
    assert result_titles(search(client, "reject")) == ["Fencing"]


def test_every_word_must_match_somewhere(client):
    both = make_version(title="Fencing tokens", steps=0)
    make_step(both, heading="The store compares", code="if token < highest { reject() }")
    make_version(title="Fencing without the word")
    response = search(client, "fencing highest")
    assert result_titles(response) == [both.title]


def test_words_may_match_in_different_steps(client):
    version = make_version(title="Two steps")
    make_step(version, prose="The lease expires.")
    make_step(version, code="store.Put(key, value, token)")
    assert result_titles(search(client, "expires token")) == ["Two steps"]


def test_drafts_never_appear(client):
    make_version(title="Draft about leases", status=Status.DRAFT)
    make_version(title="Published about leases")
    response = search(client, "leases")
    assert result_titles(response) == ["Published about leases"]
    assert "Draft about leases" not in response.text


def test_title_matches_rank_above_crux_matches_above_body_matches(client):
    climb = make_climb()
    body = make_version(make_piece(climb, order=1), title="Body", intro="A lease runs out.")
    crux = make_version(make_piece(climb, order=2), title="Crux", crux="Leases expire.")
    title = make_version(make_piece(climb, order=3), title="Leases explained")
    assert result_titles(search(client, "lease")) == [title.title, crux.title, body.title]


def test_a_piece_at_two_tiers_is_listed_at_each(client):
    piece = make_piece()
    make_version(piece, tier=Tier.ZERO, title="Leases for beginners")
    make_version(piece, tier=Tier.SENIOR, title="Leases in production")
    response = search(client, "leases")
    assert result_titles(response) == ["Leases for beginners", "Leases in production"]
    assert "tier-badge tier-zero" in response.text and "tier-badge tier-senior" in response.text


def test_an_empty_query_shows_a_hint_and_runs_no_query(client, django_assert_num_queries):
    make_version(title="Anything")
    with django_assert_num_queries(0):
        response = client.get(SEARCH_URL, {"q": "   "})
    assert response.status_code == 200
    assert "Type a word or two" in response.text
    assert result_titles(response) == []


def test_no_match_says_so(client):
    make_version(title="Leases")
    response = search(client, "zeppelin")
    assert "Nothing matches “zeppelin”." in response.text


def test_the_page_is_a_search_form_that_works_without_javascript(client):
    html = search(client, "lease").text
    assert '<form class="search-form" role="search" method="get" action="/search/">' in html
    assert '<label for="search-q">' in html
    field = re.search(r'<input type="search" id="search-q" name="q" value="lease"[^>]*>', html)
    assert field and " autofocus " in field.group()
    assert 'hx-get="/search/"' in html and 'hx-target="#search-results"' in html
    assert 'id="search-results"' in html


def test_htmx_request_gets_only_the_results_fragment(client):
    make_version(title="Leases and TTLs")
    response = search(client, "leases", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert result_titles(response) == ["Leases and TTLs"]
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = search(client, "leases", headers=headers)
    assert "<html" in response.text


@pytest.mark.parametrize("versions", [5, 50])
def test_search_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, versions):
    climb = make_climb()
    for n in range(versions):
        make_version(make_piece(climb), title=f"Lease {n}", steps=2)
    with django_assert_max_num_queries(1):
        response = search(client, "lease acquire")
    assert len(result_titles(response)) == versions


def test_at_most_fifty_results(client):
    climb = make_climb()
    for n in range(55):
        make_version(make_piece(climb), title=f"Lease {n}")
    response = search(client, "lease")
    assert len(result_titles(response)) == 50
    assert "add a word to narrow the search" in response.text


@pytest.mark.parametrize(
    "q",
    [
        "lease " * 1000,
        "x" * 5000,
        "日本語 ü ß 🧗",
        "%",
        "_",
        "100%_done",
        "' OR 1=1; DROP TABLE lessons_tierversion; --",
        '"); <script>alert(1)</script>',
        "\x00",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    ],
)
def test_nonsense_input_is_answered_not_crashed_on(client, q):
    make_version(title="Leases and TTLs")
    response = search(client, q)
    assert response.status_code == 200
    assert "<script>alert" not in response.text


@pytest.mark.parametrize("q", ["%", "_", "100%"])
def test_like_wildcards_are_searched_literally(client, q):
    make_version(title="Leases and TTLs")
    assert result_titles(search(client, q)) == []


def test_search_refuses_post(client):
    assert client.post(SEARCH_URL, {"q": "lease"}).status_code == 405


def test_piece_page_provides_what_the_shortcuts_script_reads(client):
    climb = make_climb()
    make_version(make_piece(climb, order=1), title="First", steps=1)
    piece = make_piece(climb, order=2)
    middle = make_version(piece, tier=Tier.JUNIOR, title="Middle", steps=2)
    make_version(piece, tier=Tier.SENIOR, title="Middle, senior", steps=1)
    make_version(make_piece(climb, order=3), title="Last", steps=1)

    html = client.get(middle.get_absolute_url()).text
    # j / k
    assert re.search(r'<link rel="next" href="[^"]+">', html)
    assert re.search(r'<link rel="prev" href="[^"]+">', html)
    assert "data-piece-tier=" in html
    # t
    assert '<nav class="tier-bar"' in html
    assert '<span aria-current="page">Junior</span>' in html
    assert 'data-tier-link="senior"' in html
    # 1-5 and Enter
    assert re.search(r'<form class="quiz-form"[^>]* data-state="open"', html)
    assert 'type="radio" name="choice"' in html
    assert re.search(r'<li class="step[^"]*" id="step-1"', html)
    # ?, Esc
    assert re.search(r'<details [^>]*id="shortcuts"', html)
    assert "<summary>" in html
    # Ctrl-K, /, and the toast's translated messages
    assert f'data-search-url="{SEARCH_URL}"' in html
    for name in ("data-msg-one-tier", "data-msg-no-next", "data-msg-no-previous"):
        assert re.search(rf'<body [^>]*{name}="[^"]+"', html)
    assert '<div class="toast" id="toast" role="status" aria-live="polite">' in html
