"""Account names are one name in any case, in every alphabet, on SQLite as on PostgreSQL
(climb/accounts/names.py): at sign-up, at log-in, in the admin and in the database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user, get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from climb.accounts.names import clashes, same_name

from .test_accounts import PASSWORD, make_user, signup_data

User = get_user_model()
TAKEN = "A user with that username already exists."

# (the name an account has, the same name typed in another case)
SPELLINGS = [("Иван", "иВАН"), ("Élan", "éLAN"), ("Ωμέγα", "ΩΜΈΓΑ"), ("Grace", "GRACE")]


@pytest.mark.django_db
@pytest.mark.parametrize("name, typed", SPELLINGS)
def test_sign_up_refuses_a_name_taken_in_another_case(client, name, typed):
    make_user(username=name, email="first@example.com")
    response = client.post(
        reverse("accounts:signup"), signup_data(username=typed, email="second@example.com")
    )
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == [name]


@pytest.mark.django_db
@pytest.mark.parametrize("name, typed", SPELLINGS)
def test_an_account_logs_in_with_its_name_in_any_case(client, name, typed):
    make_user(username=name, email=f"{name}@example.com")
    for login in (typed, f"{typed}@EXAMPLE.com"):  # the name, then the address
        client.logout()
        client.post(reverse("accounts:login"), {"username": login, "password": PASSWORD})
        assert get_user(client).get_username() == name


@pytest.mark.django_db
def test_the_database_refuses_a_name_or_address_in_another_case():
    make_user(username="Иван", email="Élan@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="иВАН", email="other@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="other", email="éLAN@example.com")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_refuses_a_taken_name_as_a_form_error(admin_client):
    make_user(username="Иван", email="ivan@example.com")
    added = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "иван",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    grace = make_user(username="grace", email="grace@example.com")
    changed = admin_client.post(
        reverse("admin:auth_user_change", args=[grace.pk]),
        {
            "username": "ИВАН",
            "email": "grace@example.com",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        },
    )
    for response in (added, changed):
        assert response.status_code == 200
        assert TAKEN in response.content.decode()
    grace.refresh_from_db()
    assert grace.username == "grace"
    assert User.objects.count() == 3  # Иван, grace and the admin


@pytest.mark.django_db
def test_the_name_lookup_is_one_probe_of_the_unique_index():
    make_user(username="Иван")
    query = User.objects.filter(same_name("username", "иВАН"))
    with transaction.atomic():
        if connection.vendor == "postgresql":  # a table this small is read whole otherwise
            connection.cursor().execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
        assert [user.username for user in query] == ["Иван"]
    assert "accounts_unique_username_ci" in plan


def test_clashes_groups_the_names_that_are_one_name():
    names = ["Иван", "ada", "иван", "Élan", "", "", "ИВАН", "élan", "Bob"]
    assert sorted(clashes(names)) == [["Élan", "élan"], ["ИВАН", "Иван", "иван"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL's LOWER() folds every alphabet already"
)
def test_the_migration_names_the_accounts_it_would_make_one_and_changes_nothing():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_unique_username_and_email")])
    try:
        # Two names for one under the new rule, both allowed by SQLite's ASCII-only LOWER().
        User.objects.create_user(username="Иван")
        User.objects.create_user(username="иван")
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError, match="username: Иван / иван"):
            executor.migrate(executor.loader.graph.leaf_nodes())
        assert User.objects.count() == 2
        User.objects.filter(username="иван").delete()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="иван")
