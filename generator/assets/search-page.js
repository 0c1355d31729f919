/*
 * Runs on every page before Material's bundle: the build puts it in front of the bundle's
 * script tag (generator/mkdocs_hooks.py, on_post_page) and writes the search index
 * configuration in place of __SEARCH_INDEX__ (null with Material's own search).
 */
"use strict";
(() => {
  // Material reads the search box on keyup only (and once when its worker is ready).
  // Text that lands without a key was never searched: an IME commit or a paste, or, in
  // the offline archive, whose worker builds its index on the page's own thread, a query
  // typed meanwhile, which arrives once the worker is ready. A keyup after each input
  // makes Material read the box; it ignores a value it has already seen.
  addEventListener("input", event => {
    const box = event.target
    if (box instanceof HTMLInputElement && box.classList.contains("md-search__input"))
      box.dispatchEvent(new KeyboardEvent("keyup"))
  }, true)

  // With Pagefind, Material still requests search/search_index.json on every page load,
  // for its configuration only (the documents are Pagefind's, fetched by a query). The
  // configuration is here: the request is answered from a data: URL, not the network.
  const index = __SEARCH_INDEX__
  if (index === null)
    return
  const data = `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(index))}`
  const open = XMLHttpRequest.prototype.open
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (new URL(url, location.href).pathname.endsWith("/search/search_index.json"))
      url = data
    return open.call(this, method, url, ...rest)
  }
})()
