// medsite editorial screens: small progressive enhancements; everything works without them.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  // A copy of what is typed in the edit form, kept in this tab (sessionStorage) until a save
  // succeeds. A save that never reaches the workflow (the session ran out and the admin sent
  // the editor to log in, the server was down) would otherwise lose it: the editor is offered
  // it back when the same form, on the same revision, opens again.
  var STORE_PREFIX = "medsite-edit:";
  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function readCopy(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function forgetSavedCopies(store) {
    // The page after a successful save shows a success message: its copies are saved.
    if (!document.querySelector(".messagelist .success")) return;
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(STORE_PREFIX) === 0) {
        var copy = readCopy(store, key);
        if (copy && copy.submitted) store.removeItem(key);
      }
    }
  }
  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return;
      fields[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return fields;
  }
  function sameFields(a, b) {
    return Object.keys(a).every(function (name) { return !(name in b) || a[name] === b[name]; });
  }
  function keepTypedText(forms) {
    var store = storage();
    if (!store) return;
    forgetSavedCopies(store);
    forms.forEach(function (form) { keepFormText(store, form); });
  }
  function keepFormText(store, form) {
    var key = STORE_PREFIX + window.location.pathname + "#" + (form.id || "");
    // What the form was opened on: a copy made for another revision is not offered.
    var basedOn = form.getAttribute("data-ms-version") ||
      (form.elements.based_on ? form.elements.based_on.value : "");
    var copy = readCopy(store, key);
    if (copy && (copy.basedOn !== basedOn || sameFields(copy.fields, fieldsOf(form)))) {
      store.removeItem(key);  // saved since, or what the form shows already
      copy = null;
    }
    if (copy) offerCopy(form, store, key, copy);
    var timer = null;
    function keep(submitted) {
      try {
        store.setItem(key, JSON.stringify({
          basedOn: basedOn, fields: fieldsOf(form), time: new Date().toISOString(), submitted: submitted
        }));
      } catch (e) { /* storage full or disabled: the beforeunload warning still applies */ }
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { keep(false); }, 400);
    });
    form.addEventListener("submit", function () { window.clearTimeout(timer); keep(true); });
  }
  function offerCopy(form, store, key, copy) {
    var box = document.createElement("div");
    box.className = "ms-warning ms-restore";
    box.setAttribute("role", "alert");
    var when = new Date(copy.time);
    var text = document.createElement("p");
    text.textContent = "This browser kept text you typed here at " +
      when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
      " that was never saved (for example, your session ran out before you saved). " +
      "Restore it into the form, or discard it?";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = "Restore my unsaved text";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button";
    discard.textContent = "Discard it";
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(discard);
    form.insertBefore(box, form.firstChild);
    restore.addEventListener("click", function () {
      Object.keys(copy.fields).forEach(function (name) {
        var el = form.elements[name];
        if (!el || el.type === "hidden") return;
        if (el.type === "checkbox") el.checked = copy.fields[name]; else el.value = copy.fields[name];
        // Let markdownx refresh the live preview and the dirty-form warning notice it.
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      });
      box.remove();
    });
    discard.addEventListener("click", function () { store.removeItem(key); box.remove(); });
  }

  // markdownx turns Tab in its editor into "indent": a keyboard user could not leave the box
  // (a keyboard trap, WCAG 2.1.2) and every try typed a tab into the monograph. Tab and
  // Shift+Tab move focus as everywhere else; markdownx's Ctrl+] and Ctrl+[ still indent.
  // Capture on the document runs before markdownx's own listener on the textarea.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Tab" && !event.ctrlKey && !event.metaKey && !event.altKey &&
        target && target.classList && target.classList.contains("markdownx-editor")) {
      event.stopPropagation();
    }
  }, true);

  // markdownx answers a refused upload (not an image, too large, over the quota) by typing
  // "Invalid response" into the editor's text, which would then be saved, and never shows
  // the server's reason. Its error event fires just before it types: put the text back as
  // it was and say why the upload was refused, next to the box.
  function uploadRefused(event) {
    var box = event.target;
    var editor = box && box.querySelector ? box.querySelector("textarea.markdownx-editor") : null;
    if (!editor) return;
    var before = editor.value, start = editor.selectionStart, end = editor.selectionEnd;
    var detail = event.detail && event.detail[0];
    var reason = (detail && typeof detail === "object" && detail.error) ||
      "The image could not be uploaded; please try again.";
    window.setTimeout(function () {
      editor.value = before;
      editor.selectionStart = start;
      editor.selectionEnd = end;
      editor.style.opacity = "";
      editor.dispatchEvent(new Event("input", { bubbles: true }));
    }, 0);
    var note = box.querySelector(".ms-upload-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "ms-upload-error errornote";
      note.setAttribute("role", "alert");
      box.insertBefore(note, editor.nextSibling);
    }
    note.textContent = "Image not added: " + reason;
  }
  // The events do not bubble; a capturing listener on the document still hears them.
  document.addEventListener("markdownx.fileUploadError", uploadRefused, true);
  document.addEventListener("fileUploadError", uploadRefused, true);
  document.addEventListener("markdownx.fileUploadEnd", function (event) {
    var note = event.target && event.target.querySelector && event.target.querySelector(".ms-upload-error");
    if (note) note.remove();
  }, true);

  // A double click on "Approve and publish" (or any button here) sent two POSTs: the second
  // answered "Not published: ... already published" over the first one's success. One
  // submission per page load; the page that comes back has fresh forms.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.method || "").toLowerCase() !== "post") return;
    if (form.getAttribute("data-ms-submitting")) { event.preventDefault(); return; }
    form.setAttribute("data-ms-submitting", "1");
    // If the navigation was stopped (Esc, a dropped connection) the page stays: allow a retry.
    window.setTimeout(function () { form.removeAttribute("data-ms-submitting"); }, 8000);
  });
  // Coming back with the Back button (page restored from the back-forward cache) allows it again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-ms-submitting]").forEach(function (form) {
      form.removeAttribute("data-ms-submitting");
    });
  });

  ready(function () {
    // The live previews scroll when long: make them reachable and named for keyboard and
    // screen-reader users.
    document.querySelectorAll(".markdownx-preview").forEach(function (preview) {
      var editor = preview.parentNode.querySelector("textarea");
      var label = editor && editor.id ? document.querySelector("label[for='" + editor.id + "']") : null;
      var section = preview.closest("fieldset");
      var title = section ? section.querySelector("h2") : null;
      preview.setAttribute("tabindex", "0");
      preview.setAttribute("role", "region");
      preview.setAttribute("aria-label", "Live preview" + (title ? ": " + title.textContent : label ? ": " + label.textContent : ""));
    });
    // Dim a section whose "Remove this section" box is ticked, so the editor sees what goes.
    document.querySelectorAll(".ms-edit-section input[type=checkbox][name$='-remove']").forEach(function (box) {
      var section = box.closest(".ms-edit-section");
      box.addEventListener("change", function () { section.classList.toggle("ms-removed", box.checked); });
    });
    // Warn before leaving the edit form with unsaved typing (the form keeps it on errors,
    // but a closed tab does not).
    var form = document.getElementById("monograph-edit-form");
    if (form) {
      var dirty = false;
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("submit", function () { dirty = false; });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
    }
    // The edit form, and the small forms with something worth keeping (review comments,
    // reasons, summaries).
    keepTypedText(Array.prototype.slice.call(document.querySelectorAll("#monograph-edit-form, form[data-ms-keep]")));
    // History: picking the same revision twice to compare makes no sense; keep a < b apart.
    var history = document.getElementById("revision-history");
    if (history) {
      history.addEventListener("change", function (event) {
        if (event.target.name !== "a" && event.target.name !== "b") return;
        var a = history.querySelector("input[name=a]:checked");
        var b = history.querySelector("input[name=b]:checked");
        var submit = history.closest("form").querySelector("input[type=submit]");
        if (submit) submit.disabled = !!(a && b && a.value === b.value);
      });
    }
  });
})();
