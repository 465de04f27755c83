from django.db import migrations, models

from core.migrations_ops import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; the notifications table keeps taking
    # writes while it builds.
    atomic = False

    dependencies = [
        ("merchants", "0007_merchant_location"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(
                    ("channel", "in_app"), ("read_at__isnull", True), ("recipient__isnull", True)
                ),
                fields=["merchant"],
                name="notification_unread_merch_idx",
            ),
        ),
    ]
