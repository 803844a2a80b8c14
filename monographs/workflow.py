"""PLACEHOLDER: the workflow API (owned by the workflow work). Signatures are the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .content import MonographContent
from .models import DisclaimerVersion, Monograph, ReviewDecision, Revision


class WorkflowError(Exception):
    """A refused workflow action; str(error) is a message fit to show the user."""


class WorkflowPermissionDenied(WorkflowError):
    pass


class InvalidTransition(WorkflowError):
    pass


@dataclass
class SaveResult:
    revision: Revision | None  # None when nothing changed
    conflict: bool = False
    changed_since: list[str] = field(default_factory=list)  # section keys changed meanwhile


@dataclass
class ImportResult:
    action: str  # "created" | "updated" | "unchanged"
    monograph: Monograph
    revision: Revision | None


def can_edit(user: Any) -> bool: ...
def can_review(user: Any) -> bool: ...
def can_withdraw(user: Any) -> bool: ...
def can_change_disclaimer(user: Any) -> bool: ...
def create_monograph(
    *, content: MonographContent, by: Any, summary: str, slug: str | None = None
) -> Revision: ...
def save_draft(
    *,
    monograph: Monograph,
    content: MonographContent,
    by: Any,
    summary: str,
    based_on: Revision | None,
) -> SaveResult: ...
def submit(*, revision: Revision, by: Any) -> Revision: ...
def approve(
    *, revision: Revision, by: Any, content_hash: str, comment: str = "", editorial: bool = False
) -> Revision: ...
def request_changes(*, revision: Revision, by: Any, comment: str) -> ReviewDecision: ...
def revert_to(*, revision: Revision, by: Any, summary: str) -> Revision: ...
def withdraw(*, monograph: Monograph, by: Any, reason: str) -> Monograph: ...
def restore(*, monograph: Monograph, by: Any, reason: str) -> Monograph: ...
def set_next_review_due(*, monograph: Monograph, by: Any, due: date) -> Monograph: ...
def change_site_disclaimer(*, text: str, by: Any, summary: str) -> DisclaimerVersion: ...
def current_site_disclaimer() -> DisclaimerVersion | None: ...
def import_source(
    *, content: MonographContent, filename: str, publish: bool = True, slug: str | None = None
) -> ImportResult: ...
