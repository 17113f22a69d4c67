"""Reports of messages become flags on them in the moderation review queue."""

from django.db import migrations

# Message report reasons as flag reasons; harassment is "inappropriate" among flags.
REASONS = {"spam": "spam", "harassment": "inappropriate", "inappropriate": "inappropriate"}


def reports_to_flags(apps, schema_editor):
    MessageReport = apps.get_model("messaging", "MessageReport")
    ReviewItem = apps.get_model("moderation", "ReviewItem")
    Flag = apps.get_model("moderation", "Flag")
    ContentType = apps.get_model("contenttypes", "ContentType")
    reports = MessageReport.objects.select_related("message").order_by("created_at", "pk")
    if not reports.exists():
        return
    message_type, _ = ContentType.objects.get_or_create(app_label="messaging", model="message")
    for report in reports:
        item, _ = ReviewItem.objects.get_or_create(
            kind="flagged",
            status="pending",
            target_type=message_type,
            target_id=str(report.message_id),
            defaults={"author_id": report.message.author_id, "created_at": report.created_at},
        )
        Flag.objects.create(
            item=item,
            flagger_id=report.reporter_id,
            reason=REASONS.get(report.reason, "other"),
            note=report.note,
            created_at=report.created_at,
        )
        item.flag_count += 1
        item.save(update_fields=["flag_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_former_members"),
        ("moderation", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(reports_to_flags, migrations.RunPython.noop),
        migrations.DeleteModel(name="MessageReport"),
    ]
