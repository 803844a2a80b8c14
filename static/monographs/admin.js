// medsite editorial screens: small progressive enhancements; everything works without them.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
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
