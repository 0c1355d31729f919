/*
 * A Chinese query as the Pagefind index may have cut it, shared by the search worker
 * (generator/assets/pagefind-worker.js, by importScripts) and the 检索 page (find.js).
 *
 * Pagefind cut the pages with jieba; the browser cuts a query with its own dictionary
 * (Intl.Segmenter), which is not jieba's. A name is the usual victim: the browser makes
 * 郝/红/明 of 郝红明, the index may hold 郝/红/明, 郝/红明 or 郝红明. A query is looked up
 * in these forms, in this order:
 *
 * 1. Exact forms: the query as a phrase in quotes ("郝 红 明"), once for each way the
 *    index may have cut it (up to 8; see exactForms). A phrase finds the query's very
 *    characters, side by side: an exact form finds nothing but the query.
 * 2. The browser's words with one-character words joined again (a run of them is one
 *    word, 水务局; a lone one joins the word before it, 某某 县 → 某某县): each the start
 *    of a word of the index, so that a query still being typed finds the words it begins.
 * 3. The browser's words (黑土地 保护).
 * 4. The query whole (黑土地保护, the index holding 黑土地).
 *
 * Forms 2 to 4 are left out when they hold a word of one character, which would match
 * every word it begins (任 in 任务, 任何…): thousands of pages, and seconds in the browser
 * at 100,000 replies.
 *
 * A query written with quotes is the reader's own phrase, and is looked up as it is.
 */
"use strict";
(scope => {
  const HAN = /^[\u3400-\u9fff]+$/
  const MAX_EXACT = 8  // phrase forms of one query: each is one search
  const MAX_RUN = 4  // longer runs of one-character words: all apart, or all joined

  function segmented(query, language) {
    if (!language || !/^(zh|ja|th)\b/i.test(language) || typeof Intl.Segmenter === "undefined")
      return query
    const words = new Intl.Segmenter(language, { granularity: "word" })
    return Array.from(words.segment(query), part => part.segment).join(" ").replace(/\s+/g, " ").trim()
  }

  const single = word => /^[\u3400-\u9fff]$/.test(word)

  function joinedSingles(words) {
    const out = []
    let run = []
    const flush = () => {
      if (run.length > 1 || !out.length)
        out.push(run.join(""))
      else if (run.length === 1)
        out[out.length - 1] += run[0]
      run = []
    }
    for (const word of words.split(" ")) {
      if (single(word))
        run.push(word)
      else {
        flush()
        out.push(word)
      }
    }
    flush()
    return out.filter(Boolean).join(" ")
  }

  // The ways to cut `chars` into words, all joined first and all apart last: a phrase of
  // one-character words costs the most (Pagefind looks up every word each begins).
  function cuts(chars) {
    if (chars.length > MAX_RUN)
      return [[chars.join("")], chars]
    const out = []
    for (let mask = 0; mask < 1 << (chars.length - 1); mask++) {
      const words = [chars[0]]
      chars.slice(1).forEach((ch, n) => mask >> n & 1 ? words[words.length - 1] += ch : words.push(ch))
      out.push(words)
    }
    return out.sort((a, b) => a.length - b.length)
  }

  // The query as a phrase, for each way the index may have cut it; none unless it is all
  // Chinese and the reader typed no space (words set apart are looked for apart). A query
  // of up to MAX_RUN characters (a name) is cut every way, whatever the browser's words:
  // the browser's dictionary is not jieba's (武志, 李英洋 may be one word to it, apart in
  // the index). A longer one keeps the browser's words of two characters or more, and
  // its runs of one-character words are cut every way.
  function exactForms(query, words) {
    if (!HAN.test(query))
      return []
    if (query.length <= MAX_RUN)
      return cuts([...query]).map(form => `"${form.join(" ")}"`)
    const list = words.split(" ").filter(Boolean)
    if (!list.every(word => HAN.test(word)) || !list.some(single))
      return []
    let forms = [[]]
    for (let n = 0; n < list.length;) {
      let end = n
      while (end < list.length && single(list[end]))
        end++
      const options = end > n ? cuts(list.slice(n, end)) : [[list[n]]]
      forms = forms.flatMap(form => options.map(option => [...form, ...option])).slice(0, MAX_EXACT)
      n = end > n ? end : n + 1
    }
    return forms.map(form => `"${form.join(" ")}"`)
  }

  // The forms to look `query` up in, best first, without repeats; the exact ones begin
  // with a quote. `language`: the index's (a page's lang), which the browser cuts the
  // query by; with none, or one written with spaces, the query is not cut (its exact
  // forms aside).
  scope.replyQueryVariants = (query, language) => {
    if (query.includes("\""))
      return [query]
    const words = segmented(query, language)
    const loose = [joinedSingles(words), words, query].filter(form => form && !form.split(" ").some(single))
    const forms = [...new Set([...exactForms(query.trim(), words), ...loose])]
    return forms.length ? forms : [query]
  }
})(self)
