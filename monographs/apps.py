from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"
    verbose_name = "Monographs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from . import auth, checks  # noqa: F401  (checks registers the system checks)

        user_locked_out.connect(auth._on_user_locked_out, dispatch_uid="medsite-audit-lockout")
