"""Teams: who belongs to which team, in which role, and the invite links that let people in.

The rules live here, not in the views: who may invite, remove and change roles, and the one
rule that a database constraint cannot express, that a team always keeps at least one owner.
Every change that could break it runs in a transaction that first locks the team's row, so
two owners demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")


# Owner first: a higher number is a lesser role (the members list's order, stepping down).
ROLE_RANK = {role: index for index, role in enumerate(Role)}
# Roles that see every member's row and manage the team.
MANAGING_ROLES = (Role.OWNER, Role.MANAGER)
# What an invite link can grant: ownership is only ever given by an owner, by hand.
INVITE_ROLES = (Role.MEMBER, Role.MANAGER)
# How long a new invite link works, in days: the choices the members page offers.
INVITE_DAYS = (1, 7, 30)
# How many people a new invite link lets in (None: anyone who has it, until it expires).
INVITE_PEOPLE = (1, 5, 25, None)
# Invite links that work at once, per team: the members page lists them all, so that each
# one can be revoked (past a page's worth, the oldest went unlisted and kept letting people in).
MAX_USABLE_INVITES = 20


class TeamRuleError(Exception):
    """A change the team's rules refuse. The message is translated and meant for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotInTeam(TeamRuleError):
    """The person acting is no longer in the team: removed, or the team deleted, by a
    request that came first. Nothing of the team may be shown to them any more."""


def new_token() -> str:
    # 32 random bytes: 43 URL-safe characters, unguessable, fits in a link.
    return secrets.token_urlsafe(32)


class TeamQuerySet(models.QuerySet):
    def of_user(self, user) -> TeamQuerySet:
        return self.filter(memberships__user=user)


# Characters that reorder the text around them: "\u202egnp.exe" shows as "exe.png" to every
# member and on the join page. A name has no use for them.
DIRECTION_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def no_direction_controls(value: str) -> None:
    """Refuse the characters, saying where the first one is: they are invisible, so "the
    name holds one" alone left a pasted name's author nothing to find and delete."""
    at = next((i for i, character in enumerate(value) if character in DIRECTION_CONTROLS), None)
    if at is None:
        return
    before = "".join(c for c in value[:at] if c not in DIRECTION_CONTROLS).strip()[-20:]
    if before:
        message = _(
            "A team name cannot hold characters that reorder the text around them, and an "
            "invisible one follows “%(before)s”: delete it, or type the name "
            "again instead of pasting it."
        )
    else:
        message = _(
            "A team name cannot hold characters that reorder the text around them, and an "
            "invisible one starts this name: delete it, or type the name again instead of "
            "pasting it."
        )
    raise ValidationError(message, params={"before": before}, code="direction_control")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, validators=[no_direction_controls])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    # Bumped by every join, leave and role change (climb.teams.stats): the dashboard's kept
    # figures are keyed by it. In the database, not the cache, so that every app server sees
    # the change on its next request even with a cache of its own per process.
    roster_version = models.PositiveBigIntegerField(
        _("roster version"), default=0, editable=False, db_default=0
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="team_name_not_empty")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:dashboard", args=[self.pk])

    @classmethod
    @transaction.atomic
    def create_with_owner(cls, name: str, user) -> Team:
        team = cls.objects.create(name=name, created_by=user)
        Membership.objects.create(team=team, user=user, role=Role.OWNER)
        return team

    def _lock_for_owner(self, by: Membership, refusal: str) -> None:
        """Inside a transaction: take the team's lock, then refuse unless `by` is, as of
        now, an owner; the name is read again under the lock."""
        lock_team(self.pk)
        by.reload_role(by_self=True)
        if not by.is_owner:
            raise TeamRuleError(refusal)
        self.refresh_from_db(fields=["name"])

    def rename_by(self, by: Membership, name: str) -> bool:
        """`by` renames the team (an owner only); False if it already had that name. Only
        the name is written: the roster version in this row may have moved meanwhile."""
        with transaction.atomic():
            self._lock_for_owner(by, gettext("Only an owner can rename the team."))
            if name == self.name:
                return False
            self.name = name
            self.save(update_fields=["name"])
            return True

    def delete_by(self, by: Membership, typed_name: str) -> None:
        """`by` deletes the team: its memberships, invite links and removals go with it;
        the members' own answers and progress are theirs and stay. Only an owner may, and
        only by typing the team's name, the name as it is now (not as the page showed it).
        Compared as a reader sees and types it: runs of spaces as one, accents composed."""
        with transaction.atomic():
            self._lock_for_owner(by, gettext("Only an owner can delete the team."))
            if as_typed(typed_name) != as_typed(self.name):
                raise TeamRuleError(
                    gettext("Type the team's name exactly as it is shown to delete the team.")
                )
            self.delete()


def as_typed(name: str) -> str:
    """A name as a reader sees it on a page and types it back: the browser shows runs of
    spaces as one, and a keyboard types accents composed (NFC)."""
    return unicodedata.normalize("NFC", " ".join(name.split()))


def lock_team(team_id: int) -> None:
    """Take the team's row lock until the transaction ends, so that two changes to its
    owners queue up (SQLite's IMMEDIATE transactions already serialise writers)."""
    Team.objects.select_for_update().filter(pk=team_id).values_list("pk").first()


class MembershipQuerySet(models.QuerySet):
    def by_role(self) -> MembershipQuerySet:
        """Owners first, then managers, then members, each by username."""
        rank = models.Case(
            *(models.When(role=role, then=rank) for role, rank in ROLE_RANK.items()),
            output_field=models.IntegerField(),
        )
        return self.annotate(role_rank=rank).order_by("role_rank", "user__username")


class Membership(models.Model):
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
    )
    role = models.CharField(
        _("role"), max_length=10, choices=Role.choices, default=Role.MEMBER, db_default=Role.MEMBER
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now, db_default=Now())
    # A lead who is not climbing (or an observer) is left out of the dashboard's figures:
    # counted, they read as a member who never started, and their guesses as the team's.
    in_figures = models.BooleanField(
        _("counted in the team's figures"), default=True, db_default=True
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
            models.CheckConstraint(
                condition=Q(role__in=[role.value for role in Role]), name="membership_role_known"
            ),
        ]
        indexes = [models.Index(fields=["team", "role"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id} ({self.role})"

    @property
    def manages(self) -> bool:
        return self.role in MANAGING_ROLES

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    def may_change(self, target: Membership) -> bool:
        """Whether this member may remove `target` or change its role (rules aside from the
        last owner): owners may touch anyone, managers anyone but owners."""
        return self.is_owner or (self.role == Role.MANAGER and not target.is_owner)

    def assignable_roles(self) -> list[Role]:
        return list(Role) if self.is_owner else [Role.MANAGER, Role.MEMBER]

    def is_only_owner(self) -> bool:
        others = Membership.objects.filter(team_id=self.team_id, role=Role.OWNER)
        return self.is_owner and not others.exclude(pk=self.pk).exists()

    def reload_role(self, *, by_self: bool) -> None:
        """Read the role again (under the team's lock). Removed meanwhile, or the team
        deleted, by a request that came first: a refusal that says so, not a 500."""
        try:
            self.refresh_from_db(fields=["role"])
        except Membership.DoesNotExist:
            if by_self:
                raise NotInTeam(gettext("You are no longer in this team.")) from None
            raise TeamRuleError(
                gettext("That person is no longer in the team: they left or were removed.")
            ) from None

    def _lock_with(self, by: Membership) -> None:
        """Inside a transaction: take the team's lock, then read both roles as of now."""
        lock_team(self.team_id)
        by.reload_role(by_self=True)
        self.reload_role(by_self=False)

    def _refuse_if_last_owner(self, message: str) -> None:
        if self.is_only_owner():
            raise TeamRuleError(message)

    def leave(self) -> None:
        with transaction.atomic():
            lock_team(self.team_id)
            self.reload_role(by_self=True)
            self._refuse_if_last_owner(
                gettext(
                    "You are the team's only owner: make someone else an owner before you leave."
                )
            )
            self.delete()

    def remove(self, by: Membership) -> None:
        """`by` removes this member from the team. Removing oneself is leaving: it is not
        remembered as a removal, which would refuse links made before it."""
        if by.pk == self.pk:
            self.leave()
            return
        with transaction.atomic():
            self._lock_with(by)
            if not by.manages:
                raise TeamRuleError(gettext("Only owners and managers remove members."))
            if not by.may_change(self):
                raise TeamRuleError(gettext("Only an owner can remove an owner."))
            self._refuse_if_last_owner(
                gettext("This is the team's only owner: a team cannot be left without an owner.")
            )
            self.delete()
            # Remembered, so that no link made before now lets them straight back in.
            Removal.objects.update_or_create(
                team_id=self.team_id,
                user_id=self.user_id,
                defaults={"removed_at": timezone.now(), "removed_by_id": by.user_id},
            )

    def change_role(self, role: str, by: Membership) -> bool:
        """`by` gives this member `role`. Returns False if it already was their role."""
        with transaction.atomic():
            self._lock_with(by)
            if role not in Role.values:
                raise TeamRuleError(gettext("There is no such role."))
            if not by.manages:
                raise TeamRuleError(gettext("Only owners and managers change roles."))
            if not by.may_change(self):
                raise TeamRuleError(gettext("Only an owner can change an owner's role."))
            if role == Role.OWNER and not by.is_owner:
                raise TeamRuleError(gettext("Only an owner can make someone an owner."))
            if role == self.role:
                return False
            self._refuse_if_last_owner(
                gettext(
                    "This is the team's only owner: make someone else an owner first, "
                    "a team cannot be left without an owner."
                )
            )
            self.role = role
            self.save(update_fields=["role"])
            return True

    def count_in_figures(self, counted: bool, by: Membership) -> bool:
        """`by` counts this member in the team's figures, or leaves them out: themself, or
        anyone whose role they may change. Returns False if it already was so."""
        with transaction.atomic():
            self._lock_with(by)
            if not by.manages:
                raise TeamRuleError(gettext("Only owners and managers change this."))
            if self.pk != by.pk and not by.may_change(self):
                raise TeamRuleError(gettext("Only an owner can change this for an owner."))
            self.refresh_from_db(fields=["in_figures"])
            if self.in_figures == counted:
                return False
            self.in_figures = counted
            self.save(update_fields=["in_figures"])  # post_save forgets the kept figures
            return True


class Removal(models.Model):
    """Someone an owner or manager removed from a team, and when.

    Invite links are shared, and a removed member (a manager most of all, who saw every
    open link) could otherwise rejoin with any link still open. A link made before the
    removal no longer admits them; a link made after it is a deliberate new invitation.
    Leaving of one's own accord records nothing.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    removed_at = models.DateTimeField(_("removed at"), default=timezone.now, db_default=Now())
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_removal_per_team_user")
        ]
        verbose_name = _("removal")
        verbose_name_plural = _("removals")

    def __str__(self) -> str:
        return f"{self.user_id} removed from {self.team_id} at {self.removed_at:%Y-%m-%d %H:%M}"


# An invite that still has room for someone: unlimited, or fewer joined than it admits.
HAS_ROOM = Q(max_uses__isnull=True) | Q(uses__lt=models.F("max_uses"))


class InviteQuerySet(models.QuerySet):
    def usable(self) -> InviteQuerySet:
        return self.filter(HAS_ROOM, revoked_at__isnull=True, expires_at__gt=timezone.now())


@dataclass
class Joined:
    membership: Membership
    created: bool  # False: the user was already a member, nothing changed


class Invite(models.Model):
    """A link that lets whoever follows it join the team, until it expires, is revoked or,
    when it was made for a number of people, has let them in."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="invites"
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    role = models.CharField(
        _("role granted"),
        max_length=10,
        choices=[(role.value, role.label) for role in INVITE_ROLES],
        default=Role.MEMBER,
        db_default=Role.MEMBER,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("people who joined with it"), default=0, db_default=0)
    max_uses = models.PositiveIntegerField(
        _("people it lets in"),
        null=True,
        blank=True,
        help_text=_("Empty: anyone who has the link, until it expires."),
    )

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[role.value for role in INVITE_ROLES]),
                name="invite_role_member_or_manager",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invite_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="invite_revoked_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="invite_lets_someone_in",
                violation_error_message=_(
                    "An invite link lets in at least one person; leave it empty for anyone."
                ),
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="invite_used_at_most_max_uses",
            ),
        ]
        verbose_name = _("invite")
        verbose_name_plural = _("invites")

    def __str__(self) -> str:
        return f"{self.team} · {self.token[:6]}…"

    def get_absolute_url(self) -> str:
        return reverse("teams:join", args=[self.token])

    def clean(self) -> None:
        # The constraint holds this in the database; said here too because the admin shows
        # `uses` read-only, and Django skips a constraint on a field not in the form.
        if self.max_uses is not None and self.uses > self.max_uses:
            raise ValidationError(
                {
                    "max_uses": ngettext(
                        "%(uses)d person has already joined with this link: it cannot be "
                        "limited to fewer.",
                        "%(uses)d people have already joined with this link: it cannot be "
                        "limited to fewer.",
                        self.uses,
                    )
                    % {"uses": self.uses}
                }
            )

    @classmethod
    def issue(
        cls, team: Team, by: Membership, role: str, days: int, people: int | None = None
    ) -> Invite:
        if role not in [r.value for r in INVITE_ROLES]:
            raise TeamRuleError(gettext("An invite makes people members or managers."))
        with transaction.atomic():
            # The team's row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises
            # writers anyway) before the count: two managers making the 20th link at once
            # would otherwise both count 19 and leave 21, one of them off the members page.
            lock_team(team.pk)
            by.reload_role(by_self=True)  # as of now: not demoted or removed meanwhile
            if not by.manages:
                raise TeamRuleError(gettext("Only owners and managers invite people."))
            if cls.objects.filter(team=team).usable().count() >= MAX_USABLE_INVITES:
                raise TeamRuleError(
                    gettext(
                        "The team has %(count)d invite links that work, the most it can have "
                        "at once: revoke one it no longer needs, or make one link for several "
                        "people."
                    )
                    % {"count": MAX_USABLE_INVITES}
                )
            now = timezone.now()
            return cls.objects.create(
                team=team,
                role=role,
                created_by_id=by.user_id,
                created_at=now,
                expires_at=now + timedelta(days=days),
                max_uses=people,
            )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_used_up(self) -> bool:
        """Has it let in everyone it was made for?"""
        return self.max_uses is not None and self.uses >= self.max_uses

    @property
    def places_left(self) -> int | None:
        """How many more people it lets in; None: anyone, until it expires."""
        return None if self.max_uses is None else max(self.max_uses - self.uses, 0)

    @property
    def is_usable(self) -> bool:
        return not (self.is_revoked or self.is_expired or self.is_used_up)

    def was_made_before_removing(self, user) -> bool:
        """Was `user` removed from the team after this link was made?"""
        return Removal.objects.filter(
            team_id=self.team_id, user=user, removed_at__gte=self.created_at
        ).exists()

    def revoke(self) -> bool:
        """Returns False if it was already revoked (nothing changes then)."""
        updated = Invite.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.refresh_from_db(fields=["revoked_at"])
        return bool(updated)

    def accept(self, user) -> Joined:
        """Join the team with this invite. Joining twice changes nothing and says so."""
        with transaction.atomic():
            # The team first, then the invite: the order delete_by() takes them in (the
            # other order deadlocked a join against a delete on PostgreSQL).
            lock_team(self.team_id)
            invite = Invite.objects.select_for_update().filter(pk=self.pk).first()
            if invite is None:  # the team was deleted, and its links with it
                raise TeamRuleError(gettext("This invite link no longer works."))
            if invite.is_revoked:
                raise TeamRuleError(gettext("This invite link was revoked."))
            if invite.is_expired:
                raise TeamRuleError(gettext("This invite link has expired."))
            existing = Membership.objects.filter(team_id=self.team_id, user=user).first()
            if existing is not None:
                return Joined(existing, created=False)
            if invite.was_made_before_removing(user):
                raise TeamRuleError(
                    gettext(
                        "You were removed from this team after this link was made: ask an "
                        "owner or a manager for a new one."
                    )
                )
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        team_id=self.team_id, user=user, role=invite.role
                    )
            except IntegrityError:  # the same person, joining in two tabs at once
                return Joined(Membership.objects.get(team_id=self.team_id, user=user), False)
            # Counted only while there is room, in the same UPDATE: two people taking a
            # one-person link at once (the row lock above is a no-op on SQLite) cannot both
            # get in; the one too late is refused and its membership rolled back.
            if not Invite.objects.filter(HAS_ROOM, pk=self.pk).update(uses=models.F("uses") + 1):
                raise TeamRuleError(
                    gettext("This invite link has let in everyone it was made for.")
                )
            return Joined(membership, created=True)
