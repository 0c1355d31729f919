/*
 * The 检索 page (find/index.md): the replies of the whole archive filtered by any
 * combination of agency, theme, session, year, kind, proposer type and outcome, with or
 * without a query, sorted by date or by relevance, with the number of replies for each
 * value of each facet.
 *
 * The facets and their values come from find/facets.js (window.REPLY_FACETS, written by
 * the generator: generator/facets.py). The replies are found by one of three engines:
 * - without a query, on a hosted site: find/postings.js (window.REPLY_POSTINGS), each
 *   facet value's replies, intersected and counted here; the replies shown are read from
 *   their own records (data/replies/<id>.json). (Pagefind asked for a filter without a
 *   query downloads its whole index.)
 * - with a query, on a hosted site: Pagefind. Every reply page carries its facet values
 *   as Pagefind filters and its date as a sort; a query downloads the index chunks of its
 *   words, the filter files and the excerpts of the results shown.
 * - the rows of find/replies.js (window.REPLY_ROWS), filtered here, where neither can be
 *   fetched: a page opened from disk (the offline archive), or a build without Pagefind
 *   for a query. A query there matches the words of a reply's title, proposer, agencies
 *   and number.
 *
 * The state is in the address (?agency=…&year=…&query=…; not `q`, which opens Material's
 * search box), so a filtered view can be shared
 * and the browser's history keeps it.
 */
"use strict";
(() => {
  const form = document.getElementById("find-form")
  const FACETS = window.REPLY_FACETS
  if (!form || !FACETS)
    return
  const status = document.getElementById("find-status")
  const list = document.getElementById("find-results")
  const more = document.getElementById("find-more")
  const SHOWN = 20  // results added at a time
  const ROOT = new URL("../", location.href)  // this page is find/ (find/index.html offline)
  // Reply pages are `replies/<id>/`, or `replies/<id>.html` where MkDocs writes no
  // directory URLs (the offline archive): as the page's own link to the list is written.
  const listLink = document.getElementById("find-replies-link")
  const directoryUrls = !(listLink && /\.html$/.test(listLink.getAttribute("href") || ""))
  const language = document.documentElement.lang || ""
  const facets = FACETS.facets
  const facetOf = Object.fromEntries(facets.map(facet => [facet.key, facet]))
  const names = Object.fromEntries(facets.map(facet => [facet.key, Object.fromEntries(facet.values.map(v => [v[0], v[1]]))]))
  const selects = Object.fromEntries(facets.filter(f => form.elements[f.key] instanceof HTMLSelectElement).map(f => [f.key, form.elements[f.key]]))
  const leadOnly = form.elements.lead
  const PARAMS = ["query", ...Object.keys(selects), "lead", "sort"]

  // --- the state: the form ⇄ the address -------------------------------------------------

  function fillOptions() {
    for (const [key, select] of Object.entries(selects))
      for (const [value, name, count] of facetOf[key].values)
        select.add(new Option(`${name}（${count}）`, value))
  }

  function readAddress() {
    const params = new URLSearchParams(location.search)
    form.elements.query.value = params.get("query") || ""
    for (const [key, select] of Object.entries(selects)) {
      const value = params.get(key) || ""
      if (value && ![...select.options].some(option => option.value === value))
        select.add(new Option(`${names[key][value] || value}（0）`, value))  // a value no reply has (any longer)
      select.value = value
    }
    leadOnly.checked = params.get("lead") === "1"
    form.elements.sort.value = ["date", "date-asc"].includes(params.get("sort")) ? params.get("sort") : ""
  }

  function state() {
    const filters = {}
    for (const [key, select] of Object.entries(selects))
      if (select.value)
        filters[key === "agency" && leadOnly.checked ? "lead" : key] = select.value
    return { query: form.elements.query.value.trim(), filters, sort: form.elements.sort.value }
  }

  function writeAddress() {
    const params = new URLSearchParams()
    for (const name of PARAMS) {
      const field = form.elements[name]
      const value = field.type === "checkbox" ? (field.checked ? "1" : "") : field.value.trim()
      if (value)
        params.set(name, value)
    }
    const search = params.toString()
    history.replaceState(null, "", search ? `?${search}` : location.pathname)
  }

  // --- engines: (state) → {total, items(from, to) → [{url, title, line, ref, excerpt}], counts} ---

  // The facet whose counts a select shows: for the agency box, lead-only or not.
  const countedKey = key => key === "agency" && leadOnly.checked ? "lead" : key

  async function pagefindEngine() {
    const module = await import(new URL("pagefind/pagefind.js", ROOT).href)
    // The query is cut by replyQueryVariants; Pagefind must not cut it again. Pagefind 1.5
    // cuts a query into words when the page's <html lang> is one written without spaces,
    // and takes that language when the instance is made (a `language` option is
    // overridden). So the page has no lang for that one synchronous call, and nothing
    // is drawn or announced meanwhile. Cut again, "丁东" in quotes became 丁/东, which
    // the index (holding 丁东) does not have, and a member's name found other people's
    // replies by its looser forms.
    const html = document.documentElement
    const lang = html.getAttribute("lang")
    html.removeAttribute("lang")
    let pagefind
    try {
      pagefind = module.createInstance({ basePath: new URL("pagefind/", ROOT).pathname, excerptLength: 40 })
    } finally {
      if (lang !== null)
        html.setAttribute("lang", lang)
    }
    // Pagefind counts a search's results only by the filters it has loaded, and a search
    // loads only those it filters by: all of them now, for every box's counts.
    await pagefind.filters()
    const sortOf = sort => sort === "date-asc" ? { date: "asc" } : sort === "date" ? { date: "desc" } : null

    async function find(term, filters, sort) {
      const options = { filters: { page: "reply", ...filters } }
      if (sortOf(sort))
        options.sort = sortOf(sort)
      return pagefind.search(term, options)
    }

    return async ({ query, filters, sort }) => {
      // The first form of the query that finds something (see query-variants.js). Never
      // a search without a term: Pagefind would download its whole index for it.
      let term = null, found = null
      for (term of self.replyQueryVariants(query, language)) {
        found = await find(term, filters, sort)
        if (found.results.length)
          break
      }
      const counts = {}
      for (const facet of facets) {
        const key = countedKey(facet.key)
        if (!(key in filters)) {
          counts[facet.key] = (found.filters || {})[key] || {}
          continue
        }
        // A chosen facet counts what each of its values would give instead.
        const others = { ...filters }
        delete others[key]
        counts[facet.key] = ((await find(term, others, sort)).filters || {})[key] || {}
      }
      const results = found.results
      return {
        total: results.length, counts,
        items: async (from, to) => Promise.all(results.slice(from, to).map(async result => {
          const page = await result.data()
          const meta = page.meta || {}
          // Pagefind's URLs are absolute paths (the site's folder included, from basePath).
          const path = page.url.startsWith(ROOT.pathname) ? page.url.slice(ROOT.pathname.length) : page.url.replace(/^\//, "")
          return { url: new URL(path, ROOT).href, title: meta.title || page.url,
                   line: [meta.agency, meta.date].filter(Boolean).join(" · "), excerpt: query ? page.excerpt : "" }
        }))
      }
    }
  }

  // What names a reply in lists (generator/model.py, reply_label): its own title when it
  // holds the proposal's title, else the proposal's title.
  const NOT_WORDS = /[\s《》“”"'「」『』〈〉（）()，,。、：:；;！!？?—-]+/g
  function replyLabel(record) {
    const title = record.title, subject = record.proposal_title
    if (subject && (!title || !title.replace(NOT_WORDS, "").includes(subject.replace(NOT_WORDS, ""))))
      return subject
    return title || subject || `答复 ${record.id}`
  }
  const cnDate = iso => iso ? `${+iso.slice(0, 4)}年${+iso.slice(5, 7)}月${+iso.slice(8, 10)}日` : ""
  const replyUrl = id => new URL(`replies/${encodeURIComponent(id)}${directoryUrls ? "/" : ".html"}`, ROOT).href

  async function postingsEngine() {
    if (!window.REPLY_POSTINGS)
      await loadScript(new URL("find/postings.js", ROOT).href)
    const ids = window.REPLY_POSTINGS.ids.split("\n")
    // postings[key][value]: the positions (in `ids`) of the value's replies, ascending.
    const postings = {}
    facets.forEach((facet, n) => {
      postings[facet.key] = {}
      facet.values.forEach(([value], m) => {
        let at = 0
        const packed = window.REPLY_POSTINGS.postings[n][m]
        postings[facet.key][value] = packed ? packed.split(",").map(step => (at += parseInt(step, 36))) : []
      })
    })
    // The replies that every filter but `skip` keeps, as a mark per position.
    function kept(filters, skip) {
      const marks = new Uint8Array(ids.length).fill(1)
      for (const [key, value] of Object.entries(filters)) {
        if (key === skip)
          continue
        const hit = new Uint8Array(ids.length)
        for (const position of postings[key][value] || [])
          hit[position] = 1
        for (let n = 0; n < marks.length; n++)
          marks[n] &= hit[n]
      }
      return marks
    }

    return async ({ filters, sort }) => {
      const marks = kept(filters, null)
      const results = []
      marks.forEach((mark, position) => mark && results.push(position))  // newest first
      if (sort === "date-asc")
        results.reverse()
      const counts = {}
      for (const facet of facets) {
        const key = countedKey(facet.key)
        const base = key in filters ? kept(filters, key) : marks
        counts[facet.key] = {}
        for (const [value, positions] of Object.entries(postings[key]))
          counts[facet.key][value] = positions.reduce((sum, position) => sum + base[position], 0)
      }
      return {
        total: results.length, counts,
        items: async (from, to) => Promise.all(results.slice(from, to).map(async position => {
          const id = ids[position]
          const response = await fetch(new URL(`data/replies/${encodeURIComponent(id)}.json`, ROOT))
          const record = response.ok ? await response.json() : { id }
          const ref = record.proposal_number ? `${record.proposal_kind || ""}第${record.proposal_number}号` : ""
          return { url: replyUrl(id), title: replyLabel(record), ref,
                   line: [record.agency, cnDate(record.date)].filter(Boolean).join(" · "), excerpt: "" }
        }))
      }
    }
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script")
      script.src = src
      script.onload = resolve
      script.onerror = () => reject(new Error(`${src} did not load`))
      document.head.append(script)
    })
  }

  async function rowsEngine() {
    if (!window.REPLY_ROWS)
      await loadScript(new URL("find/replies.js", ROOT).href)
    const rows = window.REPLY_ROWS
    const column = Object.fromEntries(facets.map((facet, n) => [facet.key, n]))
    const position = Object.fromEntries(facets.map(f => [f.key, Object.fromEntries(f.values.map((v, n) => [v[0], n]))]))

    return async ({ query, filters, sort }) => {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean)
      const wanted = Object.entries(filters).map(([key, value]) => [column[key], position[key][value]])
      const matches = (row, skip) => wanted.every(([col, pos]) => col === skip || row[6][col].includes(pos))
      const said = row => words.every(word => row[7].toLowerCase().includes(word))
      const searched = rows.filter(said)
      const results = searched.filter(row => matches(row, -1))  // newest first, as written
      if (sort === "date-asc")
        results.reverse()
      const counts = {}
      for (const facet of facets) {
        const key = countedKey(facet.key)
        const col = column[key]
        const tally = {}
        for (const row of searched)
          if (matches(row, key in filters ? col : -1))
            for (const pos of row[6][col])
              tally[facetOf[key].values[pos][0]] = (tally[facetOf[key].values[pos][0]] || 0) + 1
        counts[facet.key] = tally
      }
      return {
        total: results.length, counts,
        items: async (from, to) => results.slice(from, to).map(row => ({
          url: replyUrl(row[0]), title: row[1], ref: row[2], line: [row[4], cnDate(row[3])].filter(Boolean).join(" · "),
          excerpt: ""
        }))
      }
    }
  }

  // --- showing ------------------------------------------------------------------------

  function showCounts(counts) {
    for (const [key, select] of Object.entries(selects)) {
      const tally = counts[key] || {}
      for (const option of select.options)
        if (option.value)
          option.text = `${names[countedKey(key)][option.value] || option.value}（${tally[option.value] || 0}）`
    }
  }

  // Pagefind marks matches with <mark>; everything else is made text.
  function excerptNode(excerpt) {
    const p = document.createElement("p")
    p.className = "find-excerpt"
    const decode = document.createElement("textarea")  // its content is text: entities decoded, no elements
    let marked = false
    for (const part of excerpt.split(/(<mark>|<\/mark>)/)) {
      if (part === "<mark>" || part === "</mark>") {
        marked = part === "<mark>"
        continue
      }
      decode.innerHTML = part.replace(/<[^>]*>/g, "")
      if (marked) {
        const mark = document.createElement("mark")
        mark.textContent = decode.value
        p.append(mark)
      } else
        p.append(decode.value)
    }
    return p
  }

  function itemNode(item) {
    const li = document.createElement("li")
    li.className = "find-result"
    const link = document.createElement("a")
    link.href = item.url
    link.textContent = item.title
    li.append(link)
    if (item.ref) {
      const ref = document.createElement("span")
      ref.className = "reply-ref"
      ref.textContent = item.ref
      li.append(" ", ref)
    }
    if (item.line) {
      const line = document.createElement("p")
      line.className = "find-line"
      line.textContent = item.line
      li.append(line)
    }
    if (item.excerpt)
      li.append(excerptNode(item.excerpt))
    return li
  }

  let current = null, run = 0

  async function showMore() {
    const from = list.children.length
    const mine = run
    const items = await current.items(from, from + SHOWN)
    if (mine !== run)
      return
    list.append(...items.map(itemNode))
    more.hidden = list.children.length >= current.total
  }

  async function update() {
    const mine = ++run
    status.textContent = "正在检索……"
    const wanted = state()
    const found = await (await engineFor(wanted))(wanted)
    if (mine !== run)  // a newer change has started
      return
    current = found
    list.replaceChildren()
    showCounts(found.counts)
    status.textContent = found.total ? `共 ${found.total} 件答复符合条件。` : "没有符合条件的答复。"
    await showMore()
    form.dataset.shown = String(mine)  // which run the list shows (for tests)
  }

  fillOptions()
  readAddress()
  // Each engine is loaded once, when first needed (see the top of this file).
  const engines = {}
  const once = (name, make) => engines[name] || (engines[name] = make())
  const offline = location.protocol === "file:"
  function engineFor({ query }) {
    const engine = offline ? once("rows", rowsEngine)
      : query ? once("pagefind", () => pagefindEngine().catch(() => once("rows", rowsEngine)))
      : once("postings", postingsEngine)
    engine.catch(() => { status.textContent = "检索数据未能载入。" })
    return engine
  }
  let typing = null
  form.addEventListener("input", event => {
    writeAddress()
    clearTimeout(typing)
    typing = setTimeout(update, event.target === form.elements.query ? 250 : 0)
  })
  form.addEventListener("submit", event => {
    event.preventDefault()
    writeAddress()
    update()
  })
  form.addEventListener("reset", () => setTimeout(() => { writeAddress(); update() }, 0))
  more.addEventListener("click", showMore)
  addEventListener("popstate", () => { readAddress(); update() })
  update()
})()
