"""``manage.py create_api_key --merchant ID | --center ID --name NAME [--expires DATE]``

Creates a key for an integration and prints it once, on standard output, alone on its line so a
script can capture it; it is stored hashed and cannot be shown again.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from belts.models import OperationCenter
from merchants.api_keys import api_key_create
from merchants.exceptions import ApiKeyError
from merchants.models import Merchant


def _expiry(value: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires takes a date as YYYY-MM-DD, not {value!r}.") from None
    # The key works through the whole day given, in the project's time zone.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


class Command(BaseCommand):
    help = "Create an API key for a merchant (its operator) or an operation center (its reviewer)."

    def add_arguments(self, parser):
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--merchant", type=int, help="the merchant's id")
        owner.add_argument("--center", type=int, help="the operation center's id")
        parser.add_argument("--name", required=True, help="what the key is for (50 characters)")
        parser.add_argument("--expires", help="last day the key works, YYYY-MM-DD (optional)")

    def handle(self, *args, merchant, center, name, expires, **options):
        owner: dict = {}
        if merchant is not None:
            owner["merchant"] = Merchant.objects.filter(pk=merchant).first()
            if owner["merchant"] is None:
                raise CommandError(f"No merchant with id {merchant}.")
        else:
            owner["center"] = OperationCenter.objects.filter(pk=center).first()
            if owner["center"] is None:
                raise CommandError(f"No operation center with id {center}.")
        try:
            api_key, raw_key = api_key_create(
                actor=None,
                name=name,
                expires_at=_expiry(expires) if expires else None,
                **owner,
            )
        except ApiKeyError as error:
            raise CommandError(str(error.message)) from None
        self.stderr.write(
            f"Created key “{api_key.name}” ({api_key.prefix}…) for {api_key.owner}. "
            "It is shown once, below: store it now."
        )
        self.stdout.write(raw_key)
