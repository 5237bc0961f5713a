"""Teams: creating, inviting, joining, roles and who may see each team page.

Helpers at the top are shared with test_teams_dashboard.py (imported by name).
"""

from __future__ import annotations

import re
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from climb.teams.models import Invite, Membership, Role, Team, TeamRuleError

from .concurrency import at_once, needs_concurrent_transactions

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def make_user(username: str):
    return get_user_model().objects.create_user(username, f"{username}@example.com", "pw")


def make_team(owner=None, name: str = "Platform", **roles: str) -> Team:
    """A team owned by `owner` (created if None), plus `username=role` members."""
    team = Team.create_with_owner(name, owner or make_user(f"owner-of-{name.lower()}"))
    for username, role in roles.items():
        Membership.objects.create(team=team, user=make_user(username), role=role)
    return team


def member(team: Team, username: str) -> Membership:
    return Membership.objects.select_related("user").get(team=team, user__username=username)


def make_invite(team: Team, role: str = Role.MEMBER, **overrides) -> Invite:
    now = timezone.now()
    values = {"created_at": now, "expires_at": now + timedelta(days=7), "role": role}
    values.update(overrides)
    return Invite.objects.create(team=team, **values)


def login(client, team: Team, username: str):
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def team():
    return make_team(
        make_user("olga"), name="Platform", mike="manager", mia="member", carl="member"
    )


@pytest.fixture
def other_team():
    return make_team(make_user("otto"), name="Payments", pat="member")


# --- creating a team -----------------------------------------------------------------------


def test_creating_a_team_makes_the_creator_its_owner(client):
    client.force_login(make_user("ada"))
    response = client.post("/teams/create/", {"name": "  Storage  "})
    team = Team.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
    assert team.name == "Storage"
    assert list(team.memberships.values_list("user__username", "role")) == [("ada", "owner")]


def test_a_blank_team_name_re_renders_the_form_and_creates_nothing(client):
    client.force_login(make_user("ada"))
    response = client.post("/teams/create/", {"name": "   "})
    assert response.status_code == 200
    assert "Give the team a name." in response.content.decode()
    assert not Team.objects.exists()


def test_my_teams_lists_every_team_i_am_in_with_my_role(client, team, other_team):
    Membership.objects.create(team=other_team, user=member(team, "mia").user)
    login(client, team, "mia")
    html = client.get("/teams/").content.decode()
    assert "Platform" in html and "Payments" in html
    assert html.count("Member</td>") == 2


def test_my_teams_and_create_need_a_login(client):
    response = client.get("/teams/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/teams/create/", {"name": "x"}).status_code == 302
    assert not Team.objects.exists()


def test_the_team_name_cannot_be_empty_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="")


def test_one_membership_per_user_and_team_in_the_database(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team=team, user=member(team, "mia").user)


def test_a_role_outside_the_list_is_refused_by_the_database(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=member(team, "mia").pk).update(role="admin")


def test_an_invite_cannot_grant_ownership_in_the_database(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_invite(team, role=Role.OWNER)


def test_an_invite_must_expire_after_it_was_created(team):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_invite(team, created_at=now, expires_at=now)


def test_the_nav_links_to_teams_for_signed_in_users_only(client):
    html = client.get("/progress/").content.decode()
    assert 'href="/teams/"' not in html
    assert 'href="/progress/"' in html  # an anonymous learner has progress too
    client.force_login(make_user("ada"))
    assert 'href="/teams/"' in client.get("/progress/").content.decode()


# --- invites ------------------------------------------------------------------------------


def test_ids_too_big_for_the_database_are_404_not_500(client, team):
    client.force_login(member(team, "olga").user)
    huge = "9223372036854775808"  # 2**63: past any BigAutoField
    for url in (
        f"/teams/{huge}/",
        f"/teams/{huge}/export.csv",
        f"/teams/{team.pk}/members/{huge}/progress/",
        f"/preview/{huge}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (f"/teams/{team.pk}/members/{huge}/role/", f"/teams/{huge}/leave/"):
        assert client.post(url, {"role": "member"}).status_code == 404, url


def test_team_pages_answer_head_as_they_answer_get(client, team):
    client.force_login(member(team, "olga").user)
    for url in ("/teams/", f"/teams/{team.pk}/", f"/teams/{team.pk}/members/", "/search/"):
        assert client.head(url).status_code == 200, url


def test_an_owner_creates_an_invite_link_with_a_role_and_expiry(client, team):
    login(client, team, "olga")
    response = client.post(f"/teams/{team.pk}/invites/", {"role": "manager", "days": "30"})
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert invite.role == "manager" and invite.created_by.username == "olga"
    assert timedelta(days=29, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=30)
    assert len(invite.token) >= 40
    html = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert f"/teams/join/{invite.token}/" in html


def test_each_revoke_button_says_which_link_it_revokes(client, team):
    """The lead audit: with several links, a screen reader heard "Revoke" for each."""
    later = timezone.now() + timedelta(days=30)
    make_invite(team, role=Role.MANAGER, expires_at=later)
    make_invite(team)
    html = login(client, team, "olga").get(f"/teams/{team.pk}/members/").content.decode()
    names = [
        " ".join(re.sub(r"<[^>]+>", " ", button).split())
        for button in re.findall(r"<button[^>]*>Revoke.*?</button>", html)
    ]
    assert len(names) == 2 and len(set(names)) == 2
    assert names[0].startswith("Revoke the link (joins as: Member) that works until ")
    assert names[1].startswith("Revoke the link (joins as: Manager) that works until ")


def test_a_manager_creates_invites_too(client, team):
    login(client, team, "mike")
    response = client.post(f"/teams/{team.pk}/invites/", {"role": "member", "days": "1"})
    assert response.status_code == 302
    assert Invite.objects.get().created_by.username == "mike"


def test_every_invite_link_that_works_is_listed_and_no_more_can_be_made(client, team):
    """The lead audit: the members page lists 20 links; a 21st, made one per person as the
    page advises for managers, pushed the oldest off the list, where it kept letting people
    in and could not be revoked."""
    login(client, team, "olga")
    for _ in range(20):
        assert client.post(f"/teams/{team.pk}/invites/", {"role": "member", "days": "7"})
    past = timezone.now() - timedelta(days=2)
    make_invite(team, created_at=past, expires_at=past + timedelta(days=1))  # expired: not counted
    response = client.post(f"/teams/{team.pk}/invites/", {"role": "manager", "days": "7"})
    assert response.status_code == 400
    assert "The team has 20 invite links that work" in response.content.decode()
    assert Invite.objects.usable().count() == 20
    html = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert all(f"/teams/join/{i.token}/" in html for i in Invite.objects.usable())
    oldest = Invite.objects.usable().order_by("created_at", "pk").first()
    client.post(f"/teams/{team.pk}/invites/{oldest.pk}/revoke/")
    response = client.post(f"/teams/{team.pk}/invites/", {"role": "manager", "days": "7"})
    assert response.status_code == 302 and Invite.objects.usable().count() == 20


@pytest.mark.parametrize(
    "data",
    [
        {"role": "owner", "days": "7"},
        {"role": "member", "days": "365"},
        {"days": "x"},
        {"role": "member", "days": "7", "people": "3"},
        {"role": "member", "days": "7", "people": "0"},
    ],
)
def test_an_invite_the_form_cannot_produce_is_400_and_creates_nothing(client, team, data):
    login(client, team, "olga")
    response = client.post(f"/teams/{team.pk}/invites/", data)
    assert response.status_code == 400
    assert "Nothing was changed." in response.content.decode()
    assert not Invite.objects.exists()


def test_joining_with_a_link_shows_the_team_then_joins(client, team):
    invite = make_invite(team, role=Role.MANAGER)
    client.force_login(make_user("newt"))
    page = client.get(f"/teams/join/{invite.token}/")
    html = page.content.decode()
    assert page.status_code == 200 and "Join Platform" in html
    until = re.search(r"This link works until ([^<]*)<", html).group(1)
    assert until.endswith(" UTC.") and ".." not in until  # one full stop, and a time zone
    assert f'action="/teams/join/{invite.token}/"' in html
    assert not Membership.objects.filter(user__username="newt").exists()  # GET changes nothing
    response = client.post(f"/teams/join/{invite.token}/")
    assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
    assert member(team, "newt").role == "manager"
    invite.refresh_from_db()
    assert invite.uses == 1
    assert "Welcome to Platform." in client.get(response["Location"]).content.decode()


def test_a_link_revoked_between_the_page_and_the_click_says_so(client, team, monkeypatch):
    from django.utils import timezone

    invite = make_invite(team)
    client.force_login(make_user("newt"))
    assert client.get(f"/teams/join/{invite.token}/").status_code == 200
    real_accept = Invite.accept

    def revoked_meanwhile(self, user):
        Invite.objects.filter(pk=self.pk).update(revoked_at=timezone.now())
        return real_accept(self, user)

    monkeypatch.setattr(Invite, "accept", revoked_meanwhile)
    response = client.post(f"/teams/join/{invite.token}/")
    assert response.status_code == 410
    assert "The team revoked it." in response.content.decode()
    assert not Membership.objects.filter(user__username="newt").exists()


def test_a_signed_out_visitor_sees_the_invitation_and_comes_back_to_join(client, team):
    """The audit's case: a link opened signed out led to a bare log-in page that never named
    the team, with Sign up below the fold on a phone."""
    invite = make_invite(team)
    url = f"/teams/join/{invite.token}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "You are invited to join Platform as a member." in html
    assert f'class="button" href="/accounts/signup/?next={url}"' in html
    assert f'class="button is-secondary" href="/accounts/login/?next={url}"' in html
    assert '<form method="post" action="' + url not in html  # no join button yet
    assert client.head(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert team.memberships.count() == 4
    # A link that no longer works says so before anything else.
    Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    assert client.get(url).status_code == 410


def test_joining_twice_is_a_clear_message_not_an_error(client, team):
    invite = make_invite(team, role=Role.MANAGER)
    login(client, team, "mia")
    page = client.get(f"/teams/join/{invite.token}/").content.decode()
    assert "You are already a member of Platform." in page
    assert f'action="/teams/join/{invite.token}/"' not in page
    response = client.post(f"/teams/join/{invite.token}/", follow=True)
    assert response.status_code == 200
    assert "You are already a member of Platform: nothing changed." in response.content.decode()
    assert member(team, "mia").role == "member"  # a manager invite does not promote
    invite.refresh_from_db()
    assert invite.uses == 0 and team.memberships.count() == 4


def test_an_expired_invite_says_so_and_changes_nothing(client, team):
    past = timezone.now() - timedelta(days=10)
    invite = make_invite(team, created_at=past, expires_at=past + timedelta(days=1))
    client.force_login(make_user("newt"))
    for response in (
        client.get(f"/teams/join/{invite.token}/"),
        client.post(f"/teams/join/{invite.token}/"),
    ):
        assert response.status_code == 410
        assert "This invite link no longer works" in response.content.decode()
        assert "It expired on" in response.content.decode()
    assert not Membership.objects.filter(user__username="newt").exists()


def test_a_revoked_invite_says_so_and_changes_nothing(client, team):
    invite = make_invite(team)
    login(client, team, "olga").post(f"/teams/{team.pk}/invites/{invite.pk}/revoke/")
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    client.force_login(make_user("newt"))
    response = client.post(f"/teams/join/{invite.token}/")
    assert response.status_code == 410 and "The team revoked it." in response.content.decode()
    assert not Membership.objects.filter(user__username="newt").exists()


def test_revoking_twice_is_a_message_and_keeps_the_first_date(client, team):
    invite = make_invite(team)
    login(client, team, "mike")
    client.post(f"/teams/{team.pk}/invites/{invite.pk}/revoke/")
    invite.refresh_from_db()
    first = invite.revoked_at
    response = client.post(f"/teams/{team.pk}/invites/{invite.pk}/revoke/", follow=True)
    assert "That invite link was already revoked." in response.content.decode()
    invite.refresh_from_db()
    assert invite.revoked_at == first


def test_a_revoked_or_expired_invite_leaves_the_members_page(client, team):
    past = timezone.now() - timedelta(days=2)
    live = make_invite(team)
    revoked = make_invite(team, created_at=past, revoked_at=past + timedelta(hours=1))
    expired = make_invite(team, created_at=past, expires_at=past + timedelta(days=1))
    html = login(client, team, "olga").get(f"/teams/{team.pk}/members/").content.decode()
    assert live.token in html
    assert revoked.token not in html and expired.token not in html


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500])
def test_an_unknown_token_is_a_404_that_explains(client, team, token):
    client.force_login(make_user("newt"))
    for response in (client.get(f"/teams/join/{token}/"), client.post(f"/teams/join/{token}/")):
        assert response.status_code == 404
        assert "This invite link does not work" in response.content.decode()
    assert not Membership.objects.filter(user__username="newt").exists()


def test_a_token_with_a_nul_character_is_the_same_404_not_a_500(client, team):
    """PostgreSQL refuses NUL in a text parameter: the lookup was a DataError, a 500."""
    make_invite(team)
    client.force_login(make_user("newt"))
    for response in (client.get("/teams/join/x%00y/"), client.post("/teams/join/x%00y/")):
        assert response.status_code == 404
        assert "This invite link does not work" in response.content.decode()


def test_the_accept_rule_refuses_an_invite_revoked_after_the_page_was_shown(team):
    invite = make_invite(team)
    Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    with pytest.raises(TeamRuleError):
        invite.accept(make_user("newt"))


def test_a_link_for_some_people_lets_in_that_many_then_says_it_is_used_up(client, team):
    """The lead's audit: a manager link admitted anyone who had it until it expired."""
    login(client, team, "olga")
    response = client.post(
        f"/teams/{team.pk}/invites/", {"role": "manager", "days": "7", "people": "1"}
    )
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert (invite.max_uses, invite.places_left) == (1, 1)
    page = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert invite.token in page and ">0 of 1</td>" in page

    client.force_login(make_user("newt"))
    html = client.get(f"/teams/join/{invite.token}/").content.decode()
    assert "It lets in 1 more person." in html
    assert client.post(f"/teams/join/{invite.token}/").status_code == 302
    assert member(team, "newt").role == "manager"
    invite.refresh_from_db()
    assert (invite.uses, invite.is_usable) == (1, False)

    client.force_login(make_user("eve"))
    for response in (
        client.get(f"/teams/join/{invite.token}/"),
        client.post(f"/teams/join/{invite.token}/"),
    ):
        html = response.content.decode()
        assert response.status_code == 410
        assert "It was made for 1 person, who has joined." in html
    assert not Membership.objects.filter(user__username="eve").exists()
    # Used up, it leaves the list of links that work, as an expired one does.
    page = login(client, team, "olga").get(f"/teams/{team.pk}/members/").content.decode()
    assert invite.token not in page and "No invite link works at the moment." in page


def test_a_link_for_anyone_is_the_default_and_says_no_count(client, team):
    login(client, team, "olga").post(f"/teams/{team.pk}/invites/", {"role": "member", "days": "7"})
    invite = Invite.objects.get()
    assert invite.max_uses is None and invite.places_left is None
    client.force_login(make_user("newt"))
    assert "more person" not in client.get(f"/teams/join/{invite.token}/").content.decode()
    page = login(client, team, "olga").get(f"/teams/{team.pk}/members/").content.decode()
    assert '<option value="" selected>anyone who has it</option>' in page
    assert '<option value="5">5 people</option>' in page


def test_the_last_place_is_taken_once_when_two_people_race_for_it(team):
    """The row lock in accept() is a no-op on SQLite: the count is taken in a conditional
    UPDATE, so whoever comes second, with the place already gone, is refused and not left
    a member."""
    invite = make_invite(team, max_uses=2)
    invite.accept(make_user("newt"))
    Invite.objects.filter(pk=invite.pk).update(uses=2)  # another accept got in meanwhile
    with pytest.raises(TeamRuleError, match="let in everyone it was made for"):
        invite.accept(make_user("eve"))
    assert not Membership.objects.filter(user__username="eve").exists()
    assert Invite.objects.get(pk=invite.pk).uses == 2
    # Someone already in the team following it again changes nothing and is not refused.
    assert invite.accept(member(team, "newt").user).created is False


def test_an_invite_cannot_admit_more_than_its_limit_in_the_database(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_invite(team, max_uses=1, uses=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_invite(team, max_uses=0)


def test_the_admin_says_why_a_limit_below_the_people_who_joined_is_refused(admin_client, team):
    invite = make_invite(team, max_uses=5, uses=3)
    url = reverse("admin:teams_invite_change", args=[invite.pk])
    data = {
        "team": team.pk,
        "role": "member",
        "created_at_0": "2026-11-01",
        "created_at_1": "10:00:00",
        "expires_at_0": "2099-11-08",
        "expires_at_1": "10:00:00",
        "max_uses": "2",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "3 people have already joined with this link" in response.content.decode()
    Invite.objects.filter(pk=invite.pk).update(uses=0)
    response = admin_client.post(url, {**data, "max_uses": "0"})
    assert "An invite link lets in at least one person" in response.content.decode()
    assert Invite.objects.get(pk=invite.pk).max_uses == 5
    assert admin_client.post(url, {**data, "max_uses": ""}).status_code == 302
    assert Invite.objects.get(pk=invite.pk).max_uses is None


def test_a_user_can_be_in_several_teams(client, team, other_team):
    invite = make_invite(other_team)
    login(client, team, "mia").post(f"/teams/join/{invite.token}/")
    assert set(Team.objects.of_user(member(team, "mia").user).values_list("name", flat=True)) == {
        "Platform",
        "Payments",
    }


# --- two requests at once ----------------------------------------------------------------
# Each case: this request read its memberships, then another one that came first committed.
# It must be refused with a reason (the usual "Nothing was changed" page), never a 500.


@pytest.mark.parametrize(
    "act",
    [
        lambda target, by: target.remove(by=by),
        lambda target, by: target.change_role(Role.MANAGER, by=by),
        lambda target, by: target.count_in_figures(False, by=by),
    ],
    ids=["remove", "change role", "leave out of the figures"],
)
def test_a_member_removed_by_an_earlier_request_is_a_refusal_not_a_500(team, act):
    """The concurrency audit: two managers removing the same member (18 of 20 were 500s),
    removal against a role change or "leave out"."""
    target, by = member(team, "mia"), member(team, "mike")
    Membership.objects.filter(pk=target.pk).delete()  # the other manager's click
    with pytest.raises(TeamRuleError, match="no longer in the team: they left or were removed"):
        act(target, by)
    target, by = member(team, "carl"), member(team, "mike")
    Membership.objects.filter(pk=by.pk).delete()  # the acting manager was removed first
    with pytest.raises(TeamRuleError, match="You are no longer in this team."):
        act(target, by)
    assert Membership.objects.get(pk=target.pk).in_figures is True


def test_leaving_or_deleting_after_being_removed_is_a_refusal(team):
    olga = member(team, "olga")
    mia = member(team, "mia")
    Membership.objects.filter(pk=mia.pk).delete()
    with pytest.raises(TeamRuleError, match="You are no longer in this team."):
        mia.leave()
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    Membership.objects.filter(pk=olga.pk).delete()
    with pytest.raises(TeamRuleError, match="You are no longer in this team."):
        team.delete_by(olga, "Platform")
    assert Team.objects.filter(pk=team.pk).exists()


def test_an_owner_removed_during_the_delete_click_sees_no_members_page(client, team):
    """The code review: the refusal was taken for a mistyped name, and the removed owner got
    the members page back, invite links (manager ones too) and all."""
    from climb.teams.views.teams import team_delete

    invite = make_invite(team, role=Role.MANAGER)
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    olga = member(team, "olga")
    login(client, team, "olga")
    membership = Membership.objects.select_related("team").get(pk=olga.pk)
    Membership.objects.filter(pk=olga.pk).delete()  # owen removed her a moment before
    request = RequestFactory().post(f"/teams/{team.pk}/delete/", {"confirm_name": "Platform"})
    request.user, request.htmx = olga.user, False
    with patch("climb.teams.views.teams.manager_membership_or_404", return_value=membership):
        response = team_delete(request, team.pk)
    html = response.content.decode()
    assert response.status_code == 403
    assert "You are no longer in this team." in html and invite.token not in html
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_manager_demoted_by_an_earlier_request_cannot_invite(team):
    mike = member(team, "mike")
    Membership.objects.filter(pk=mike.pk).update(role=Role.MEMBER)
    with pytest.raises(TeamRuleError, match="Only owners and managers invite people."):
        Invite.issue(team, mike, Role.MEMBER, 7)
    assert not Invite.objects.exists()


def test_joining_a_team_deleted_by_an_earlier_request_is_refused(client, team):
    """On SQLite the join raised Invite.DoesNotExist; on PostgreSQL the join and the delete
    deadlocked (they took the team and the invite in opposite orders)."""
    invite = make_invite(team)
    newt = make_user("newt")
    Team.objects.filter(pk=team.pk).delete()
    with pytest.raises(TeamRuleError, match="This invite link no longer works."):
        invite.accept(newt)
    assert not Membership.objects.filter(user=newt).exists()


def test_the_join_page_says_a_link_is_gone_when_its_team_went_during_the_click(
    client, team, monkeypatch
):
    invite = make_invite(team)
    client.force_login(make_user("newt"))
    accept = Invite.accept

    def team_deleted_first(self, user):
        Team.objects.filter(pk=team.pk).delete()
        return accept(self, user)

    monkeypatch.setattr(Invite, "accept", team_deleted_first)
    response = client.post(f"/teams/join/{invite.token}/")
    assert response.status_code == 404
    assert "This invite link does not work" in response.content.decode()


def test_leaving_out_of_the_figures_through_the_page_still_works(client, team):
    login(client, team, "mike")
    carl = member(team, "carl")
    url = f"/teams/{team.pk}/members/{carl.user_id}/figures/"
    response = client.post(url, {"in_figures": "0"}, follow=True)
    assert "carl is left out of the team&#x27;s figures" in response.content.decode()
    assert Membership.objects.get(pk=carl.pk).in_figures is False
    olga = member(team, "olga")
    response = client.post(f"/teams/{team.pk}/members/{olga.user_id}/figures/", {"in_figures": "0"})
    assert response.status_code == 400
    assert "Only an owner can change this for an owner." in response.content.decode()
    assert Membership.objects.get(pk=olga.pk).in_figures is True


# --- roles, removing, leaving ----------------------------------------------------------------


def test_an_owner_promotes_a_member_to_manager_and_owner(client, team):
    login(client, team, "olga")
    uid = member(team, "mia").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "manager"})
    assert response.status_code == 302
    assert member(team, "mia").role == "manager"
    client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "owner"})
    assert member(team, "mia").role == "owner"


def test_a_manager_promotes_a_member_to_manager(client, team):
    login(client, team, "mike")
    uid = member(team, "mia").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "manager"})
    assert response.status_code == 302
    assert member(team, "mia").role == "manager"


def test_a_manager_cannot_promote_anyone_to_owner(client, team):
    login(client, team, "mike")
    uid = member(team, "mia").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "owner"})
    assert response.status_code == 400
    assert "Only an owner can make someone an owner." in response.content.decode()
    assert member(team, "mia").role == "member"


def test_a_manager_cannot_demote_the_owner(client, team):
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    login(client, team, "mike")
    uid = member(team, "olga").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "member"})
    assert response.status_code == 400
    assert "Only an owner can change an owner&#x27;s role." in response.content.decode()
    assert member(team, "olga").role == "owner"


def test_a_manager_cannot_remove_an_owner(client, team):
    login(client, team, "mike")
    response = client.post(f"/teams/{team.pk}/members/{member(team, 'olga').user_id}/remove/")
    assert response.status_code == 400
    assert "Only an owner can remove an owner." in response.content.decode()
    assert member(team, "olga").role == "owner"


def test_the_last_owner_cannot_be_demoted(client, team):
    login(client, team, "olga")
    uid = member(team, "olga").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "manager"})
    assert response.status_code == 400
    assert "only owner" in response.content.decode()
    assert member(team, "olga").role == "owner"


def test_the_last_owner_cannot_leave(client, team):
    response = login(client, team, "olga").post(f"/teams/{team.pk}/leave/")
    assert response.status_code == 400
    assert "You are the team&#x27;s only owner" in response.content.decode()
    assert member(team, "olga").role == "owner"


def test_the_last_owner_cannot_be_removed_even_by_the_rule_directly(team):
    olga = member(team, "olga")
    with pytest.raises(TeamRuleError):
        olga.remove(by=olga)
    assert team.memberships.filter(role="owner").count() == 1


def test_with_two_owners_one_may_step_down_or_leave(client, team):
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    login(client, team, "olga")
    uid = member(team, "olga").user_id
    response = client.post(
        f"/teams/{team.pk}/members/{uid}/role/", {"role": "member", "confirm": "yes"}
    )
    # No longer a manager: back to the dashboard, the members page is not hers any more.
    assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
    assert member(team, "olga").role == "member"
    assert client.post(f"/teams/{team.pk}/leave/").status_code == 302
    assert not team.memberships.filter(user__username="olga").exists()


def test_an_owner_removes_another_owner_while_one_remains(client, team):
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    login(client, team, "olga")
    assert client.post(f"/teams/{team.pk}/members/{member(team, 'owen').user_id}/remove/")
    assert not team.memberships.filter(user__username="owen").exists()


def test_owners_and_managers_remove_members(client, team):
    login(client, team, "mike")
    response = client.post(f"/teams/{team.pk}/members/{member(team, 'mia').user_id}/remove/")
    assert response.status_code == 302
    assert not team.memberships.filter(user__username="mia").exists()
    login(client, team, "olga")
    client.post(f"/teams/{team.pk}/members/{member(team, 'mike').user_id}/remove/")
    assert list(team.memberships.values_list("user__username", flat=True)) == ["olga", "carl"]


def test_a_removed_manager_cannot_rejoin_with_a_link_made_before_the_removal(client, team):
    old_link = make_invite(team, role=Role.MANAGER, created_at=timezone.now() - timedelta(days=1))
    mike = member(team, "mike")
    mike.remove(by=member(team, "olga"))

    login(client, team, "mike")
    page = client.get(f"/teams/join/{old_link.token}/")
    assert page.status_code == 403
    assert "You were removed from this team" in page.content.decode()
    response = client.post(f"/teams/join/{old_link.token}/")
    assert response.status_code == 403
    assert not team.memberships.filter(user__username="mike").exists()
    old_link.refresh_from_db()
    assert old_link.uses == 0
    # The rule itself, not only the page:
    with pytest.raises(TeamRuleError, match="You were removed"):
        old_link.accept(mike.user)

    # Others still join with that link, and a link made after the removal lets Mike back.
    login(client, team, "olga")
    new_link = Invite.issue(team, member(team, "olga"), Role.MEMBER, days=7)
    login(client, team, "mike")
    assert client.post(f"/teams/join/{new_link.token}/").status_code == 302
    assert member(team, "mike").role == Role.MEMBER


def test_a_manager_removing_themself_has_left_and_may_come_back(client, team):
    """The audit's case: a hand-made remove post on one's own row said "mike is no longer in
    the team", sent them to a members page that is now a 404, and counted as a removal, so
    links made before it refused them."""
    link = make_invite(team, created_at=timezone.now() - timedelta(days=1))
    login(client, team, "mike")
    response = client.post(
        f"/teams/{team.pk}/members/{member(team, 'mike').user_id}/remove/", follow=True
    )
    assert response.redirect_chain[-1][0] == "/teams/"
    assert "You left Platform." in response.content.decode()
    assert client.post(f"/teams/join/{link.token}/").status_code == 302
    assert member(team, "mike").role == Role.MEMBER


def test_someone_who_left_may_come_back_with_an_open_link(client, team):
    link = make_invite(team, created_at=timezone.now() - timedelta(days=1))
    login(client, team, "mia").post(f"/teams/{team.pk}/leave/")
    assert client.post(f"/teams/join/{link.token}/").status_code == 302
    assert team.memberships.filter(user__username="mia").exists()


def test_a_member_leaves_and_keeps_their_answers(client, team):
    response = login(client, team, "mia").post(f"/teams/{team.pk}/leave/", follow=True)
    assert "You left Platform." in response.content.decode()
    assert not team.memberships.filter(user__username="mia").exists()
    assert get_user_model().objects.filter(username="mia").exists()
    assert client.get(f"/teams/{team.pk}/").status_code == 404


def test_a_role_the_form_cannot_produce_is_400(client, team):
    login(client, team, "olga")
    uid = member(team, "mia").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "admin"})
    assert response.status_code == 400 and "There is no such role." in response.content.decode()
    assert member(team, "mia").role == "member"


def test_giving_the_same_role_again_changes_nothing(client, team):
    login(client, team, "olga")
    uid = member(team, "mia").user_id
    response = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "member"}, follow=True)
    assert "mia already had that role." in response.content.decode()


def test_what_a_members_page_post_did_takes_focus_on_the_page_it_comes_back_to(client, team):
    """The keyboard audit: after "Change role" or "Leave out" focus was on <body> and the
    message in a status region there from the start was not read. climb.js focuses it, as
    a piece page's."""
    login(client, team, "olga")
    uid = member(team, "mia").user_id
    url = f"/teams/{team.pk}/members/{uid}/role/"
    html = client.post(url, {"role": "manager"}, follow=True).content.decode()
    box = html.split('<ul class="team-messages"', 1)[1].split("</ul>", 1)[0]
    assert ' tabindex="-1" data-focus-on-load>' in box and "mia&#x27;s role is now: manager." in box
    assert html.count("data-focus-on-load") == 1
    # Nothing to say, nothing focused.
    assert "data-focus-on-load" not in client.get(f"/teams/{team.pk}/members/").content.decode()


def test_the_members_page_offers_managers_no_control_over_owners(client, team):
    html = login(client, team, "mike").get(f"/teams/{team.pk}/members/").content.decode()
    olga = member(team, "olga").user_id
    assert f"/members/{olga}/remove/" not in html and f"/members/{olga}/role/" not in html
    assert f"/members/{member(team, 'mia').user_id}/remove/" in html
    assert '<option value="owner"' not in html


def test_the_members_page_is_paginated_and_rejects_a_nonsense_page(client, team):
    login(client, team, "olga")
    assert client.get(f"/teams/{team.pk}/members/?page=abc").status_code == 400
    assert client.get(f"/teams/{team.pk}/members/?page=99").status_code == 200  # last page


# --- who sees what: every team URL, every kind of visitor -----------------------------------

VISITORS = ["owner", "manager", "member", "outsider", "other_team", "anonymous"]
USERNAMES = {
    "owner": "olga",
    "manager": "mike",
    "member": "mia",
    "outsider": "oscar",
    "other_team": "otto",
}


def _visit(client, team, other_team, visitor):
    make_user("oscar")
    if visitor != "anonymous":
        client.force_login(get_user_model().objects.get(username=USERNAMES[visitor]))
    return client


def _urls(team):
    carl = member(team, "carl").user_id
    mia = member(team, "mia").user_id
    invite = make_invite(team)
    return {
        "dashboard": ("get", f"/teams/{team.pk}/", {}),
        "dashboard fragment": ("get", f"/teams/{team.pk}/?period=4", {"headers": HTMX}),
        "export": ("get", f"/teams/{team.pk}/export.csv", {}),
        "members": ("get", f"/teams/{team.pk}/members/", {}),
        "carl's progress": ("get", f"/teams/{team.pk}/members/{carl}/progress/", {}),
        "mia's progress": ("get", f"/teams/{team.pk}/members/{mia}/progress/", {}),
        "invite": ("post", f"/teams/{team.pk}/invites/", {"data": {"role": "member", "days": 7}}),
        "revoke": ("post", f"/teams/{team.pk}/invites/{invite.pk}/revoke/", {}),
        "role": ("post", f"/teams/{team.pk}/members/{carl}/role/", {"data": {"role": "manager"}}),
        "remove": ("post", f"/teams/{team.pk}/members/{carl}/remove/", {}),
        "leave": ("post", f"/teams/{team.pk}/leave/", {}),
    }


# Expected status per URL for owner, manager, member; everyone else always gets 404.
EXPECTED = {
    "dashboard": (200, 200, 200),
    "dashboard fragment": (200, 200, 200),
    "export": (200, 200, 200),
    "members": (200, 200, 404),
    "carl's progress": (200, 200, 404),
    "mia's progress": (200, 200, 200),  # the member's own
    "invite": (302, 302, 404),
    "revoke": (302, 302, 404),
    "role": (302, 302, 404),
    "remove": (302, 302, 404),
    "leave": (400, 302, 302),  # the only owner cannot leave
}


def _state(team):
    return (
        sorted(Membership.objects.values_list("team_id", "user_id", "role")),
        sorted(Invite.objects.values_list("pk", "revoked_at")),
    )


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("page", list(EXPECTED))
def test_every_team_url_answers_each_visitor_as_the_rules_say(
    client, team, other_team, visitor, page
):
    method, url, kwargs = _urls(team)[page]
    _visit(client, team, other_team, visitor)
    before = _state(team)
    response = getattr(client, method)(url, **kwargs)
    roles = {"owner": 0, "manager": 1, "member": 2}
    expected = EXPECTED[page][roles[visitor]] if visitor in roles else 404
    assert response.status_code == expected, (page, visitor)
    if expected == 404:
        assert _state(team) == before  # refused visitors change nothing
        assert "Platform" not in response.content.decode()  # and learn nothing


def test_a_team_that_does_not_exist_looks_the_same_as_someone_elses(client, team, other_team):
    client.force_login(member(other_team, "otto").user)
    missing = Team.objects.order_by("-pk").first().pk + 100
    for team_id in (team.pk, missing):
        for suffix in ("", "export.csv", "members/", "members/1/progress/"):
            assert client.get(f"/teams/{team_id}/{suffix}").status_code == 404
        for suffix in ("rename/", "delete/"):
            data = {"team-name": "Mine", "confirm_name": "Platform"}
            assert client.post(f"/teams/{team_id}/{suffix}", data).status_code == 404
    team.refresh_from_db()
    assert team.name == "Platform"


def test_ids_from_another_team_do_not_work_inside_mine(client, team, other_team):
    """An owner of Payments uses Payments' URLs with Platform's invite and member ids."""
    platform_invite = make_invite(team)
    mia = member(team, "mia").user_id
    client.force_login(member(other_team, "otto").user)
    base = f"/teams/{other_team.pk}"
    assert client.post(f"{base}/invites/{platform_invite.pk}/revoke/").status_code == 404
    assert client.post(f"{base}/members/{mia}/remove/").status_code == 404
    assert client.post(f"{base}/members/{mia}/role/", {"role": "manager"}).status_code == 404
    assert client.get(f"{base}/members/{mia}/progress/").status_code == 404
    platform_invite.refresh_from_db()
    assert platform_invite.revoked_at is None and member(team, "mia").role == "member"


def test_posts_need_a_csrf_token(team):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member(team, "olga").user)
    response = client.post(f"/teams/{team.pk}/invites/", {"role": "member", "days": 7})
    assert response.status_code == 403 and not Invite.objects.exists()
    response = client.post(f"/teams/{team.pk}/delete/", {"confirm_name": "Platform"})
    assert response.status_code == 403 and Team.objects.filter(pk=team.pk).exists()


def test_team_pages_answer_get_or_post_only_as_meant(client, team):
    login(client, team, "olga")
    assert client.post(f"/teams/{team.pk}/").status_code == 405
    assert client.get(f"/teams/{team.pk}/leave/").status_code == 405
    assert client.get(f"/teams/{team.pk}/invites/").status_code == 405


def test_managers_see_a_members_progress_page_within_the_team(client, team):
    login(client, team, "mike")
    carl = member(team, "carl").user_id
    html = client.get(f"/teams/{team.pk}/members/{carl}/progress/").content.decode()
    assert "Progress of carl" in html and "No answers yet." in html
    # the team's URL, not the learning app's own page, and no download of someone's answers
    assert "/progress/answers.csv" not in html


def test_a_member_s_progress_page_names_their_role_in_plain_english(client, team):
    """The lead audit read "A owner of this team since ..." on the owner's progress page."""
    login(client, team, "mike")
    for username, role in (("olga", "Owner"), ("mike", "Manager"), ("carl", "Member")):
        uid = member(team, username).user_id
        html = client.get(f"/teams/{team.pk}/members/{uid}/progress/").content.decode()
        lead = html.split('<p class="lead">', 1)[1].split("</p>", 1)[0]
        assert lead.startswith(f"{role} of this team since "), lead


def test_join_url_reverses_with_the_token(team):
    invite = make_invite(team)
    assert reverse("teams:join", args=[invite.token]) == f"/teams/join/{invite.token}/"


def test_invite_links_on_a_russian_page_have_no_language_prefix(client, team):
    invite = make_invite(team)
    html = login(client, team, "olga").get(f"/ru/teams/{team.pk}/members/").content.decode()
    assert f'value="http://testserver/teams/join/{invite.token}/"' in html
    assert '<html lang="ru">' in html


def test_a_team_name_cannot_reorder_the_text_around_it(client):
    """The audit created a team named "\u202egnp.exe", shown as "exe.png" to its members."""
    client.force_login(make_user("ada"))
    response = client.post("/teams/create/", {"name": "\u202egnp.exe"})
    assert response.status_code == 200
    assert "cannot hold characters that reorder" in response.content.decode()
    assert "an invisible one starts this name" in response.content.decode()
    assert not Team.objects.exists()
    # Invisible, so the message says where: after the visible text before it.
    response = client.post("/teams/create/", {"name": "Platform SRE\u202e (east)"})
    assert "an invisible one follows “Platform SRE”" in response.content.decode()
    assert client.post("/teams/create/", {"name": "Команда שלום"}).status_code == 302


def test_the_sole_owner_is_offered_no_control_that_could_only_be_refused(client, team):
    """The audit's case: the only owner was offered Leave and a role form on their own row,
    both ending on a 400 page."""
    login(client, team, "olga")
    dashboard = client.get(f"/teams/{team.pk}/").content.decode()
    members = client.get(f"/teams/{team.pk}/members/").content.decode()
    for html in (dashboard, members):
        assert "leave-panel" not in html and "only owner: to leave it" in html
    # The UX audit: the members page sent its reader to the members page.
    assert f'an owner on the <a href="/teams/{team.pk}/members/">members page</a>' in dashboard
    assert "members page" not in members.split("only owner", 1)[1].split("</p>", 1)[0]
    olga = member(team, "olga")
    assert f'action="/teams/{team.pk}/members/{olga.user_id}/role/"' not in members
    assert f'action="/teams/{team.pk}/members/{member(team, "mike").user_id}/role/"' in members

    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    members = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert "leave-panel" in members
    assert f'action="/teams/{team.pk}/members/{olga.user_id}/role/"' in members


def test_an_owner_left_out_of_the_figures_is_still_counted_as_an_owner(client, team):
    """The lead audit: the dashboard counted owners among its rows, which leave out whoever
    is left out of the figures. The only owner, left out, was offered Leave (refused on
    press); beside a co-owner who was left out, an owner read that they were the only one."""
    login(client, team, "olga")
    client.post(
        f"/teams/{team.pk}/members/{member(team, 'olga').user_id}/figures/", {"in_figures": "0"}
    )
    html = client.get(f"/teams/{team.pk}/").content.decode()
    assert "leave-panel" not in html and "only owner: to leave it" in html

    client.post(
        f"/teams/{team.pk}/members/{member(team, 'olga').user_id}/figures/", {"in_figures": "1"}
    )
    owen = Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    client.post(f"/teams/{team.pk}/members/{owen.user_id}/figures/", {"in_figures": "0"})
    html = client.get(f"/teams/{team.pk}/").content.decode()
    assert "Left out of the figures: owen" in html
    assert "leave-panel" in html and "only owner" not in html


def test_a_new_team_s_dashboard_says_to_invite_people(client):
    client.force_login(make_user("ada"))
    client.post("/teams/create/", {"name": "Storage"})
    team = Team.objects.get()
    html = client.get(f"/teams/{team.pk}/").content.decode()
    assert "Only you are in the team so far." in html
    assert f'href="/teams/{team.pk}/members/">Make an invite link</a>' in html


def test_the_owner_of_a_team_of_one_is_told_to_delete_it_to_leave(client):
    """The lead audit: alone in a new team, the owner was told to make someone else an
    owner first, and there is nobody else: deleting the team is the way out."""
    ada = make_user("ada")
    client.force_login(ada)
    team = make_team(ada, name="Storage")
    dashboard = client.get(f"/teams/{team.pk}/").content.decode()
    members = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert (
        "You are the team's only member: to leave it, delete the team on the "
        f'<a href="/teams/{team.pk}/members/">members page</a>.'
    ) in dashboard
    assert "only member: to leave it, delete the team above." in members
    for html in (dashboard, members):
        assert "make someone else an owner" not in html

    Membership.objects.create(team=team, user=make_user("bea"), role=Role.MEMBER)
    for path in (f"/teams/{team.pk}/", f"/teams/{team.pk}/members/"):
        html = client.get(path).content.decode()
        assert "make someone else an owner" in html and "only member" not in html


def test_removing_someone_takes_two_steps_as_leaving_does(client, team):
    """The team audit's case: Remove took effect on one click, with no confirmation."""
    login(client, team, "olga")
    html = client.get(f"/teams/{team.pk}/members/").content.decode()
    mia = member(team, "mia")
    panel = html.split(f'action="/teams/{team.pk}/members/{mia.user_id}/remove/"', 1)[0]
    # The form sits inside a closed <details>, right after its summary.
    assert re.search(r"</summary>\s*<form method=\"post\"\s*$", panel)
    assert '<details class="remove-confirm">' in panel
    assert "mia leaves the team; their own progress stays theirs" in html


# --- stepping down, renaming and deleting -----------------------------------------------------


def test_a_manager_stepping_down_to_member_is_asked_once_more(client, team):
    """One click on one's own row took away the page it was made on; now a confirmation
    page (a plain form, no JavaScript needed) comes first, and changes nothing."""
    login(client, team, "mike")
    uid = member(team, "mike").user_id
    page = client.post(f"/teams/{team.pk}/members/{uid}/role/", {"role": "member"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Change your own role in Platform?" in body
    assert "Only an owner or a manager can make you a manager again." in body
    assert 'name="confirm" value="yes"' in body and 'name="role" value="member"' in body
    assert member(team, "mike").role == Role.MANAGER

    response = client.post(
        f"/teams/{team.pk}/members/{uid}/role/", {"role": "member", "confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
    assert member(team, "mike").role == Role.MEMBER


def test_an_owner_giving_up_ownership_is_asked_once_more_but_not_for_others(client, team):
    Membership.objects.create(team=team, user=make_user("owen"), role=Role.OWNER)
    login(client, team, "olga")
    response = client.post(
        f"/teams/{team.pk}/members/{member(team, 'mike').user_id}/role/", {"role": "member"}
    )
    assert response.status_code == 302 and member(team, "mike").role == Role.MEMBER
    url = f"/teams/{team.pk}/members/{member(team, 'olga').user_id}/role/"
    page = client.post(url, {"role": "manager"})
    assert page.status_code == 200 and member(team, "olga").role == Role.OWNER
    assert "Only an owner can make you an owner again." in page.content.decode()
    assert "Yes, make me a manager" in page.content.decode()
    response = client.post(url, {"role": "manager", "confirm": "yes"})
    assert response.status_code == 302 and member(team, "olga").role == Role.MANAGER


def test_an_owner_renames_the_team(client, team):
    login(client, team, "olga")
    page = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert f'action="/teams/{team.pk}/rename/"' in page and 'value="Platform"' in page
    response = client.post(
        f"/teams/{team.pk}/rename/", {"team-name": "  Platform Core "}, follow=True
    )
    assert "The team “Platform” is now called “Platform Core”." in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Platform Core"


def test_renaming_to_the_same_name_says_so_and_changes_nothing(client, team):
    login(client, team, "olga")
    response = client.post(f"/teams/{team.pk}/rename/", {"team-name": "Platform"}, follow=True)
    html = response.content.decode()
    assert "The team already has that name." in html and "is now called" not in html


@pytest.mark.parametrize(
    ("name", "error"),
    [("   ", "Give the team a name."), ("x" * 101, "at most 100"), ("\u202eevil", "reorder")],
)
def test_a_bad_new_name_is_refused_and_the_old_one_kept(client, team, name, error):
    login(client, team, "olga")
    response = client.post(f"/teams/{team.pk}/rename/", {"team-name": name})
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body and "<h1>Platform</h1>" in body
    # The lead audit: a refusal page lost the name typed. Now the members page again, the
    # name as typed in the field, the error beside it and the cursor in it.
    field = re.search(r'<input type="text" name="team-name"[^>]*>', body).group(0)
    assert f'value="{escape(name)}"' in field
    assert 'aria-invalid="true"' in field and "autofocus" in field
    assert '<p class="field-error" id="id_team-name_error">' in body
    assert error in body.split('id="id_team-name_error">', 1)[1].split("</p>", 1)[0]
    team.refresh_from_db()
    assert team.name == "Platform"


def test_managers_may_not_rename_or_delete_and_members_see_no_such_pages(client, team):
    login(client, team, "mike")
    assert "Delete this team" not in client.get(f"/teams/{team.pk}/members/").content.decode()
    response = client.post(f"/teams/{team.pk}/rename/", {"team-name": "Mine"})
    assert response.status_code == 403 and "Only an owner can rename" in response.content.decode()
    response = client.post(f"/teams/{team.pk}/delete/", {"confirm_name": "Platform"})
    assert response.status_code == 403 and "Only an owner can delete" in response.content.decode()
    login(client, team, "mia")
    assert client.post(f"/teams/{team.pk}/rename/", {"team-name": "Mine"}).status_code == 404
    assert client.post(f"/teams/{team.pk}/delete/", {"confirm_name": "Platform"}).status_code == 404
    team.refresh_from_db()
    assert team.name == "Platform"


def test_an_owner_deletes_the_team_by_typing_its_name_and_answers_stay(client, team, other_team):
    from climb.learning.models import Answer, Learner

    from .factories import make_answer, make_step, make_version

    mia = member(team, "mia").user
    question = make_step(make_version()).question
    make_answer(Learner.objects.create(user=mia), question.choices.first())
    make_invite(team)
    login(client, team, "olga")
    page = client.get(f"/teams/{team.pk}/members/").content.decode()
    assert "Type “Platform” to confirm" in page and "its 4 members lose the dashboard" in page

    response = client.post(f"/teams/{team.pk}/delete/", {"confirm_name": "platform"})
    # The page that asks for it again, saying why beside the field, which takes focus (the
    # accessibility audit: a message at the top, the panel closed); nothing deleted.
    assert response.status_code == 400
    html = response.content.decode()
    assert '<details class="panel delete-panel" open>' in html
    assert 'aria-invalid="true" aria-describedby="confirm-name-error" autofocus' in html
    error = html.split('id="confirm-name-error">', 1)[1].split("</p>", 1)[0]
    assert "exactly as it is shown" in error
    assert Team.objects.filter(pk=team.pk).exists()

    response = client.post(f"/teams/{team.pk}/delete/", {"confirm_name": " Platform "}, follow=True)
    assert response.redirect_chain[-1][0] == "/teams/"
    assert "The team “Platform” is deleted." in response.content.decode()
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not Membership.objects.filter(team_id=team.pk).exists()
    assert not Invite.objects.filter(team_id=team.pk).exists()
    assert Answer.objects.filter(learner__user=mia).count() == 1
    assert Team.objects.filter(pk=other_team.pk).exists()
    assert client.get(f"/teams/{team.pk}/").status_code == 404


def test_the_name_to_type_is_the_name_as_the_page_shows_it(client):
    """A browser shows "Platform  Core" with one space, and keyboards type É composed: the
    owner could never type what the page showed."""
    import unicodedata

    for name, typed in [
        ("Platform  Core", "Platform Core"),
        (unicodedata.normalize("NFD", "Équipe"), "Équipe"),
    ]:
        team = make_team(make_user(f"owner-{len(name)}"), name=name)
        client.force_login(team.memberships.get().user)
        client.post(f"/teams/{team.pk}/delete/", {"confirm_name": typed})
        assert not Team.objects.filter(pk=team.pk).exists(), name


def test_a_rename_writes_only_the_name(client, team):
    """The rename saved the whole team row as the request had read it, putting back a
    roster version that a join in between had moved on (the dashboard's kept figures are
    keyed by it)."""
    login(client, team, "olga")
    before = Team.objects.get(pk=team.pk).roster_version
    membership = member(team, "olga")
    Membership.objects.create(team=team, user=make_user("newcomer"))  # bumps the version
    assert team.rename_by(membership, "Platform Core") is True
    team.refresh_from_db()
    assert team.name == "Platform Core" and team.roster_version == before + 1


@needs_concurrent_transactions
@pytest.mark.django_db(transaction=True)
def test_a_join_and_the_team_s_deletion_at_once_do_not_deadlock():
    """The concurrency audit: a join locked the invite, then the team (its roster version);
    a deletion the team, then the invites: on PostgreSQL they deadlocked every time."""
    import threading

    from django.db import connection

    team = make_team(make_user("olga"), name="Platform")
    invite = make_invite(team)
    olga, newt = member(team, "olga"), make_user("newt")
    invite_locked, team_locked = threading.Event(), threading.Event()

    def joiner_waits(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and '"teams_invite"' in sql:
            invite_locked.set()
            team_locked.wait(1)  # the old order: the deletion takes the team now
        return result

    def deleter_waits(execute, sql, params, many, context):
        if "FOR UPDATE" in sql and '"teams_team"' in sql:
            invite_locked.wait(1)
            result = execute(sql, params, many, context)
            team_locked.set()
            return result
        return execute(sql, params, many, context)

    def join():
        with connection.execute_wrapper(joiner_waits):
            try:
                return invite.accept(newt).created
            except TeamRuleError as refusal:
                return refusal.message

    def delete():
        with connection.execute_wrapper(deleter_waits):
            team.delete_by(Membership.objects.get(pk=olga.pk), "Platform")
            return "deleted"

    joined, deleted = at_once(join, delete)
    assert deleted == "deleted" and joined in (True, "This invite link no longer works.")
    assert not Team.objects.filter(pk=team.pk).exists()


@needs_concurrent_transactions
@pytest.mark.django_db(transaction=True)
def test_two_managers_making_the_last_invite_link_at_once_make_one():
    """Two managers each counting 19 links that work, then each making a 20th, would leave
    21: the count waits for the team's lock, so the second counts the first's link. Each
    waits (a second at most) after its count for the other's, the race at its widest."""
    import threading

    from django.db import connection

    team = make_team(make_user("olga"), name="Platform", mike="manager")
    for _ in range(19):
        make_invite(team)
    counted = {"olga": threading.Event(), "mike": threading.Event()}

    def issue(name: str, other: str):
        def wait_after_counting(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if "COUNT(" in sql and '"teams_invite"' in sql:
                counted[name].set()
                counted[other].wait(1)
            return result

        def job():
            with connection.execute_wrapper(wait_after_counting):
                try:
                    Invite.issue(team, member(team, name), role=Role.MEMBER, days=7)
                    return "made"
                except TeamRuleError as refusal:
                    return refusal.message

        return job

    results = at_once(issue("olga", "mike"), issue("mike", "olga"))
    refusals = [result for result in results if result != "made"]
    assert len(refusals) == 1 and "has 20 invite links that work" in refusals[0], results
    assert Invite.objects.usable().count() == 20
