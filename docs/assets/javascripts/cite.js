// A reply page's 引用本文 block (templates/reply.md.j2, generator/cite.py). The page leaves
// two slots open in each form of the citation: the page's address, which the build fills
// only when the site's address is known (SITE_URL), and the access date, which only the
// reader's browser knows. This fills them — the address as print.js finds it, the date
// as the reader's local today — and shows the copy buttons, which copy with the Clipboard
// API and, where it is missing or refused (pages opened from disk), by selecting the text
// in a <textarea> and document.execCommand("copy"). A slot gets exactly what
// generator/cite.py's slot_text writes; the live region says "已复制".
(function () {
  "use strict";
  var NAMES = { text: "引文", bibtex: "BibTeX", csl: "CSL-JSON" };
  var FILL = {
    text: {
      url: function (url) { return " " + url + "."; },
      accessed: function (day) { return "[" + day + "]"; }
    },
    bibtex: {
      // A brace or backslash would end the value: percent-encoded, as in any URL.
      url: function (url) { return ",\n  url = {" + url.replace(/[{}\\]/g, encodeURIComponent) + "}"; },
      accessed: function (day) { return ",\n  urldate = {" + day + "}"; }
    },
    csl: {
      url: function (url) { return ',\n    "URL": ' + JSON.stringify(url); },
      accessed: function (day) {
        return ',\n    "accessed": {"date-parts": [[' + day.split("-").map(Number).join(", ") + "]]}";
      }
    }
  };

  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  function address() {
    if (window.replySite && window.replySite.address) return window.replySite.address();
    return location.href.split("#")[0].split("?")[0];
  }

  function fill(block) {
    var values = { url: address(), accessed: today() };
    Array.prototype.forEach.call(block.querySelectorAll(".cite-slot"), function (slot) {
      if (slot.textContent) return; // filled by the build
      var field = slot.getAttribute("data-field");
      var make = (FILL[slot.getAttribute("data-form")] || {})[field];
      if (make) slot.textContent = (slot.getAttribute("data-lead") || "") + make(values[field]);
    });
  }

  // Without the Clipboard API, or when it refuses: the text selected in a hidden
  // <textarea> and copied as a selection is.
  function copyBySelection(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    button.focus();
    return copied;
  }

  function copy(text, button) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyBySelection(text, button); });
    }
    return Promise.resolve(copyBySelection(text, button));
  }

  function say(status, message) {
    // Emptied first: the same message twice is announced twice.
    status.textContent = "";
    setTimeout(function () { status.textContent = message; }, 50);
  }

  function setUp() {
    Array.prototype.forEach.call(document.querySelectorAll(".reply-cite"), function (block) {
      fill(block);
      var actions = block.querySelector(".cite-actions");
      var status = block.querySelector(".cite-status");
      if (!actions || !status) return;
      actions.hidden = false;
      actions.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-copy]");
        if (!button) return;
        var name = button.getAttribute("data-copy");
        var form = block.querySelector('[data-cite-form="' + name + '"]');
        if (!form) return;
        copy(form.textContent, button).then(function (copied) {
          say(status, copied ? "已复制：" + NAMES[name] : "未能复制，请选中文字后手动复制");
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
