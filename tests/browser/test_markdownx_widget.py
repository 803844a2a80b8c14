"""django-markdownx's own JavaScript against our locked-down preview and upload views."""

from __future__ import annotations

import base64
import re

import pytest

from tests.workflow_helpers import CLIENT_NAME, IMAGE_CODE_RE, image_bytes, stored_files

DROP_FILE_JS = """
async ([selector, base64, name]) => {
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const file = new File([bytes], name, {type: "image/png"});
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const editor = document.querySelector(selector);
    editor.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
}
"""


def open_new_monograph_form(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"pw-{user.username}")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/monographs/monograph/add/")


@pytest.mark.django_db(transaction=True)
def test_widget_preview_and_drag_and_drop_upload_work_in_chromium(
    live_server, page, editor, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    open_new_monograph_form(page, live_server, editor)
    box = page.locator("textarea.markdownx-editor").first
    box.fill("* a\n  * nested <script>window.pwned = 1</script>\n\n**Oral:** 50 mg")
    preview = page.locator(".markdownx-preview").first
    preview.locator("ul ul li").wait_for()
    assert preview.locator("strong", has_text="Oral:").count() == 1
    assert preview.locator("script").count() == 0

    box_id = box.get_attribute("id")
    png = base64.b64encode(image_bytes("PNG")).decode()
    page.evaluate(DROP_FILE_JS, [f"#{box_id}", png, "patient-john-doe-secret.png"])
    page.wait_for_function(
        "id => document.getElementById(id).value.includes('/media/uploads/')", arg=box_id
    )
    value = box.input_value()
    code = re.search(r"!\[\]\([^)]+\)", value).group(0)
    assert IMAGE_CODE_RE.match(code), value
    assert CLIENT_NAME not in value
    preview.locator("img").wait_for()
    assert preview.locator("img").get_attribute("src") == IMAGE_CODE_RE.match(code).group(1)
    assert len(stored_files(tmp_path)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_upload_says_why_and_leaves_the_text_alone(
    live_server, page, editor, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    open_new_monograph_form(page, live_server, editor)
    box = page.locator("textarea.markdownx-editor").first
    box.fill("Take 50 mg once a day.")
    not_an_image = base64.b64encode(b"<html>not an image</html>").decode()
    page.evaluate(DROP_FILE_JS, [f"#{box.get_attribute('id')}", not_an_image, "evil.png"])
    note = page.locator(".ms-upload-error").first
    note.wait_for()
    assert "Image not added:" in note.inner_text()
    assert "JPEG, PNG" in note.inner_text()  # the server's own reason
    page.wait_for_timeout(200)
    assert box.input_value() == "Take 50 mg once a day."  # no "Invalid response" typed in
    assert not stored_files(tmp_path)
