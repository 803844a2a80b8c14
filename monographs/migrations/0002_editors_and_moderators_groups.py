"""Create the Editors and Moderators groups with their permissions.

Data migration: uses apps.get_model only, never app code.
"""

from django.db import migrations

EDITOR_PERMISSIONS = [
    ("monographs", "monograph", "add_monograph"),
    ("monographs", "monograph", "change_monograph"),
    ("monographs", "monograph", "view_monograph"),
    ("monographs", "revision", "view_revision"),
    ("monographs", "reviewdecision", "view_reviewdecision"),
    ("monographs", "disclaimerversion", "view_disclaimerversion"),
]
MODERATOR_PERMISSIONS = EDITOR_PERMISSIONS + [
    ("monographs", "monograph", "review_monograph"),
    ("monographs", "monograph", "withdraw_monograph"),
    ("monographs", "disclaimerversion", "add_disclaimerversion"),
    ("monographs", "auditentry", "view_auditentry"),
]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Moderators": MODERATOR_PERMISSIONS}


def _ensure_permissions(apps):
    # Permissions are normally created after migrate; create them now so the groups get them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, codename in perms:
            permission = Permission.objects.get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=codename,
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
