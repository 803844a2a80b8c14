"""Every page type under the real Content-Security-Policy in Chromium: no violation.

Each page is loaded with the site's own CSP header (asserted), with a `securitypolicyviolation`
listener installed before any page script runs, and with console errors and uncaught page
errors collected. Any violation, CSP console message or script error fails the test, listing
every page that had one. The edit form is typed into so the markdownx preview runs (its XHR
and the HTML it inserts are checked too).

Pages (keep this list in step when a page type is added; tell the lead):
  public:  home, A to Z, a letter page, monograph (with an
           uploaded image and its JSON-LD), history, what changed, search, 404,
           410 (withdrawn), preview of a draft (staff), sign-in lockout (429)
  admin:   login, dashboard (editor's and moderator's), monograph list, add form, edit form
           (typed into: live preview), review queue, review screen, history, compare,
           revert, withdraw, review-due date, site disclaimer, audit log, two-factor
           enrolment, password change, and the sources screens (drug label upload, label
           changes, scheduled publications), 403 (editor at the review queue)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse

from monographs import sourcefile, workflow
from monographs.models import Monograph
from tests.workflow_helpers import SEED_PATH, edited, image_bytes, publish_new, sample_content

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_URL = f"/media/uploads/2026/01/{'a' * 32}.png"

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
    (e.sourceFile || "") + ":" + e.lineNumber + " sample=" + (e.sample || "")
  );
});
"""
# Chromium reports the status of the page itself as a console error; that is expected here.
EXPECTED_STATUS_MESSAGE = re.compile(
    r"Failed to load resource: the server responded with a status of (403|404|410|429)"
)


class CspWatch:
    """Collects violations and errors page by page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.visited: list[str] = []
        page.context.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _on_console(self, message: Any) -> None:
        text = message.text
        about_policy = any(
            word in text
            for word in ("Content Security Policy", "Content-Security-Policy", "Permissions")
        )
        if message.type == "error" and not EXPECTED_STATUS_MESSAGE.search(text):
            self.console.append(f"console error: {text}")
        elif about_policy:
            self.console.append(f"console {message.type}: {text}")

    def visit(self, name: str, url: str, status: int = 200) -> None:
        self.console.clear()
        response = self.page.goto(url)
        assert response is not None, name
        assert response.status == status, f"{name}: {url} answered {response.status}"
        self.check_header(name, response)
        self.page.wait_for_load_state("load")
        self.collect(name)

    def check_header(self, name: str, response: Any) -> None:
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp, f"{name}: no CSP header ({csp!r})"
        assert "unsafe-inline" not in csp

    def collect(self, name: str) -> None:
        self.page.wait_for_timeout(150)  # late reports (images, XHR) arrive after load
        violations = self.page.evaluate("window.__cspViolations || []")
        found = [f"violation: {v}" for v in violations] + list(self.console)
        self.visited.append(name)
        if found:
            self.problems.setdefault(name, []).extend(found)
        self.console.clear()

    def assert_clean(self) -> None:
        report = "\n".join(
            f"{name}:\n  " + "\n  ".join(items) for name, items in self.problems.items()
        )
        assert not self.problems, (
            f"CSP violations or errors on {len(self.problems)} pages:\n{report}"
        )


def log_in(watch: CspWatch, base: str, username: str) -> None:
    page = watch.page
    page.context.clear_cookies()
    watch.visit("admin login", f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "/admin/login/" not in page.url
    watch.collect("admin index (after login)")


def url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@pytest.fixture
def site(editor, moderator, settings, tmp_path) -> dict[str, Any]:
    """A seed monograph with an uploaded image, a second one with a pending edit, a withdrawn
    one, and a draft."""
    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    image_path = tmp_path / "media" / "uploads" / "2026" / "01" / ("a" * 32 + ".png")
    image_path.parent.mkdir(parents=True)
    image_path.write_bytes(image_bytes("PNG"))
    content = sourcefile.parse(SEED_PATH.read_bytes())
    seed = workflow.import_source(content=content, filename="naltrexone.md").monograph
    seed = Monograph.objects.get(pk=seed.pk)
    with_image = publish_new(
        sample_content(
            "Testamol",
            usage=f"Testamol eases pain.\n\n![A chart](/media/uploads/2026/01/{'a' * 32}.png)",
        ),
        editor=editor,
        moderator=moderator,
    )
    pending = workflow.save_draft(
        monograph=with_image,
        content=edited(with_image.live_revision.data, dosage="Take **two** tablets."),
        by=editor,
        summary="Dose changed",
        based_on=with_image.live_revision,
    )
    pending_revision = getattr(pending, "revision", pending)
    workflow.submit(revision=pending_revision, by=editor)
    gone = publish_new(sample_content("Goneamol"), editor=editor, moderator=moderator)
    workflow.withdraw(monograph=gone, by=moderator, reason="Taken off the market")
    draft = workflow.create_monograph(
        content=sample_content("Draftamol"), by=editor, summary="First draft"
    )
    return {
        "seed": seed,
        "with_image": Monograph.objects.get(pk=with_image.pk),
        "pending": pending_revision,
        "gone": gone,
        "draft": draft,
    }


def test_public_pages_have_no_csp_violation(live_server, page, site, editor):
    base = live_server.url
    watch = CspWatch(page)
    seed, with_image = site["seed"], site["with_image"]
    watch.visit("home", base + reverse("monographs:home"))
    watch.visit("A to Z", base + reverse("monographs:a_to_z"))
    letter = url_or_none("monographs:letter", seed.slug[0])
    if letter:
        watch.visit("letter page", base + letter)
        assert page.locator(f"main a[href='{seed.get_absolute_url()}']").count() >= 1
    watch.visit("monograph (seed, JSON-LD)", base + seed.get_absolute_url())
    assert page.locator("script[type='application/ld+json']").count() >= 1
    watch.visit("monograph (uploaded image)", base + with_image.get_absolute_url())
    assert page.locator("main img[src^='/media/']").count() == 1
    assert page.evaluate("document.querySelector('main img').naturalWidth") == 40
    watch.visit("history", base + reverse("monographs:history", args=[seed.slug]))
    changes = url_or_none("monographs:changes", with_image.slug, with_image.live_revision.number)
    if changes:
        watch.visit("what changed", base + changes)
    watch.visit("search", base + reverse("monographs:search") + "?q=naltrexone+liver")
    watch.visit("search, nothing found", base + reverse("monographs:search") + "?q=zzzzqqq")
    watch.visit("404", base + "/medicines/no-such-medicine/", status=404)
    watch.visit("410 (withdrawn)", base + site["gone"].get_absolute_url(), status=410)
    # The draft preview is for staff.
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "editor1")
    page.fill("#id_password", "pw-editor1")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    draft = site["draft"]
    watch.visit(
        "preview (draft)",
        base + reverse("monographs:preview", args=[draft.monograph.slug, draft.number]),
    )
    watch.assert_clean()
    assert len(watch.visited) >= 12


def test_sign_in_lockout_page_has_no_csp_violation(live_server, page, editor):
    watch = CspWatch(page)
    for attempt in range(5):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "editor1")
        page.fill("#id_password", f"wrong-{attempt}")
        page.click("input[type=submit]")
        page.wait_for_load_state("load")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor1")
    page.fill("#id_password", "pw-editor1")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.click("input[type=submit]")
    assert info.value.status == 429
    page.wait_for_selector("h1")
    assert "Signing in is paused" in page.inner_text("h1")
    watch.check_header("lockout", info.value)
    watch.collect("sign-in lockout (429)")
    watch.assert_clean()


def test_admin_pages_have_no_csp_violation(live_server, page, site, moderator, editor):
    base = live_server.url
    watch = CspWatch(page)
    with_image, pending = site["with_image"], site["pending"]
    pk = with_image.pk

    # --- the editor: edit form with the markdownx widget, typed into so the preview runs
    log_in(watch, base, "editor1")
    watch.visit("admin index", f"{base}/admin/")
    watch.visit("monograph list", f"{base}/admin/monographs/monograph/")
    watch.visit("add form", f"{base}/admin/monographs/monograph/add/")
    watch.visit("edit form", f"{base}/admin/monographs/monograph/{pk}/change/")
    usage = page.locator('fieldset[data-section-key="usage"]')
    usage.locator("textarea.markdownx-editor").fill(
        "Testamol eases *pain*.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        f"![A chart]({IMAGE_URL})\n\n**Preview ran**"
    )
    usage.locator(".markdownx-preview strong", has_text="Preview ran").wait_for(timeout=15_000)
    assert usage.locator(".markdownx-preview img").count() == 1
    watch.collect("edit form (after typing: live preview)")
    watch.visit("two-factor enrolment", base + reverse("two_factor"))
    assert page.locator(".ms-qr svg").count() == 1
    watch.visit("password change", f"{base}/admin/password_change/")
    watch.visit(
        "403 (editor at the review queue)", base + reverse("admin:monographs_review_queue"), 403
    )

    # --- the moderator
    log_in(watch, base, "moderator1")
    watch.visit("dashboard (moderator)", f"{base}/admin/")
    watch.visit("review queue", base + reverse("admin:monographs_review_queue"))
    watch.visit(
        "review screen", base + reverse("admin:monographs_revision_review", args=[pending.pk])
    )
    watch.visit("history", base + reverse("admin:monographs_monograph_history", args=[pk]))
    watch.visit(
        "compare",
        base + reverse("admin:monographs_compare", args=[pk]) + f"?a=1&b={pending.number}",
    )
    watch.visit("revert", base + reverse("admin:monographs_revert", args=[pk, 1]))
    watch.visit("withdraw", base + reverse("admin:monographs_withdraw", args=[pk]))
    watch.visit("review-due date", base + reverse("admin:monographs_review_due", args=[pk]))
    watch.visit("site disclaimer", base + reverse("admin:monographs_site_disclaimer"))
    watch.visit("audit log", base + reverse("admin:monographs_auditentry_changelist"))
    for name, label in [
        ("admin:monographs_from_label", "drug label upload"),
        ("admin:monographs_label_changes", "label changes"),
        ("admin:monographs_scheduled", "scheduled publications"),
    ]:
        url = url_or_none(name)
        if url:
            watch.visit(label, base + url)
    watch.assert_clean()
    assert len(watch.visited) >= 22


def test_the_watch_reports_inline_script_style_and_foreign_images(live_server, page):
    """The checks above can fail: a page with the site's CSP and inline code is reported."""
    from django.test import Client

    csp = Client().get("/")["Content-Security-Policy"]
    body = (
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        "<p style='color:red'>styled</p><script>document.title = 'ran';</script>"
        "<img src='https://tracker.example/pixel.png' alt=''></body></html>"
    )
    page.route(
        f"{live_server.url}/csp-self-test/",
        lambda route: route.fulfill(
            status=200,
            body=body,
            headers={"Content-Type": "text/html", "Content-Security-Policy": csp},
        ),
    )
    watch = CspWatch(page)
    watch.visit("self test", f"{live_server.url}/csp-self-test/")
    assert page.title() == "x"  # the inline script did not run
    reported = " ".join(watch.problems["self test"])
    assert "script-src" in reported
    assert "style-src" in reported
    assert "img-src blocked https://tracker.example/pixel.png" in reported
