"""The "authors" group: everything needed to write content, nothing about users or answers."""

from django.db import migrations

AUTHORS = "authors"
CONTENT_MODELS = ["climb", "piece", "tierversion", "step", "question", "choice", "source"]


def create_authors_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create ours now.
    from django.contrib.auth.management import create_permissions

    lessons = apps.get_app_config("lessons")
    lessons.models_module = True
    create_permissions(lessons, apps=apps, verbosity=0)
    lessons.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=AUTHORS)
    permissions = Permission.objects.filter(
        content_type__app_label="lessons", content_type__model__in=CONTENT_MODELS
    )
    group.permissions.add(*permissions)


def remove_authors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AUTHORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0002_step_prose_after"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_authors_group, remove_authors_group)]
