// The page's address on paper: CSS cannot print the address a page was opened at, so
// this fills the print-only `.print-url` of a reply page (or adds a line to any other
// page) with the canonical URL when the site's address is known (SITE_URL), else the
// address in the browser, without its query (?h= highlighting) or #anchor. The address
// is shared as `replySite.address` (cite.js cites the page by it).
(function () {
  "use strict";
  function address() {
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && canonical.href) return canonical.href;
    return location.href.split("#")[0].split("?")[0];
  }
  window.replySite = window.replySite || {};
  window.replySite.address = address;
  function fill() {
    var spans = document.querySelectorAll(".print-url");
    if (!spans.length) {
      var article = document.querySelector("article.md-content__inner");
      if (!article) return;
      var line = document.createElement("p");
      line.className = "print-only print-permalink";
      line.appendChild(document.createTextNode("本页地址："));
      var span = document.createElement("span");
      span.className = "print-url";
      line.appendChild(span);
      article.appendChild(line);
      spans = [span];
    }
    var url = address();
    Array.prototype.forEach.call(spans, function (span) { span.textContent = url; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
  window.addEventListener("beforeprint", fill);
})();
