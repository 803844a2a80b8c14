"""Plain helpers for tests that need monographs in a given workflow state.

They go through ``monographs.workflow`` like the admin does, so what they build obeys the
same rules (four-eyes, audit, disclaimers) as real content.
"""

from __future__ import annotations

from typing import Any

from monographs import workflow
from monographs.content import STANDARD_HEADINGS, MonographContent, Section
from monographs.models import Monograph, Revision

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
    return workflow.approve(revision=revision, by=moderator, content_hash=revision.content_hash)
