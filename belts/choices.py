from django.db import models
from django.utils.translation import gettext_lazy as _


class BeltTier(models.TextChoices):
    TEN_BILLION = "ten_billion", _("Ten-billion belt")
    GROWTH = "growth", _("Growth belt")
    STANDARD = "standard", _("Standard belt")


class CenterRole(models.TextChoices):
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Center manager")
