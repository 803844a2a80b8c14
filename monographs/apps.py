from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"
    verbose_name = "Monographs"
    default_auto_field = "django.db.models.BigAutoField"
