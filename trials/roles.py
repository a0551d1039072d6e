"""The three roles of the site. Groups and their permissions are created by migrations, never at run time."""

COORDINATOR = "Research coordinator"
INVESTIGATOR = "Principal investigator"
ADMINISTRATOR = "Administrator"

ALL_ROLES = (COORDINATOR, INVESTIGATOR, ADMINISTRATOR)


def roles_of(user):
    """The role names a user holds, in the site's order."""
    if not user.is_authenticated:
        return []
    held = {group.name for group in user.groups.all()}
    return [role for role in ALL_ROLES if role in held]
