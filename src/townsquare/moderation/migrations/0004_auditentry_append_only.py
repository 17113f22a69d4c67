"""Triggers that keep moderation_auditentry append-only (see moderation/append_only.py)."""

from django.db import migrations

from townsquare.moderation import append_only


def install(apps, schema_editor) -> None:
    append_only.install(schema_editor.connection)


def uninstall(apps, schema_editor) -> None:
    append_only.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_trust_level_settings")]

    operations = [migrations.RunPython(install, uninstall)]
