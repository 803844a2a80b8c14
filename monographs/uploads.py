"""Editors' uploaded images: per-user quota and rate, and cleaning up unreferenced files.

- `store` is what the upload view calls with the re-encoded bytes: under a lock on the user row
  it checks the rate (MEDSITE_UPLOADS_PER_MINUTE) and the quota (MEDSITE_UPLOAD_QUOTA_MB of
  stored, not yet removed images), stores the file and records an `ImageUpload`.
- `clean` (`manage.py clean_uploads`) removes files under the uploads folder that no revision
  refers to once they are older than the grace period; files the database does not know
  (written before this table, or whose record was lost) count by their modification time.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import ImageUpload, Revision


class UploadRefused(Exception):
    """Over the quota or the rate; the message is shown to the editor."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def quota_bytes() -> int:
    return int(settings.MEDSITE_UPLOAD_QUOTA_MB) * 1024 * 1024


def store(*, user: Any, name: str, data: bytes) -> str:
    """Check the user's rate and quota, save `data` as `name`; returns the stored name."""
    with transaction.atomic():
        # One upload per user at a time decides: two parallel uploads cannot both squeeze in.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        mine = ImageUpload.objects.filter(user=user)
        per_minute = int(settings.MEDSITE_UPLOADS_PER_MINUTE)
        recent = mine.filter(created_at__gt=now - timedelta(minutes=1)).count()
        if recent >= per_minute:
            raise UploadRefused(
                f"Too many uploads: at most {per_minute} a minute. Wait a minute and try again.",
                status=429,
            )
        used = sum(mine.filter(removed_at__isnull=True).values_list("size", flat=True))
        limit = quota_bytes()
        if used + len(data) > limit:
            raise UploadRefused(
                f"Your uploaded images would exceed your quota of {_mb(limit)} "
                f"({_mb(used)} used). Reuse an image already uploaded, or ask an administrator.",
                status=400,
            )
        stored_name = default_storage.save(name, ContentFile(data))
        ImageUpload.objects.create(user=user, name=stored_name, size=len(data), created_at=now)
    return stored_name


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- clean_uploads ---------------------------------------------------------------------------


@dataclass
class CleanResult:
    checked: int = 0
    referenced: int = 0
    recent: int = 0
    removed: list[str] = field(default_factory=list)
    removed_bytes: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"clean_uploads: {self.checked} files checked, {self.referenced} referenced, "
            f"{self.recent} within the grace period, {verb} {len(self.removed)} "
            f"({_mb(self.removed_bytes)})"
        )


def uploads_folder() -> str:
    return str(getattr(settings, "MARKDOWNX_MEDIA_PATH", "uploads/")).strip("/")


def referenced_names() -> set[str]:
    """Storage names of uploads that any revision's content refers to (by MEDIA_URL)."""
    prefix = re.escape(settings.MEDIA_URL.rstrip("/") + "/" + uploads_folder() + "/")
    pattern = re.compile(prefix + r"""([^\s"'()<>\\?#]+)""")
    names: set[str] = set()
    contents = Revision.objects.values_list("content", flat=True).order_by()
    for content in contents.iterator(chunk_size=200):
        text = content if isinstance(content, str) else json.dumps(content)
        for match in pattern.finditer(text):
            names.add(f"{uploads_folder()}/{match.group(1)}")
    return names


def _stored_files() -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, uploads_folder())
    found = []
    for directory, _, files in os.walk(root):
        for filename in files:
            path = os.path.join(directory, filename)
            found.append(os.path.relpath(path, settings.MEDIA_ROOT).replace(os.sep, "/"))
    return sorted(found)


def clean(*, grace_days: float, dry_run: bool = False, now: datetime | None = None) -> CleanResult:
    now = now or timezone.now()
    cutoff = now - timedelta(days=grace_days)
    result = CleanResult(dry_run=dry_run)
    referenced = referenced_names()
    records = {u.name: u for u in ImageUpload.objects.filter(removed_at__isnull=True)}
    for name in _stored_files():
        result.checked += 1
        if name in referenced:
            result.referenced += 1
            continue
        path = os.path.join(settings.MEDIA_ROOT, name)
        record = records.get(name)
        if record is not None:
            uploaded_at = record.created_at
        else:
            uploaded_at = datetime.fromtimestamp(os.path.getmtime(path), tz=UTC)
        if uploaded_at > cutoff:
            result.recent += 1
            continue
        size = os.path.getsize(path)
        result.removed.append(name)
        result.removed_bytes += size
        if not dry_run:
            os.remove(path)
            if record is not None:
                ImageUpload.objects.filter(pk=record.pk).update(removed_at=now)
    return result
