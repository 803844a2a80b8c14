"""Import monographs from seed-format files: ``manage.py import_monographs content/``.

Running the command is an operator's act: what it imports is published at once (recorded
in the audit log as an import with the file name), unless ``--draft`` asks for drafts to
be reviewed like any edit. Each file is imported on its own: a bad file is reported in one
line and leaves nothing behind, the others still import, and the exit status says whether
everything went in.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction

from monographs import sourcefile, workflow

FAILED_EXIT_STATUS = 2
# Files imported in one transaction (each in a savepoint of its own): one commit per batch
# instead of one per file. A batch of imports holds the monographs' row locks (SQLite: the
# write lock) for about a second.
BATCH_FILES = 50


class ImportFailed(Exception):
    """One file could not be imported; str() is the one-line reason."""


class Command(BaseCommand):
    help = (
        "Import monographs from seed-format Markdown files or folders (*.md, recursively). "
        "Imports are published at once unless --draft is given; unchanged files change nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="a .md file or a folder")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="create drafts for review instead of publishing",
        )

    def handle(self, *args: Any, paths: list[str], draft: bool = False, **options: Any) -> None:
        counts: Counter[str] = Counter()
        # slug -> the file that went in under it: a second file for the same monograph in
        # one run would replace the first, and every later run would flip between them.
        self._imported: dict[str, str] = {}
        files = self._files(paths, counts)
        for start in range(0, len(files), BATCH_FILES):
            for display, outcome in self._import_batch(files[start : start + BATCH_FILES], draft):
                if isinstance(outcome, ImportFailed):
                    counts["failed"] += 1
                    self.stderr.write(f"error: {display}: {outcome}")
                    continue
                counts[outcome.action] += 1
                self.stdout.write(f"{outcome.action} {outcome.monograph.slug} ({display})")

        total = sum(counts.values())
        summary = ", ".join(
            f"{counts[action]} {action}" for action in ("created", "updated", "unchanged")
        )
        mode = "as drafts" if draft else "published"
        files = f"{total} file{'s' if total != 1 else ''}"
        self.stdout.write(f"{files}: {summary} ({mode}), {counts['failed']} failed")
        if counts["failed"]:
            raise CommandError(
                f"{counts['failed']} of {total} files could not be imported; see the errors above.",
                returncode=FAILED_EXIT_STATUS,
            )

    def _import_batch(
        self, batch: list[tuple[str, Path]], draft: bool
    ) -> list[tuple[str, workflow.ImportResult | ImportFailed]]:
        """Import a batch of files in one transaction, each file in a savepoint of its own.

        A bad file rolls back to its savepoint (nothing of it is written) and the others go
        on; the batch commits once, which spares a commit (an fsync) per file. Should the
        commit itself fail, nothing of the batch was written: each file is tried again in a
        transaction of its own. Outcomes are reported only once they are committed.
        """

        def attempt(path: Path, display: str) -> workflow.ImportResult | ImportFailed:
            try:
                return self._import(path, display, publish=not draft)
            except ImportFailed as error:
                return error

        imported_before = dict(self._imported)
        try:
            with transaction.atomic():
                return [(display, attempt(path, display)) for display, path in batch]
        except DatabaseError:
            self._imported = imported_before
            return [(display, attempt(path, display)) for display, path in batch]

    def _files(self, paths: list[str], counts: Counter[str]) -> list[tuple[str, Path]]:
        """(name to show, path) of every file to import, in order, each once."""
        found: list[tuple[str, Path]] = []
        seen: set[Path] = set()
        for given in paths:
            path = Path(given)
            if path.is_dir():
                files = sorted(
                    (p for p in path.rglob("*") if p.suffix.lower() == ".md" and p.is_file()),
                    key=lambda p: p.as_posix(),
                )
                if not files:
                    counts["failed"] += 1
                    self.stderr.write(f"error: {given}: no .md files in this folder")
            elif path.exists():
                files = [path]
            else:
                counts["failed"] += 1
                self.stderr.write(f"error: {given}: no such file or folder")
                continue
            for file in files:
                key = file.resolve()
                if key not in seen:
                    seen.add(key)
                    found.append((str(file), file))
        return found

    def _import(self, path: Path, display: str, *, publish: bool) -> workflow.ImportResult:
        try:
            if not path.is_file():
                # A named pipe or a device would block the read, or never end.
                raise ImportFailed("not a regular file")
            # Checked before reading: a huge file is refused without loading it.
            size = path.stat().st_size
            if size > sourcefile.MAX_SOURCE_BYTES:
                raise ImportFailed(sourcefile.too_large_message(size))
            data = path.read_bytes()
        except OSError as error:
            raise ImportFailed(f"cannot read the file ({error.strerror or error})") from error
        try:
            content = sourcefile.parse(data)
        except sourcefile.SourceFormatError as error:
            raise ImportFailed(str(error)) from error
        try:
            # import_source is atomic itself; the outer block makes "nothing of a failed
            # file is written" hold whatever it does inside.
            with transaction.atomic():
                result = workflow.import_source(content=content, filename=display, publish=publish)
                first = self._imported.setdefault(result.monograph.slug, display)
                if first != display:
                    # Rolls back what this file just wrote.
                    raise ImportFailed(
                        f"the same monograph as {first} ({result.monograph.slug}); "
                        "give each monograph one file"
                    )
                return result
        except workflow.WorkflowError as error:
            raise ImportFailed(_one_line(str(error)).removeprefix(f"{display}: ")) from error
        except ValidationError as error:
            raise ImportFailed(_one_line(" ".join(error.messages))) from error
        except DatabaseError as error:
            raise ImportFailed(f"the database refused it ({_one_line(str(error))})") from error


def _one_line(text: str) -> str:
    return " ".join(text.split())
