"""django-markdownx's preview and image upload, locked down.

Out of the box (markdownx 4.0.11) both views answer anonymous users, the preview renders whatever
MARKDOWNX_MARKDOWNIFY_FUNCTION returns, and the upload trusts the browser's content type (SVG with
script and HTML sent as image/gif get stored). These replacements keep markdownx's wire format
(fields `content` and `image`, the CSRF token in the form data, `{"image_code": "![](url)"}` back)
so its widget JavaScript works unchanged, and add:

- staff users with `monographs.change_monograph` only (403 otherwise, anonymous included; never a
  redirect to a login page the XHR would render as the preview);
- the preview is the public page's own rendering of the section (``page.section_body_html``):
  the edit form's widget names the section in the preview URL (``?section=<key>&heading=``),
  so the serious side-effects callout, FAQ pairs, heading levels and tables show as they
  will be published; with no section named, a section's body under the page's heading
  rules. Always sanitized (``rendering``), with a size cap (the section size limit) and a
  rate limit per user (MEDSITE_PREVIEW_RATE units per MEDSITE_PREVIEW_RATE_WINDOW seconds,
  counted in the cache; a preview costs one unit per started 5,000 characters, so opening a
  long monograph, which previews every section, stays well inside it while a flood of
  100 kB previews does not): past it a 429 whose body, which the widget puts where the
  preview goes, says to wait a moment;
- uploads are decided by the file's bytes: JPEG, PNG or WebP that Pillow opens, verifies and fully
  decodes, under a byte cap and a pixel cap; they are re-encoded by Pillow from the pixels alone
  (no EXIF, XMP, JPEG comment, PNG text chunk or trailing payload; a colour profile is applied
  by converting to sRGB, not carried along) and stored under a name the server chooses;
- each editor has a quota of stored bytes and a rate of uploads a minute (monographs/uploads.py);
- every malformed request gets a 400 with a message, never a 500.
"""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import escape
from django.views import View
from django.views.decorators.cache import never_cache
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from . import permissions, uploads, validation
from .content import STANDARD_HEADINGS, Section
from .page import section_body_html

logger = logging.getLogger(__name__)

# Monographs are a few tens of kB; half a megabyte of Markdown is a mistake or an attack. A
# preview of more than a section may hold (MEDSITE_MAX_SECTION_CHARS) is refused too.
MAX_PREVIEW_BYTES = 500 * 1000
# markdownx asks for a preview once typing pauses (MARKDOWNX_SERVER_CALL_LATENCY): a person
# makes a few a second at most. Rendering is bounded (well under a second for any section),
# and this keeps one account from keeping a worker busy with them.
DEFAULT_PREVIEW_RATE = 150
DEFAULT_PREVIEW_RATE_WINDOW = 10
PREVIEW_UNIT_CHARS = 5_000
# A pixel cap in addition to the byte cap: a small PNG can declare a gigapixel canvas.
DEFAULT_MAX_PIXELS = 25_000_000

# Pillow format -> (stored extension, save options). The stored format is always the real one.
_FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "JPEG": ("jpg", {"quality": 90}),
    "PNG": ("png", {}),
    "WEBP": ("webp", {"quality": 90}),
}

# Errors raised while Django parses a request body we refuse to trust.
_BAD_BODY_ERRORS = (MultiPartParserError, RequestDataTooBig, TooManyFilesSent, SuspiciousOperation)


class UploadRejected(Exception):
    """An upload that is not an acceptable image; the message is shown to the editor."""


def can_use_editor(user: Any) -> bool:
    """Staff who may change monographs: the only people who need preview and upload."""
    return bool(permissions.may_edit(user))


@method_decorator(never_cache, name="dispatch")
class _EditorOnlyView(View):
    http_method_names = ["post"]

    def forbidden(self) -> HttpResponse:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Permission before method: an anonymous probe learns nothing but 403.
        if not can_use_editor(request.user):
            return self.forbidden()
        return super().dispatch(request, *args, **kwargs)


class MarkdownifyView(_EditorOnlyView):
    """POST `content` -> sanitized HTML (markdownx puts the response body into the preview)."""

    def forbidden(self) -> HttpResponse:
        return HttpResponse(
            "You do not have permission to preview monographs.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            content = request.POST.get("content")
        except _BAD_BODY_ERRORS:
            return _text_error("The preview request could not be read.")
        if content is None:
            return _text_error("The preview request has no 'content' field.")
        if len(content.encode("utf-8")) > MAX_PREVIEW_BYTES:
            return _text_error(
                f"The text is too long to preview (over {MAX_PREVIEW_BYTES // 1000} kB)."
            )
        max_chars = validation.max_section_chars()
        if len(content) > max_chars:
            return _text_error(
                f"The text is too long to preview: a section may hold {max_chars:,} characters "
                f"and this one has {len(content):,}."
            )
        wait = preview_wait(request.user, cost=1 + len(content) // PREVIEW_UNIT_CHARS)
        if wait:
            return _preview_throttled(wait)
        return HttpResponse(
            section_body_html(preview_section(request, content)),
            content_type="text/html; charset=utf-8",
        )


_SECTION_KEY = re.compile(r"^[a-z0-9_]{1,100}$")


def preview_section(request: HttpRequest, body: str) -> Section:
    """The section a preview request is for (``?section=<key>&heading=<heading>``)."""
    key = request.GET.get("section", "")
    key = key if _SECTION_KEY.match(key) else ""
    heading = request.GET.get("heading", "")[:200] or STANDARD_HEADINGS.get(key, "")
    return Section(key=key, heading=heading, body=body)


def preview_wait(user: Any, cost: int = 1) -> int:
    """Seconds ``user`` must wait before the next preview (0: go ahead), counting this one
    (``cost`` units: longer texts cost more to render).

    A fixed window per user in the cache. If the cache is down the preview is allowed: the
    render itself is bounded, and an outage must not stop editors from working.
    """
    limit = int(getattr(settings, "MEDSITE_PREVIEW_RATE", DEFAULT_PREVIEW_RATE))
    window = max(
        1, int(getattr(settings, "MEDSITE_PREVIEW_RATE_WINDOW", DEFAULT_PREVIEW_RATE_WINDOW))
    )
    if limit <= 0:
        return 0
    now = time.time()
    slot = int(now // window)
    key = f"medsite:preview-rate:{user.pk}:{slot}"
    try:
        cache.add(key, 0, timeout=window + 1)
        count = cache.incr(key, cost)
    except Exception:  # noqa: BLE001 - any cache failure: allow (see above)
        logger.warning("preview rate limit skipped: cache unavailable", exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now + 0.999))


def _preview_throttled(wait: int) -> HttpResponse:
    # markdownx puts any response body where the preview goes, as HTML: a short note in the
    # preview's place, which the next pause in typing after the wait replaces.
    seconds = "a second" if wait == 1 else f"{wait} seconds"
    message = (
        f"The preview is paused for {seconds}: it was asked for more often than it can be "
        "shown. Keep typing; it comes back by itself, and nothing you typed is lost."
    )
    response = HttpResponse(
        f'<p class="ms-preview-paused" role="status">{escape(message)}</p>',
        status=429,
        content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response


class ImageUploadView(_EditorOnlyView):
    """POST `image` -> {"image_code": "![](url)"} or 400 {"error": "..."}."""

    def forbidden(self) -> HttpResponse:
        return JsonResponse({"error": "You do not have permission to upload images."}, status=403)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            files = request.FILES.getlist("image")
        except _BAD_BODY_ERRORS:
            return _json_error("The upload could not be read; please try again.")
        if len(files) != 1:
            return _json_error("Send exactly one image in the 'image' field.")
        upload = files[0]
        max_size = int(settings.MARKDOWNX_UPLOAD_MAX_SIZE)
        if upload.size is None or upload.size > max_size:
            return _json_error(f"The image is larger than {_megabytes(max_size)}.")
        if upload.size == 0:
            return _json_error("The file is empty.")
        data = upload.read(max_size + 1)
        if len(data) > max_size:
            return _json_error(f"The image is larger than {_megabytes(max_size)}.")
        try:
            image_bytes, extension = clean_image(data)
        except UploadRejected as exc:
            return _json_error(str(exc))
        name = _storage_name(extension)
        try:
            stored_name = uploads.store(user=request.user, name=name, data=image_bytes)
        except uploads.UploadRefused as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)
        except OSError:
            logger.exception("markdownx upload could not be stored as %s", name)
            return JsonResponse(
                {"error": "The image could not be stored; please try again later."}, status=503
            )
        url = default_storage.url(stored_name)
        logger.info("markdownx upload by %s stored as %s", request.user.pk, stored_name)
        return JsonResponse({"image_code": f"![]({url})"})


def clean_image(data: bytes) -> tuple[bytes, str]:
    """Check that `data` is a JPEG, PNG or WebP image and re-encode it.

    Returns (bytes to store, extension). Raises UploadRejected with a message for anything else:
    other formats (GIF, SVG, HTML, PDF, ...), truncated or corrupt files, images over the pixel cap.
    """
    max_pixels = int(getattr(settings, "MARKDOWNX_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    formats = tuple(_FORMATS)
    try:
        # verify() leaves the image unusable, so it gets its own Image object.
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            # Phones save multi-picture JPEGs (MPO); the first picture is a plain JPEG.
            image_format = "JPEG" if probe.format == "MPO" else (probe.format or "")
            if image_format not in _FORMATS:
                raise UploadRejected("Only JPEG, PNG and WebP images can be uploaded.")
            width, height = probe.size
            if width * height > max_pixels:
                raise UploadRejected(
                    f"The image is too large ({width}×{height} pixels; "
                    f"the limit is {max_pixels:,} pixels)."
                )
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            # verify() does not decode pixel data (a truncated JPEG passes it); load() does.
            image.load()
            image = ImageOps.exif_transpose(image)
            output = _encode(image, image_format)
    except UploadRejected:
        raise
    except UnidentifiedImageError as exc:
        raise UploadRejected("Only JPEG, PNG and WebP images can be uploaded.") from exc
    except Image.DecompressionBombError as exc:
        raise UploadRejected("The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, MemoryError) as exc:
        # Pillow reports corrupt and truncated data with this mix of exception types.
        raise UploadRejected("The image is damaged or incomplete.") from exc
    return output, _FORMATS[image_format][0]


def _encode(image: Image.Image, image_format: str) -> bytes:
    """Re-encode the pixels alone: nothing of the file's metadata is written back.

    Pillow carries some metadata over on save by itself (a JPEG comment in `info["comment"]`
    is written again: HTML in a JPEG comment survived re-encoding), so the image is rebuilt
    from its pixels with an empty `info`. A colour profile is applied, converting to sRGB, so
    colours stay right without keeping the profile (which can hold arbitrary text).
    """
    _, options = _FORMATS[image_format]
    transparency = image.info.get("transparency")
    image = _to_srgb(image, image.info.get("icc_profile"))
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image_format == "WEBP" and image.mode not in ("RGB", "RGBA"):
        has_alpha = "A" in image.mode or transparency is not None
        image = image.convert("RGBA" if has_alpha else "RGB")
        transparency = None
    pixels_only = image.copy()
    pixels_only.info = {}
    save_options = dict(options)
    if image_format == "PNG" and transparency is not None:
        save_options["transparency"] = transparency
    buffer = io.BytesIO()
    pixels_only.save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if not icc_profile or image.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if "A" in image.mode else ("L" if image.mode == "L" else "RGB")
        if output_mode == "L":
            return image  # a grey profile: converting to sRGB would make it RGB; keep the grey
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
        return converted if converted is not None else image
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return image  # an unreadable profile is dropped; the pixels are kept as they are


def _storage_name(extension: str) -> str:
    # The client's file name is never used: no path tricks, no double extensions, no PII.
    folder = str(getattr(settings, "MARKDOWNX_MEDIA_PATH", "uploads/")).strip("/")
    now = timezone.now()
    return f"{folder}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{extension}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _json_error(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _text_error(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
