"""generate_team and bench_team: the synthetic team for measuring, and the timing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from climb.learning.models import Answer, TierReached
from climb.teams.benchmarks import run
from climb.teams.models import Invite, Membership, Role, Team
from climb.teams.synthetic import generate
from lessons.models import Climb

from .factories import make_climb, make_piece, make_version

pytestmark = pytest.mark.django_db


def signature(seed: int) -> list[tuple]:
    """What a run made, without ids or dates: comparable between two runs."""
    return list(
        Answer.objects.filter(learner__user__username__startswith=f"synth{seed}-")
        .order_by(
            "learner__user__username",
            "question__step__version__piece__slug",
            "question__step__version__tier",
            "question__step__position",
            "attempt",
        )
        .values_list(
            "learner__user__username",
            "question__step__version__piece__slug",
            "question__step__version__tier",
            "question__step__position",
            "attempt",
            "choice_index",
            "is_correct",
        )
    )


def test_generate_team_creates_what_it_says_and_leaves_the_demo_alone():
    demo = make_version(make_piece(make_climb(slug="demo")), steps=1)
    out = StringIO()
    call_command(
        "generate_team",
        "--members",
        "12",
        "--pieces",
        "4",
        "--answers",
        "300",
        "--seed",
        "5",
        stdout=out,
    )
    team = Team.objects.get(name="Synthetic team (seed 5)")
    assert team.memberships.count() == 12
    assert team.memberships.filter(role=Role.OWNER).count() == 1
    assert Answer.objects.count() == 300
    climb = Climb.objects.get(slug="synthetic-5")
    assert not Answer.objects.exclude(question__step__version__piece__climb=climb).exists()
    assert demo.steps.get().question.answers.count() == 0
    text = out.getvalue()
    assert "12 members" in text and "300 answers" in text and " s." in text
    assert f"bench_team --team {team.pk} --climb synthetic-5" in text


def test_generate_team_is_deterministic_and_refuses_to_run_twice():
    generate(members=6, pieces=3, answers=150, seed=9)
    first = signature(9)
    reached = TierReached.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_team", "--members", "6", "--seed", "9", stdout=StringIO())
    generate(members=6, pieces=3, answers=150, seed=9, replace=True)
    assert signature(9) == first and len(first) == 150
    assert TierReached.objects.count() == reached
    assert get_user_model().objects.filter(username__startswith="synth9-").count() == 6


def test_generated_tiers_reached_match_the_altitude_rule():
    generate(members=20, pieces=2, answers=2000, seed=3)
    climb = Climb.objects.get(slug="synthetic-3")
    for membership in Membership.objects.filter(team__name__contains="seed 3"):
        learner = membership.user.learner
        altitude = learner.altitude_in(climb)
        reached = set(learner.tiers_reached.values_list("tier", flat=True))
        assert reached == (set() if altitude is None else set(range(altitude + 1)))


def test_generate_team_says_when_the_content_is_too_small():
    out = StringIO()
    call_command(
        "generate_team",
        "--members",
        "2",
        "--pieces",
        "1",
        "--answers",
        "5000",
        "--seed",
        "4",
        stdout=out,
    )
    assert "Only" in out.getvalue() and "Add --pieces" in out.getvalue()


def test_bench_team_times_the_team_pages():
    made = generate(members=8, pieces=2, answers=100, seed=6)
    timings = run(made.team, requests=2, climb="synthetic-6")
    labels = [t.label for t in timings]
    assert labels == ["dashboard", "fragment", "export", "members", "kept"]
    assert all(t.queries > 0 and t.median_ms > 0 for t in timings)
    by_label = {t.label: t for t in timings}
    assert by_label["kept"].queries < by_label["fragment"].queries  # the figures were kept
    out = StringIO()
    call_command("bench_team", "--requests", "1", stdout=out)
    assert "median ms" in out.getvalue() and "/teams/" in out.getvalue()


def test_bench_team_without_a_team_is_a_clear_error():
    with pytest.raises(CommandError, match="generate_team"):
        call_command("bench_team", "--requests", "1", stdout=StringIO())


def test_the_admin_lists_and_edits_teams(client):
    from .test_admin import form_data

    generate(members=3, pieces=1, answers=10, seed=8)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    team = Team.objects.get()
    owner = team.memberships.get(role=Role.OWNER)
    invite = Invite.issue(team, owner, "member", days=3)
    assert team.name in client.get("/admin/teams/team/").content.decode()
    assert owner.user.username in client.get("/admin/teams/membership/").content.decode()
    assert (
        f"/admin/teams/invite/{invite.pk}/change/"
        in client.get("/admin/teams/invite/").content.decode()
    )

    # A staff repair on the team's page: the team renamed and a manager made a member.
    url = f"/admin/teams/team/{team.pk}/change/"
    data = form_data(client.get(url).content.decode(), Team)
    member = team.memberships.filter(role=Role.MANAGER).order_by("pk").first()
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("memberships-") and key.endswith("-id") and value == str(member.pk)
    )
    data["name"] = "Repaired"
    data[f"memberships-{index}-role"] = Role.MEMBER
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    member.refresh_from_db()
    assert team.name == "Repaired" and member.role == Role.MEMBER
    assert team.memberships.count() == 3 and team.invites.get() == invite
