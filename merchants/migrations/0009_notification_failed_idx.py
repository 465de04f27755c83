from django.db import migrations, models

from core.migrations_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; the notifications table keeps taking
    # writes while it builds.
    atomic = False

    dependencies = [
        ("merchants", "0008_notification_unread_merchant_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("status", "failed")),
                fields=["-id"],
                name="notification_failed_idx",
            ),
        ),
    ]
