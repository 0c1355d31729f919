// The header's menu button (Material's <label for="__drawer">) as a button a keyboard can
// reach and press: a label takes no focus, so on phones and tablets the nav drawer opened
// only by pointer. Enter or Space opens it and moves focus to its first link; Escape
// closes it and returns focus to the button.
(function () {
  "use strict";
  function setUp() {
    var drawer = document.getElementById("__drawer");
    var button = document.querySelector('.md-header label.md-header__button[for="__drawer"]');
    var nav = document.querySelector(".md-sidebar--primary");
    if (!drawer || !button || !nav) return;
    button.setAttribute("role", "button");
    button.setAttribute("tabindex", "0");
    button.setAttribute("aria-label", "导航菜单");
    var focusFirstShown = function () {
      var links = nav.querySelectorAll("a[href], label[tabindex='0']");
      for (var i = 0; i < links.length; i++) {
        var box = links[i].getBoundingClientRect();
        var top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        if (box.width && top && (top === links[i] || links[i].contains(top))) return links[i].focus();
      }
      if (links.length) links[0].focus();
    };
    var sync = function () { button.setAttribute("aria-expanded", drawer.checked ? "true" : "false"); };
    sync();
    drawer.addEventListener("change", function () {
      sync();
      // Opened from the button by keyboard: on to the drawer's first link a reader sees,
      // once it has slid in (a section's panel covers the links of the level above it).
      if (drawer.checked && document.activeElement === button) setTimeout(focusFirstShown, 300);
    });
    button.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") return;
      // Handled here alone: Material's own Enter on a label would toggle it a second time.
      event.preventDefault();
      event.stopPropagation();
      button.click();
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !drawer.checked) return;
      drawer.checked = false;
      sync();
      button.focus();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
