// The edit form for long monographs (issue 11.5): error summary, collapsible sections,
// previews and text areas that grow, the FAQ helper and Ctrl+] / Ctrl+[ by two spaces.
// Everything works without it; this only makes the long form easier to use.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Ctrl+] indents the selected lines (or the current one) by two spaces, Ctrl+[ outdents:
  // the two spaces the docs ask for nested lists (markdownx's own shortcut inserts a tab).
  // Capture on the document runs before markdownx's listener on the textarea.
  function shiftLines(area, outdent) {
    var value = area.value;
    var start = area.selectionStart, end = area.selectionEnd;
    var lineStart = value.lastIndexOf("\n", start - 1) + 1;
    var lineEnd = value.indexOf("\n", end > start && value[end - 1] === "\n" ? end - 1 : end);
    if (lineEnd === -1) lineEnd = value.length;
    var lines = value.slice(lineStart, lineEnd).split("\n");
    var firstShift = 0, total = 0;
    var changed = lines.map(function (line, index) {
      var shift;
      if (outdent) {
        shift = -Math.min(2, line.length - line.replace(/^ +/, "").length);
        line = line.slice(-shift);
      } else {
        shift = 2;
        line = "  " + line;
      }
      if (index === 0) firstShift = shift;
      total += shift;
      return line;
    });
    area.value = value.slice(0, lineStart) + changed.join("\n") + value.slice(lineEnd);
    area.selectionStart = Math.max(lineStart, start + firstShift);
    area.selectionEnd = Math.max(area.selectionStart, end + total);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (!area || area.tagName !== "TEXTAREA" || !(event.ctrlKey || event.metaKey)) return;
    if (event.key !== "]" && event.key !== "[") return;
    if (!area.closest("#monograph-edit-form")) return;
    event.preventDefault();
    event.stopPropagation();
    shiftLines(area, event.key === "[");
  }, true);

  // Text areas and previews grow with their content instead of scrolling in a fixed box.
  function grow(area) {
    area.style.height = "auto";
    area.style.height = (area.scrollHeight + 4) + "px";
  }

  // GOV.UK error summary: it takes focus when the page comes back with errors; each link
  // opens the section that holds its field and puts the focus in the field.
  function openAround(element) {
    var details = element.closest("details");
    while (details) {
      details.open = true;
      details = details.parentElement ? details.parentElement.closest("details") : null;
    }
  }
  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    openAround(field);
    var label = document.querySelector("label[for='" + id + "']");
    (label || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
    return true;
  }

  // "Add a question and answer" under the FAQs text: the item's syntax, cursor in place.
  function addFaqHelper(area) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button ms-faq-add";
    button.textContent = "Add a question and answer";
    button.setAttribute("aria-describedby", area.id + "-faq-help");
    var help = document.createElement("span");
    help.id = area.id + "-faq-help";
    help.className = "help ms-faq-help";
    help.textContent = " Adds a line “* **Q: …?** A: …” at the end; type the question, then the answer after “A:”.";
    var holder = document.createElement("p");
    holder.className = "ms-faq-tools";
    holder.appendChild(button);
    holder.appendChild(help);
    var row = area.closest(".form-row") || area.parentNode;
    row.appendChild(holder);
    button.addEventListener("click", function () {
      var text = area.value.replace(/\s+$/, "");
      var prefix = text ? text + "\n" : "";
      var item = "* **Q: ?** A: ";
      area.value = prefix + item;
      var cursor = prefix.length + "* **Q: ".length;
      area.focus();
      area.setSelectionRange(cursor, cursor);
      area.dispatchEvent(new Event("input", { bubbles: true }));
      grow(area);
    });
  }

  ready(function () {
    var form = document.getElementById("monograph-edit-form");
    if (!form) return;
    form.querySelectorAll("textarea").forEach(function (area) {
      grow(area);
      area.addEventListener("input", function () { grow(area); });
    });
    form.querySelectorAll(".ms-edit-section[data-section-key='faqs'] textarea.markdownx-editor").forEach(addFaqHelper);

    var summary = document.getElementById("ms-error-summary");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) return;
        if (focusField(link.getAttribute("href").slice(1))) event.preventDefault();
      });
    }
    // The jump list opens the section it leads to.
    document.querySelectorAll(".ms-jump-list a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function () {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target) openAround(target);
        if (target && target.tagName === "DETAILS") target.open = true;
      });
    });
    // Collapse or expand every section at once.
    var toggle = document.getElementById("ms-toggle-sections");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var sections = form.querySelectorAll("details.ms-edit-details");
        var anyOpen = Array.prototype.some.call(sections, function (d) { return d.open; });
        sections.forEach(function (d) { d.open = !anyOpen; });
        toggle.textContent = anyOpen ? "Expand all sections" : "Collapse all sections";
        toggle.setAttribute("aria-expanded", anyOpen ? "false" : "true");
      });
    }
    // A text area that was hidden in a closed section has no height until it is shown.
    form.querySelectorAll("details.ms-edit-details").forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (details.open) details.querySelectorAll("textarea").forEach(grow);
      });
    });
  });
})();
