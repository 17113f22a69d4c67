"""Guidelines published before heading anchors existed get them, so a moderator's link to
/guidelines#be-kind works for every version."""

from django.db import migrations


def add_anchors(apps, schema_editor):
    from townsquare.core.markdown import render_with_anchors

    GuidelinesVersion = apps.get_model("core", "GuidelinesVersion")
    for version in GuidelinesVersion.objects.only("pk", "body").iterator():
        GuidelinesVersion.objects.filter(pk=version.pk).update(
            body_html=render_with_anchors(version.body)
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0005_mail")]

    operations = [migrations.RunPython(add_anchors, migrations.RunPython.noop)]
