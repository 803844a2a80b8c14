"""Editors' uploads: metadata and comments stripped on re-encode, a per-user quota and rate,
and `manage.py clean_uploads` (issue 9.5)."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageCms, PngImagePlugin

from monographs import uploads, workflow
from monographs.models import ImageUpload
from tests.workflow_helpers import image_bytes, sample_content, stored_files

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/markdownx/upload/"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
PAYLOAD = b"<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.MEDIA_URL = "/media/"
    return root


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def upload(client: Client, data: bytes, name: str = "a.jpg", content_type: str = "image/jpeg"):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(UPLOAD_URL, {"image": file}, **XHR)


def stored_bytes(media_root: Path) -> bytes:
    (stored,) = stored_files(media_root)
    return stored.read_bytes()


# --- metadata ----------------------------------------------------------------------------------


def test_html_inside_a_jpeg_comment_does_not_survive_re_encoding(editor_client, media_root):
    data = image_bytes("JPEG", comment=PAYLOAD)
    assert PAYLOAD in data
    assert upload(editor_client, data).status_code == 200
    stored = stored_bytes(media_root)
    assert PAYLOAD not in stored and b"onerror" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert "comment" not in image.info and image.format == "JPEG"


def test_jpeg_exif_gps_and_xmp_are_dropped(editor_client, media_root):
    exif = Image.Exif()
    exif[0x010E] = "taken at the patient's home"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + PAYLOAD + b"</x:xmpmeta>"
    data = image_bytes("JPEG", exif=exif.tobytes(), xmp=xmp)
    assert b"patient's home" in data and PAYLOAD in data
    assert upload(editor_client, data).status_code == 200
    stored = stored_bytes(media_root)
    assert b"patient's home" not in stored and PAYLOAD not in stored
    assert b"Exif\x00\x00" not in stored and b"xmpmeta" not in stored


def test_png_text_chunks_are_dropped(editor_client, media_root):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PAYLOAD.decode())
    info.add_text("Author", PAYLOAD.decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", PAYLOAD.decode())
    data = image_bytes("PNG", pnginfo=info)
    assert b"tEXt" in data and b"zTXt" in data and b"iTXt" in data
    assert upload(editor_client, data, "a.png", "image/png").status_code == 200
    stored = stored_bytes(media_root)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", PAYLOAD):
        assert chunk not in stored


def test_a_colour_profile_is_applied_not_carried(editor_client, media_root):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes("JPEG", icc_profile=profile)
    assert upload(editor_client, data).status_code == 200
    with Image.open(io.BytesIO(stored_bytes(media_root))) as image:
        assert "icc_profile" not in image.info
        assert image.size == (40, 30)
        red, green, blue = image.convert("RGB").getpixel((5, 5))
        assert abs(red - 0) < 8 and abs(green - 128) < 8 and abs(blue - 128) < 8  # still teal


def test_an_unreadable_colour_profile_is_dropped(editor_client, media_root):
    data = image_bytes("PNG", icc_profile=PAYLOAD)
    assert upload(editor_client, data, "a.png", "image/png").status_code == 200
    assert PAYLOAD not in stored_bytes(media_root)


def test_png_transparency_is_kept(editor_client, media_root):
    data = image_bytes("PNG", mode="P", transparency=0)
    assert upload(editor_client, data, "a.png", "image/png").status_code == 200
    with Image.open(io.BytesIO(stored_bytes(media_root))) as image:
        assert "transparency" in image.info


# --- quota and rate ----------------------------------------------------------------------------


def test_each_upload_is_recorded_with_its_uploader_and_size(editor_client, editor, media_root):
    assert upload(editor_client, image_bytes("JPEG")).status_code == 200
    (record,) = ImageUpload.objects.all()
    (stored,) = stored_files(media_root)
    assert record.user == editor
    assert record.size == stored.stat().st_size
    assert record.name == stored.relative_to(media_root).as_posix()


def test_the_per_user_quota_refuses_with_a_message_and_stores_nothing(
    settings, editor_client, editor, moderator, media_root
):
    settings.MEDSITE_UPLOAD_QUOTA_MB = 1
    ImageUpload.objects.create(user=editor, name="uploads/old/big.jpg", size=1024 * 1024 - 100)
    response = upload(editor_client, image_bytes("JPEG"))
    assert response.status_code == 400
    assert "quota of 1.0 MB" in response.json()["error"]
    assert stored_files(media_root) == []
    assert ImageUpload.objects.count() == 1
    # Someone else's quota is their own.
    other = Client()
    other.force_login(moderator)
    assert upload(other, image_bytes("JPEG")).status_code == 200


def test_removed_uploads_no_longer_count(settings, editor_client, editor, media_root):
    settings.MEDSITE_UPLOAD_QUOTA_MB = 1
    ImageUpload.objects.create(
        user=editor,
        name="uploads/old/big.jpg",
        size=1024 * 1024 - 100,
        removed_at=timezone.now(),
    )
    assert upload(editor_client, image_bytes("JPEG")).status_code == 200


def test_the_per_minute_rate_refuses_with_429(settings, editor_client, media_root):
    settings.MEDSITE_UPLOADS_PER_MINUTE = 3
    statuses = [upload(editor_client, image_bytes("JPEG")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(stored_files(media_root)) == 3
    response = upload(editor_client, image_bytes("JPEG"))
    assert "at most 3 a minute" in response.json()["error"]
    # A minute later it is allowed again.
    ImageUpload.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert upload(editor_client, image_bytes("JPEG")).status_code == 200


# --- clean_uploads -----------------------------------------------------------------------------


def age(media_root: Path, name: str, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(media_root / name, (then, then))
    ImageUpload.objects.filter(name=name).update(created_at=timezone.now() - timedelta(days=days))


def uploaded(client: Client) -> str:
    code = upload(client, image_bytes("JPEG")).json()["image_code"]
    return code[len("![](/media/") : -1]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clean_uploads", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def three_uploads(editor_client, editor, media_root, committing):
    """An image a saved revision uses, one nobody uses (old), one nobody uses yet (new)."""
    used, unused_old, unused_new = (uploaded(editor_client) for _ in range(3))
    content = sample_content(usage=f"See the chart.\n\n![chart](/media/{used})")
    committing(workflow.create_monograph, by=editor, content=content, summary="With a chart")
    for name in (used, unused_old):
        age(media_root, name, 30)
    age(media_root, unused_new, 1)
    return used, unused_old, unused_new


def test_clean_uploads_removes_only_old_unreferenced_files(three_uploads, media_root):
    used, unused_old, unused_new = three_uploads
    output = run("--grace-days", "7")
    assert (
        output.strip()
        .splitlines()[-1]
        .startswith(
            "clean_uploads: 3 files checked, 1 referenced, 1 within the grace period, removed 1 ("
        )
    )
    assert (media_root / used).exists()
    assert not (media_root / unused_old).exists()
    assert (media_root / unused_new).exists()
    assert ImageUpload.objects.get(name=unused_old).removed_at is not None
    assert ImageUpload.objects.get(name=used).removed_at is None


def test_clean_uploads_dry_run_removes_nothing(three_uploads, media_root):
    used, unused_old, unused_new = three_uploads
    output = run("--grace-days", "7", "--dry-run")
    assert f"would remove {unused_old}" in output
    assert "would remove 1 (" in output.splitlines()[-1]
    assert all((media_root / name).exists() for name in three_uploads)
    assert not ImageUpload.objects.filter(removed_at__isnull=False).exists()


def test_clean_uploads_grace_period_is_an_option(three_uploads, media_root):
    used, unused_old, unused_new = three_uploads
    assert "removed 2 (" in run("--grace-days", "0")
    assert (media_root / used).exists()
    assert not (media_root / unused_new).exists()


def test_clean_uploads_also_removes_files_the_database_does_not_know(media_root):
    folder = media_root / "uploads" / "2020" / "01"
    folder.mkdir(parents=True)
    (folder / "stray.jpg").write_bytes(image_bytes("JPEG"))
    age(media_root, "uploads/2020/01/stray.jpg", 400)
    assert "removed 1 (" in run()
    assert not (folder / "stray.jpg").exists()


def test_clean_uploads_refuses_a_negative_grace_period(media_root):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot be negative"):
        run("--grace-days", "-1")


def test_referenced_names_reads_every_revision(three_uploads):
    used, _, _ = three_uploads
    assert uploads.referenced_names() == {used}
