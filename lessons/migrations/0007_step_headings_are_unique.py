from django.db import migrations, models


def number_repeated_headings(apps, schema_editor):
    """Before the constraint: a version that already has two steps with one heading keeps
    both, the later ones numbered ("Heading (2)"), so nothing is lost and the import that
    made the copies can be cleaned up by hand."""
    Step = apps.get_model("lessons", "Step")
    steps = list(Step.objects.order_by("version_id", "position", "id"))
    taken = {(step.version_id, step.heading) for step in steps}
    kept = set()
    for step in steps:
        key = (step.version_id, step.heading)
        if key not in kept:
            kept.add(key)
            continue
        number = 2
        while (step.version_id, f"{step.heading} ({number})"[:200]) in taken:
            number += 1
        step.heading = f"{step.heading} ({number})"[:200]
        taken.add((step.version_id, step.heading))
        kept.add((step.version_id, step.heading))
        step.save(update_fields=["heading"])

class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0006_content_generation"),
    ]

    operations = [
        migrations.RunPython(number_repeated_headings, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="step",
            constraint=models.UniqueConstraint(
                fields=("version", "heading"), name="one_step_per_heading"
            ),
        ),
    ]
