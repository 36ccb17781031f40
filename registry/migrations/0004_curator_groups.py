"""The three curator groups. Their model permissions are granted by the admin work (issue 3);
section scoping itself lives in registry/access.py, not in permissions."""

from django.db import migrations

GROUPS = ("Zone editors", "Shenzhen curators", "Hong Kong curators")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_search_trigram_indexes"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, remove_groups)]
