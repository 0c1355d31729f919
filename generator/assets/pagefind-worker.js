/*
 * Material for MkDocs' search worker, answered by Pagefind.
 *
 * A hosted site publishes this file in place of Material's own search worker
 * (assets/javascripts/workers/search.*.min.js), so the search box, the result list and
 * the highlighting stay Material's; only the index changes. Material's worker loads the
 * whole index (tens of MB for 10,000 replies); Pagefind loads the chunks a query needs.
 *
 * Nothing of Pagefind is fetched before the first query that is not empty: a page view
 * that does not search downloads no index. Each result shows the reply's agency and date
 * (Pagefind metadata written by the build) above its excerpt.
 *
 * Material's messages: {type: 0 SETUP, data: {config, docs, options}} → {type: 1 READY};
 * {type: 2 QUERY, data: query} → {type: 3 RESULT, data: {items: [[document, ...], ...]}},
 * where a document is {location (relative to the site root), title, text (HTML with
 * <mark data-md-highlight>), score, terms: {term: found}}.
 */
"use strict"

const SITE = new URL("../../../", self.location.href)  // this file is assets/javascripts/workers/*.js
const RESULTS = 10  // results whose excerpts are fetched; Material shows ten at a time

let pagefind = null

function load() {
  if (!pagefind)
    pagefind = Promise.all([import(new URL("pagefind/pagefind.js", SITE).href), indexLanguage()])
      .then(async ([module, language]) => {
        await module.options({ basePath: new URL("pagefind/", SITE).pathname, excerptLength: 40 })
        await module.init()
        return { module, language }
      })
  return pagefind
}

// The language of the site's index, when it has one (Pagefind names it in its entry file).
async function indexLanguage() {
  try {
    const entry = await (await fetch(new URL("pagefind/pagefind-entry.json", SITE))).json()
    const languages = Object.keys(entry.languages || {})
    return languages.length === 1 ? languages[0] : null
  } catch (err) {
    return null
  }
}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&#x27;": "'" }

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, ch => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[ch])
}

// Pagefind's excerpt marks matches with <mark>; everything else is made plain text
// again and escaped, whether or not Pagefind escaped it, then marked Material's way.
function highlight(excerpt) {
  return excerpt
    .replace(/<mark>/g, "\u0001").replace(/<\/mark>/g, "\u0002")
    .replace(/<[^>]*>/g, "")
    .replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, entity => ENTITIES[entity])
    .split(/([\u0001\u0002])/)
    .map(part => part === "\u0001" ? "<mark data-md-highlight>" : part === "\u0002" ? "</mark>" : escapeHtml(part))
    .join("")
}

// `承办单位 · 2024年5月20日`, 承办单位 being the lead agency's name, as a paragraph before
// the excerpt: the metadata the build gave a reply page (none on other pages).
function resultLine(meta) {
  const line = [meta && meta.agency, meta && meta.date].filter(Boolean).join(" · ")
  return line ? `<p>${escapeHtml(line)}</p>` : ""
}

// Pagefind's URLs are absolute paths; Material resolves locations against the site root.
function siteRelative(url) {
  const path = new URL(url, SITE).pathname
  return path.startsWith(SITE.pathname) ? path.slice(SITE.pathname.length) : path.replace(/^\//, "")
}

async function search(query) {
  if (!query)
    return { items: [] }
  const { module, language } = await load()
  // The results of each form of the query, in that order, without repeats. In a worker
  // Pagefind does not cut a query itself (it has no page to take a language from).
  if (!self.replyQueryVariants)  // by the first query, as Pagefind is: a page view loads nothing
    importScripts(new URL("assets/javascripts/query-variants.js", SITE).href)
  const variants = self.replyQueryVariants(query, language)
  const first = await module.debouncedSearch(variants[0], {}, 0)
  if (first === null)  // superseded by a newer query
    return null
  const results = [...first.results]
  const seen = new Set(results.map(result => result.id))
  for (const variant of variants.slice(1)) {
    if (results.length >= RESULTS)
      break
    for (const result of (await module.search(variant)).results)
      if (!seen.has(result.id)) {
        seen.add(result.id)
        results.push(result)
      }
  }
  const found = { results }
  const pages = await Promise.all(found.results.slice(0, RESULTS).map(result => result.data()))
  const terms = Object.fromEntries(query.split(/\s+/).filter(Boolean).map(term => [term, true]))
  return {
    items: pages.map((page, n) => [{
      location: siteRelative(page.url),
      title: escapeHtml((page.meta && page.meta.title) || page.url),
      text: resultLine(page.meta) + `<p>${highlight(page.excerpt || "")}</p>`,
      score: found.results[n].score,
      terms
    }]),
    total: found.results.length
  }
}

addEventListener("message", async event => {
  const message = event.data
  if (message.type === 0) {
    // Ready at once: Pagefind is loaded by the first query (Material sends an empty one
    // on READY), so that a page view without a search costs no download.
    postMessage({ type: 1 })
  } else if (message.type === 2) {
    try {
      const data = await search(String(message.data || "").trim())
      if (data !== null)
        postMessage({ type: 3, data })
    } catch (err) {
      console.warn(`Search failed: ${err}`)
      postMessage({ type: 3, data: { items: [] } })
    }
  }
})
