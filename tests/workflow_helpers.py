"""The one set of test builders and helpers (test modules never import each other).

- Monographs in a given workflow state (``sample_content``, ``publish_new``, ...): they go
  through ``monographs.workflow`` like the admin does, so what they build obeys the same rules
  (four-eyes, audit, disclaimers) as real content.
- Monographs written straight to the tables (``make_monograph``), for search and sitemap
  tests that pin down reads alone.
- Content without the workflow (``content_with``, ``content_for``, ``source``).
- What the admin posts (``form_data``) and where (``change_url``, ``review_url``).
- Reading pages (``read_page``, ``plain``, ...) and running commands (``run``).
- Upload bytes (``image_bytes``).
"""

from __future__ import annotations

import io
import os
import re
from datetime import date
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any

from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from monographs import search, workflow
from monographs.content import STANDARD_HEADINGS, MonographContent, Section
from monographs.models import Monograph, Revision

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "content" / "naltrexone.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
QA_SOURCES = FIXTURES / "sources" / "qa"  # realistic monographs other than the seed
QA_FILES = sorted(QA_SOURCES.glob("*.md"))

SAMPLE_BODIES: dict[str, str] = {
    "usage": "{title} is used to treat mild to moderate pain and fever.",
    "dosage": (
        "**Adults:**\n\n"
        "* **Oral:** 500 mg to 1 g every 4 to 6 hours, no more than 4 g in 24 hours.\n"
        "* **Rectal:** 1 g up to four times a day."
    ),
    "side_effects": (
        "Common side effects include:\n\n"
        "* Nausea\n"
        "* Headache\n\n"
        "**Serious side effects:** Yellowing of the skin or eyes, dark urine or severe "
        "stomach pain may mean liver damage. Seek urgent medical help."
    ),
    "how_it_works": "{title} blocks the production of prostaglandins in the brain.",
    "precautions": (
        "Tell your doctor if you have liver or kidney problems, or drink alcohol regularly."
    ),
    "faqs": (
        "* **Q: Can I take {title} with food?** A: Yes, with or without food.\n"
        "* **Q: How quickly does {title} work?** A: Usually within an hour."
    ),
}
SAMPLE_DISCLAIMER = (
    "This information is for education only and does not replace advice from your doctor."
)


def sample_content(title: str = "Testamol", **overrides: Any) -> MonographContent:
    """A small valid monograph with every standard section, two FAQs and a disclaimer.

    ``overrides`` set content fields (``generic_name``, ``other_names``, ``disclaimer``,
    ``sections``, ``layout``) or replace one standard section's body by its key
    (``dosage="..."``).
    """
    fields = {"generic_name", "other_names", "disclaimer", "sections", "layout"}
    bodies = {key: body.format(title=title) for key, body in SAMPLE_BODIES.items()}
    content = MonographContent(
        title=title,
        generic_name=title.lower(),
        other_names=[],
        layout="minimal-medicine",
        disclaimer=SAMPLE_DISCLAIMER,
    )
    for key, value in overrides.items():
        if key in bodies:
            bodies[key] = value
        elif key not in fields:
            raise TypeError(f"sample_content() got an unexpected override {key!r}")
    content.sections = [
        Section(key=key, heading=STANDARD_HEADINGS[key], body=body) for key, body in bodies.items()
    ]
    for key in fields & overrides.keys():
        setattr(content, key, overrides[key])
    return content


def edited(content: MonographContent, **overrides: Any) -> MonographContent:
    """A copy of ``content`` with some fields or section bodies replaced (as sample_content)."""
    data = MonographContent.from_dict(content.as_dict())
    for key, value in overrides.items():
        section = data.section(key)
        if section is not None:
            section.body = value
        elif hasattr(data, key):
            setattr(data, key, value)
        else:
            raise TypeError(f"edited() got an unexpected override {key!r}")
    return data


def publish_new(content: MonographContent, *, editor: Any, moderator: Any) -> Monograph:
    """Create a monograph as ``editor``, submit it and have ``moderator`` approve it."""
    revision = workflow.create_monograph(content=content, by=editor, summary="First version")
    workflow.submit(revision=revision, by=editor)
    workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
    return Monograph.objects.get(pk=revision.monograph_id)


def edit_and_publish(
    monograph: Monograph,
    content: MonographContent,
    *,
    editor: Any,
    moderator: Any,
    summary: str = "Updated the text",
) -> Revision:
    """Save ``content`` as a new draft of ``monograph``, submit it and approve it."""
    monograph = Monograph.objects.get(pk=monograph.pk)
    result = workflow.save_draft(
        monograph=monograph,
        content=content,
        by=editor,
        summary=summary,
        based_on=monograph.latest_revision,
    )
    if result.revision is None:
        raise ValueError("edit_and_publish() was given content identical to the latest revision")
    revision = workflow.submit(revision=result.revision, by=editor)
    return workflow.approve(
        revision=revision,
        by=moderator,
        content_hash=revision.content_hash,
        clinical_checked=True,
    )


# --- content without the workflow ------------------------------------------------------------


def content_with(
    *sections: tuple[str, str, str], disclaimer: str = "Ask your doctor."
) -> MonographContent:
    return MonographContent(
        title="Testamol",
        generic_name="testamol",
        sections=[Section(key=k, heading=h, body=b) for k, h, b in sections],
        disclaimer=disclaimer,
    )


def source(front: str = "title: Aspirin", body: str = "### Usage\n\nPain.\n") -> str:
    """The text of a monograph file with this front matter and body."""
    return f"---\n{front}\n---\n\n{body}"


NALTREXONE_FAQS = (
    "* **Q: Can I drink alcohol while taking naltrexone?** A: No. Drinking alcohol while "
    "on naltrexone may not prevent intoxication.\n"
    "* **Q: How should I store naltrexone?** A: Store it at room temperature, away from "
    "moisture & heat (below 25 <b>°C</b>).\n"
)


def content_for(
    title: str,
    *,
    generic_name: str = "",
    other_names: tuple[str, ...] = (),
    usage: str = "",
    dosage: str = "",
    side_effects: str = "",
    faqs: str = "",
) -> MonographContent:
    sections = [
        Section(key=key, heading=heading, body=body)
        for key, heading, body in [
            ("usage", "Usage", usage),
            ("dosage", "Dosage", dosage),
            ("side_effects", "Side Effects", side_effects),
            ("faqs", "FAQs", faqs),
        ]
        if body
    ]
    return MonographContent(
        title=title,
        generic_name=generic_name or title,
        other_names=list(other_names),
        sections=sections,
        disclaimer="For information only.",
    )


def make_monograph(
    content: MonographContent,
    *,
    slug: str | None = None,
    published: bool = True,
    withdrawn: bool = False,
    reviewed_by=None,
) -> Monograph:
    """A monograph whose live revision is ``content`` (or only a draft of it)."""
    now = timezone.now()
    monograph = Monograph.objects.create(
        slug=slug or content.title.lower().replace(" ", "-"),
        title=content.title,
        generic_name=content.generic_name,
        other_names=list(content.other_names),
        sort_title=content.title.lower(),
    )
    revision = Revision.objects.create(
        monograph=monograph,
        number=1,
        status=Revision.Status.PUBLISHED if published else Revision.Status.DRAFT,
        content=content.as_dict(),
        content_hash=content.hash(),
        change_summary="First version",
        published_at=now if published else None,
    )
    monograph.latest_revision = revision
    if published:
        names, text = search.index_fields(content)
        monograph.live_revision = revision
        monograph.search_names = names
        monograph.search_text = text
        monograph.first_published_at = monograph.last_published_at = now
        monograph.last_reviewed_at = date(2026, 3, 14)
        monograph.last_reviewed_by = reviewed_by
    if withdrawn:
        monograph.withdrawn_at = now
        monograph.withdrawn_reason = "Taken off the market."
    monograph.save()
    return monograph


NALTREXONE = content_for(
    "Naltrexone",
    other_names=("Revia", "Vivitrol"),
    usage=(
        "Naltrexone is used to treat **alcohol use disorder** and opioid use disorder. "
        "It reduces cravings."
    ),
    dosage=(
        "**Alcohol Use Disorder:**\n\n"
        "* **Oral:** 50 mg once daily.\n"
        "* **Intramuscular (IM):** 380 mg once every 4 weeks.\n"
    ),
    side_effects="* Headache\n* Nausea\n* Liver damage (hepatotoxicity)\n",
    faqs=NALTREXONE_FAQS,
)
METFORMIN = content_for(
    "Metformin",
    other_names=("Glucophage",),
    usage="Metformin lowers blood sugar in type 2 diabetes.",
    dosage="Tablets taken by mouth with meals, 500 mg twice daily. Avoid ibuprofen tablets.",
)
IBUPROFEN = content_for(
    "Ibuprofen",
    other_names=("Nurofen", "Advil"),
    usage="Ibuprofen relieves pain, fever and inflammation.",
    dosage="Oral tablets 200 mg to 400 mg; a topical gel is rubbed on the painful area.",
)
ZOLPIDEM_DRAFT = content_for(
    "Zolpidem",
    other_names=("Stilnoct",),
    usage="Zolpidem helps with insomnia for a short time.",
)
RANITIDINE_WITHDRAWN = content_for(
    "Ranitidine",
    other_names=("Zantac",),
    usage="Ranitidine reduced stomach acid; heartburn relief.",
)


# --- the admin's forms ----------------------------------------------------------------------


def form_data(
    content: MonographContent,
    *,
    based_on: Revision | None,
    summary: str = "Clarified the text",
    **extra: Any,
) -> dict[str, Any]:
    """The POST body the edit screen sends for ``content`` (as a browser would)."""
    data: dict[str, Any] = {
        "title": content.title,
        "generic_name": content.generic_name,
        "other_names": "\r\n".join(content.other_names),
        "disclaimer": content.disclaimer.replace("\n", "\r\n"),
        "summary": summary,
        "based_on": based_on.pk if based_on else "",
        "section_count": len(content.sections),
        "new_heading": "",
        "new_body": "",
        "_save": "Save draft",
    }
    for i, section in enumerate(content.sections):
        data[f"section-{i}-key"] = section.key
        data[f"section-{i}-heading"] = section.heading
        data[f"section-{i}-body"] = section.body.replace("\n", "\r\n")  # browsers send CRLF
    data.update(extra)
    return data


def change_url(monograph: Monograph) -> str:
    return reverse("admin:monographs_monograph_change", args=[monograph.pk])


def review_url(revision: Revision) -> str:
    return reverse("admin:monographs_revision_review", args=[revision.pk])


def message_texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- reading pages and running commands ----------------------------------------------------


class _Page(HTMLParser):
    """Visible text of the <main> element, and the tags met, with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    # Inline elements join their text to the words around them; anything else separates.
    INLINE = {"a", "strong", "em", "b", "i", "code", "sup", "sub", "abbr", "mark", "span"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "main":
            self.in_main += 1
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            self._in_jsonld = True
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1
        self._in_jsonld = False
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)
        elif self.in_main:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def read_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def plain(markdown_text: str) -> str:
    """What a reader sees of one line of Markdown: no emphasis, link targets or escapes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text)  # [text](url)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # [text][ref]
    text = re.sub(r"<(?:mailto:)?([^>\s]+)>", r"\1", text)  # <autolink>
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)
    return " ".join(text.split())


def list_items(body: str) -> list[str]:
    return [
        plain(match[1])
        for match in re.finditer(r"^\s*(?:[*+-]|\d+\.)\s+(.+)$", body, re.M)
        if not re.match(r"\s*\*\*\s*Q:", match[1])  # FAQ items are shown as questions
    ]


def table_cells(body: str) -> list[str]:
    cells: list[str] = []
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith("|") or re.fullmatch(r"[|:\- ]+", line):
            continue
        # Split on pipes that are neither escaped nor inside a code span.
        current, in_code, row = "", False, []
        index = 0
        while index < len(line):
            char = line[index]
            if char == "\\" and index + 1 < len(line):
                current += line[index : index + 2]
                index += 2
                continue
            if char == "`":
                in_code = not in_code
            if char == "|" and not in_code:
                row.append(current)
                current = ""
            else:
                current += char
            index += 1
        row.append(current)
        cells += [plain(cell) for cell in row[1:-1] if cell.strip()]
    return cells


def bold_labels(body: str) -> list[str]:
    return [plain(m[1]) for m in re.finditer(r"\*\*(?!Q:)(.+?)\*\*", body)]


def link_texts(body: str) -> list[str]:
    return [plain(m[1]) for m in re.finditer(r"(?<!!)\[([^\]]+)\](?:\(|\[)", body)]


class Run:
    """The outcome of one command run: its output, its error lines, its exit status."""

    def __init__(self, stdout: str, stderr: str, status: int) -> None:
        self.stdout, self.stderr, self.status = stdout, stderr, status
        self.lines = stdout.splitlines()
        self.errors = stderr.splitlines()


def run(command: str, *args: str) -> Run:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as error:
        # manage.py prints this and exits with returncode; call_command raises it instead.
        err.write(f"CommandError: {error}\n")
        return Run(out.getvalue(), err.getvalue(), error.returncode)
    return Run(out.getvalue(), err.getvalue(), 0)


# --- uploads -------------------------------------------------------------------------------

CLIENT_NAME = "patient-john-doe-secret"
IMAGE_CODE_RE = re.compile(r"^!\[\]\((/media/uploads/\d{4}/\d{2}/[0-9a-f]{32}\.(png|jpg|webp))\)$")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color="teal" if mode == "RGB" else 1).save(buffer, format=fmt, **save)
    return buffer.getvalue()


# --- four-eyes scenarios ---------------------------------------------------------------


def moderator_text_reverted_to_by_editor(live: Monograph, editor: Any, moderator: Any) -> Revision:
    """The moderator's unreviewed draft, reverted to by ``editor`` and submitted by them.

    The editor first starts again from the live text (a conflict), then reverts to the
    moderator's draft: the chain of ``based_on`` no longer passes through it.
    """
    start = live.live_revision
    own = workflow.save_draft(
        monograph=live,
        content=edited(start.data, usage="The moderator's own unreviewed text."),
        by=moderator,
        summary="Moderator's draft",
        based_on=None,
    ).revision
    workflow.save_draft(
        monograph=live,
        content=edited(start.data, usage="The editor's text."),
        by=editor,
        summary="Editor's draft",
        based_on=start,
    )
    revert = workflow.revert_to(revision=own, by=editor, summary="Back to the moderator's")
    return workflow.submit(revision=revert, by=editor)


def add_publications(monograph: Monograph, count: int) -> None:
    """``count`` earlier publications of ``monograph``, written in bulk as the workflow
    leaves them (superseded, with a publication date and a disclaimer version): a long
    public history without thousands of approvals."""
    from datetime import timedelta

    live = monograph.live_revision
    start = Revision.objects.filter(monograph=monograph).count()
    now = timezone.now()
    Revision.objects.bulk_create(
        Revision(
            monograph=monograph,
            number=start + n + 1,
            status=Revision.Status.SUPERSEDED,
            source=Revision.Source.EDIT,
            content=live.content,
            content_hash=live.content_hash,
            change_summary=f"Change {n}",
            published_at=now - timedelta(days=count - n),
            disclaimer_version=live.disclaimer_version,
        )
        for n in range(count)
    )


def bulk_publish(contents: list[MonographContent]) -> list[Monograph]:
    """Published monographs for many contents at once, written straight to the tables.

    Each gets one live revision and the public fields that lists and search read (names,
    ``search.index_fields``), in a few queries, without the workflow's rendering, audit or
    mail: for tests that need a catalogue of hundreds. Anything that checks what
    publishing itself does must use ``publish_new``.
    """
    from django.utils.text import slugify

    now = timezone.now()
    taken: set[str] = set(Monograph.objects.values_list("slug", flat=True))
    monographs = []
    for content in contents:
        base = slugify(content.title) or "monograph"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        names, text = search.index_fields(content)
        monographs.append(
            Monograph(
                slug=slug,
                title=content.title,
                generic_name=content.generic_name,
                other_names=list(content.other_names),
                sort_title=content.title.casefold(),
                search_names=names,
                search_text=text,
                first_published_at=now,
                last_published_at=now,
            )
        )
    Monograph.objects.bulk_create(monographs, batch_size=500)
    revisions = [
        Revision(
            monograph=monograph,
            number=1,
            status=Revision.Status.PUBLISHED,
            source=Revision.Source.EDIT,
            content=content.as_dict(),
            content_hash=content.hash(),
            change_summary="First version",
            published_at=now,
        )
        for monograph, content in zip(monographs, contents, strict=True)
    ]
    Revision.objects.bulk_create(revisions, batch_size=500)
    for monograph, revision in zip(monographs, revisions, strict=True):
        monograph.live_revision = monograph.latest_revision = revision
    Monograph.objects.bulk_update(monographs, ["live_revision", "latest_revision"], batch_size=500)
    return monographs


def sqlite_site_env(database: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process (server, command, scenario) running the site on
    the SQLite file ``database``, from the repository root."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "medsite.settings",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_DEBUG"):
        env.pop(name, None)
    env.update(extra)
    return env


def submitted_edit(
    monograph: Monograph,
    *,
    editor: Any,
    summary: str = "Edit",
    publish_at: Any = None,
    **overrides: Any,
) -> Revision:
    """The live content of ``monograph`` with ``overrides`` (as ``edited``), saved by
    ``editor`` and submitted for review (asking for ``publish_at`` if given)."""
    monograph = Monograph.objects.get(pk=monograph.pk)
    result = workflow.save_draft(
        monograph=monograph,
        content=edited(monograph.live_revision.data, **overrides),
        by=editor,
        summary=summary,
        based_on=None,
    )
    return workflow.submit(revision=result.revision, by=editor, publish_at=publish_at)


def approved_for(revision: Revision, *, moderator: Any, when: Any) -> Revision:
    """``revision`` approved by ``moderator`` to be published at ``when`` (clinical changes
    acknowledged)."""
    return workflow.approve(
        revision=revision,
        by=moderator,
        content_hash=revision.content_hash,
        publish_at=when,
        clinical_checked=True,
    )
