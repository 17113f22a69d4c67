from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("events", "0001_events")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="series_changed",
            field=models.BooleanField(default=False),
        ),
    ]
