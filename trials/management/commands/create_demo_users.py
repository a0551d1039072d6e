"""Demo logins for `make run` only; production accounts are made by an administrator."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from trials import roles

DEMO_USERS = [
    ("coordinator", "Casey", "Coordinator", roles.COORDINATOR, False),
    ("investigator", "Kevin", "Investigator", roles.INVESTIGATOR, False),
    ("administrator", "Alex", "Administrator", roles.ADMINISTRATOR, True),
]


class Command(BaseCommand):
    help = "Create one demo user per role with a random password, printed once. Existing users are left alone."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Give existing demo users new passwords.")

    @transaction.atomic
    def handle(self, *args, reset=False, **options):
        User = get_user_model()
        for username, first_name, last_name, role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first_name, "last_name": last_name, "is_staff": is_staff},
            )
            user.groups.add(Group.objects.get(name=role))
            if created or reset:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                self.stdout.write(f"{role:<24} username: {username:<14} password: {password}")
            else:
                self.stdout.write(
                    f"{role:<24} username: {username:<14} (exists; password unchanged, use --reset for a new one)"
                )
