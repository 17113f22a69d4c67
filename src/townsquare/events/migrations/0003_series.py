import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("events", "0002_calendar_sequence")]

    operations = [
        migrations.AddField(
            model_name="eventseries",
            name="continued_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="events.eventseries",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="series_changed",
            field=models.BooleanField(default=False),
        ),
    ]
