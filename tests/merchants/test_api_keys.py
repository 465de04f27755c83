"""API keys: who may create and revoke them, the bounds of what they hold, the user each acts
through, and the command that prints one once."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from belts.choices import CenterRole
from belts.models import OperationCenterMembership
from merchants.api_keys import (
    api_key_authenticate,
    api_key_create,
    api_key_list,
    api_key_revoke,
)
from merchants.choices import MembershipRole
from merchants.exceptions import ApiKeyError, ApiKeyForbidden
from merchants.models import ApiKey, MerchantMembership
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import ApiKeyFactory, MerchantFactory, MerchantMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def center(merchant):
    return OperationCenterFactory(belts=[merchant.belt])


def member(merchant, role):
    return MerchantMembershipFactory(merchant=merchant, role=role).user


def staff(center, role):
    return OperationCenterMembershipFactory(center=center, role=role).user


class TestWhoMayCreate:
    def test_the_merchants_owner_a_serving_manager_and_a_superuser(self, merchant, center):
        for actor in (
            member(merchant, MembershipRole.OWNER),
            staff(center, CenterRole.MANAGER),
            SuperUserFactory(),
        ):
            api_key, _raw = api_key_create(actor=actor, merchant=merchant, name="ERP")
            assert api_key.created_by == actor

    def test_not_an_operator_a_reviewer_or_another_centers_manager(self, merchant, center):
        for actor in (
            member(merchant, MembershipRole.OPERATOR),
            staff(center, CenterRole.REVIEWER),
            staff(OperationCenterFactory(), CenterRole.MANAGER),
            member(MerchantFactory(), MembershipRole.OWNER),
        ):
            with pytest.raises(ApiKeyForbidden):
                api_key_create(actor=actor, merchant=merchant, name="ERP")
        assert not ApiKey.objects.exists()

    def test_a_centers_key_by_its_manager_only(self, center):
        api_key_create(actor=staff(center, CenterRole.MANAGER), center=center, name="BI")
        with pytest.raises(ApiKeyForbidden):
            api_key_create(actor=staff(center, CenterRole.REVIEWER), center=center, name="BI")


class TestWhatAKeyIs:
    def test_a_merchants_key_acts_as_its_operator_with_no_password(self, merchant):
        api_key, raw_key = api_key_create(actor=None, merchant=merchant, name="ERP")

        user = api_key.user
        assert not user.has_usable_password()
        assert not user.is_staff
        assert list(
            MerchantMembership.objects.filter(user=user).values_list("merchant", "role")
        ) == [(merchant.pk, MembershipRole.OPERATOR)]
        assert not OperationCenterMembership.objects.filter(user=user).exists()
        # Stored hashed: the key in clear is nowhere in the row.
        assert raw_key not in api_key.hashed_key
        assert raw_key.startswith(f"{api_key.prefix}.")

    def test_a_centers_key_acts_as_its_reviewer(self, center):
        api_key, _raw = api_key_create(actor=None, center=center, name="BI")
        assert api_key.user.is_staff
        assert not api_key.user.is_superuser
        assert list(
            OperationCenterMembership.objects.filter(user=api_key.user).values_list(
                "center", "role"
            )
        ) == [(center.pk, CenterRole.REVIEWER)]

    def test_authenticate_answers_only_a_usable_key(self, merchant):
        api_key, raw_key = api_key_create(actor=None, merchant=merchant, name="ERP")
        assert api_key_authenticate(raw_key) == api_key
        for wrong in ("", "no-dot", f"{api_key.prefix}.wrong", "x" * 300, raw_key + "x"):
            assert api_key_authenticate(wrong) is None
        api_key_revoke(api_key=api_key, actor=None)
        assert api_key_authenticate(raw_key) is None


class TestBounds:
    @pytest.mark.parametrize("name", ["", "   ", "x" * 51, "a\x00b"])
    def test_a_name_is_required_and_bounded(self, merchant, name):
        with pytest.raises(ApiKeyError) as error:
            api_key_create(actor=None, merchant=merchant, name=name)
        assert error.value.field == "name"
        assert not ApiKey.objects.exists()

    @pytest.mark.parametrize("days", [-1, 0, 4 * 366])
    def test_an_expiry_in_the_future_within_three_years(self, merchant, days):
        expires_at = timezone.now() + datetime.timedelta(days=days)
        with pytest.raises(ApiKeyError) as error:
            api_key_create(actor=None, merchant=merchant, name="ERP", expires_at=expires_at)
        assert error.value.field == "expires_at"

    def test_one_owner_exactly(self, merchant, center):
        with pytest.raises(ApiKeyError):
            api_key_create(actor=None, merchant=merchant, center=center, name="x")
        with pytest.raises(ApiKeyError):
            api_key_create(actor=None, name="x")

    def test_at_most_so_many_active_keys(self, merchant, monkeypatch):
        monkeypatch.setattr("merchants.api_keys.MAX_ACTIVE_KEYS", 2)
        first = ApiKeyFactory(merchant=merchant)
        ApiKeyFactory(merchant=merchant)
        with pytest.raises(ApiKeyError) as error:
            ApiKeyFactory(merchant=merchant)
        assert error.value.code == "too_many_keys"
        api_key_revoke(api_key=first, actor=None)
        ApiKeyFactory(merchant=merchant)  # a revoked key does not count
        assert ApiKey.objects.filter(merchant=merchant, revoked=False).count() == 2


class TestRevoke:
    def test_revoking_deactivates_its_user_and_is_final(self, merchant):
        api_key = ApiKeyFactory(merchant=merchant)
        revoked = api_key_revoke(api_key=api_key, actor=member(merchant, MembershipRole.OWNER))
        assert revoked.revoked
        assert revoked.revoked_at
        api_key.user.refresh_from_db()
        assert not api_key.user.is_active
        again = api_key_revoke(api_key=revoked, actor=None)
        assert again.revoked_at == revoked.revoked_at

    def test_an_operator_may_not_revoke(self, merchant):
        api_key = ApiKeyFactory(merchant=merchant)
        with pytest.raises(ApiKeyForbidden):
            api_key_revoke(api_key=api_key, actor=member(merchant, MembershipRole.OPERATOR))
        api_key.refresh_from_db()
        assert not api_key.revoked


class TestList:
    def test_each_sees_the_keys_of_their_scope(self, merchant, center):
        mine = ApiKeyFactory(merchant=merchant)
        centers = ApiKeyFactory(center=center)
        other_merchant = ApiKeyFactory()
        other_center = ApiKeyFactory(center=OperationCenterFactory())

        def listed(user):
            return set(api_key_list(user=user))

        assert listed(member(merchant, MembershipRole.OWNER)) == {mine}
        assert listed(member(merchant, MembershipRole.OPERATOR)) == set()
        assert listed(staff(center, CenterRole.REVIEWER)) == {mine, centers}
        assert listed(SuperUserFactory()) == {mine, centers, other_merchant, other_center}


class TestCommand:
    def test_prints_the_key_once_and_it_works(self, merchant):
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "create_api_key",
            "--merchant",
            str(merchant.pk),
            "--name",
            "Warehouse",
            "--expires",
            (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
            stdout=out,
            stderr=err,
        )
        raw_key = out.getvalue().strip()
        api_key = api_key_authenticate(raw_key)
        assert api_key is not None
        assert api_key.merchant == merchant
        assert api_key.name == "Warehouse"
        assert api_key.expiry_date.date() >= timezone.localdate() + datetime.timedelta(days=29)
        assert raw_key not in err.getvalue()

    def test_a_center_key(self, center):
        out = io.StringIO()
        call_command("create_api_key", "--center", str(center.pk), "--name", "BI", stdout=out)
        assert api_key_authenticate(out.getvalue().strip()).center == center

    @pytest.mark.parametrize(
        ("args", "says"),
        [
            (["--merchant", "2000000000", "--name", "x"], "No merchant"),
            (["--center", "2000000000", "--name", "x"], "No operation center"),
            (["--merchant", "{merchant}", "--name", "x", "--expires", "soon"], "YYYY-MM-DD"),
            (["--merchant", "{merchant}", "--name", "x", "--expires", "2000-01-01"], "future"),
            (["--merchant", "{merchant}", "--name", ""], "name"),
        ],
    )
    def test_bad_input_is_a_clear_error_and_writes_nothing(self, merchant, args, says):
        args = [arg.format(merchant=merchant.pk) for arg in args]
        with pytest.raises(CommandError, match=says):
            call_command("create_api_key", *args, stdout=io.StringIO())
        assert not ApiKey.objects.exists()
