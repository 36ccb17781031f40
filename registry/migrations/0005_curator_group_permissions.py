"""Give the curator groups the model permissions the admin asks for.

All three groups may view, add and change every registry model; none may delete (only a
superuser hard-deletes). Which records a curator may change is decided per record by
registry/access.py (section scoping), not by these model-wide permissions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Zone editors", "Shenzhen curators", "Hong Kong curators")
ACTIONS = ("view", "add", "change")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to grant them.
    app_config = apps.get_app_config("registry")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="registry",
        codename__regex=r"^(%s)_" % "|".join(ACTIONS),
    ).exclude(codename__contains="_historical")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="registry")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_curator_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
