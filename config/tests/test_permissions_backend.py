"""The permissions backend: the same answers as Django's ModelBackend, in one query."""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission

from config.auth import ModelBackend


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permissions cached on it yet


def test_a_user_has_the_permissions_of_their_groups_and_their_own(coordinator, django_assert_num_queries):
    coordinator.user_permissions.add(Permission.objects.get(codename="view_audit_trail"))
    user = fresh(coordinator)
    with django_assert_num_queries(1):
        found = ModelBackend().get_all_permissions(user)
    assert found == backends.ModelBackend().get_all_permissions(fresh(coordinator))
    assert {"screening.change_screening", "screening.view_audit_trail"} <= found
    assert "screening.sign_screening" not in found
    with django_assert_num_queries(0):
        assert ModelBackend().has_perm(user, "screening.change_screening")


def test_a_user_without_a_role_has_no_permissions(outsider):
    assert ModelBackend().get_all_permissions(fresh(outsider)) == set()


def test_an_inactive_user_has_no_permissions(investigator):
    investigator.is_active = False
    assert ModelBackend().get_all_permissions(investigator) == set()
    assert not ModelBackend().has_perm(investigator, "screening.sign_screening")


def test_a_superuser_has_every_permission(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="a-long-enough-password")
    assert len(ModelBackend().get_all_permissions(superuser)) == Permission.objects.count()


def test_permissions_for_an_object_are_not_given(investigator):
    assert ModelBackend().get_all_permissions(fresh(investigator), obj=object()) == set()
