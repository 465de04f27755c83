"""``manage.py provider_api_key_create --provider ID --name NAME [--expires DATE]``

Creates a key for a service provider (a carrier or an installer recording its hand-overs through
the API) and prints it once, on standard output, alone on its line so a script can capture it; it
is stored hashed and cannot be shown again.
"""

from django.core.management.base import BaseCommand, CommandError

from logistics.exceptions import LogisticsError
from logistics.models import ServiceProvider
from logistics.services.provider_keys import provider_api_key_create
from merchants.exceptions import ApiKeyError
from merchants.management.commands.create_api_key import _expiry


class Command(BaseCommand):
    help = "Create an API key for a service provider (it records the hand-overs of its legs)."

    def add_arguments(self, parser):
        parser.add_argument("--provider", type=int, required=True, help="the provider's id")
        parser.add_argument("--name", required=True, help="what the key is for (50 characters)")
        parser.add_argument("--expires", help="last day the key works, YYYY-MM-DD (optional)")

    def handle(self, *args, provider, name, expires, **options):
        found = ServiceProvider.objects.filter(pk=provider).first()
        if found is None:
            raise CommandError(f"No service provider with id {provider}.")
        try:
            api_key, raw_key = provider_api_key_create(
                actor=None,
                provider=found,
                name=name,
                expires_at=_expiry(expires) if expires else None,
            )
        except (ApiKeyError, LogisticsError) as error:
            raise CommandError(str(error.message)) from None
        self.stderr.write(
            f"Created key “{api_key.name}” ({api_key.prefix}…) for provider {found}. "
            "It is shown once, below: store it now."
        )
        self.stdout.write(raw_key)
