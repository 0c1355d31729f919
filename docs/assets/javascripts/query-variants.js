/*
 * A Chinese query as the Pagefind index may have cut it, shared by the search worker
 * (generator/assets/pagefind-worker.js, by importScripts) and the 检索 page (find.js).
 *
 * Pagefind cut the pages with jieba; the browser cuts a query with its own dictionary
 * (Intl.Segmenter), which is not jieba's: 水务局 becomes 水/务/局, and every one-character
 * word must then begin a word of the page, which 务 seldom does. So a query is looked up
 * in up to three forms, in this order: the browser's words with one-character words
 * joined again (a run of them is one word, 水务局; a lone one joins the word before it,
 * 某某 县 → 某某县), the browser's words (a name the index holds as 文/桂明), and the
 * query whole (黑土地保护, the index holding 黑土地).
 */
"use strict";
(scope => {
  function segmented(query, language) {
    if (!language || !/^(zh|ja|th)\b/i.test(language) || typeof Intl.Segmenter === "undefined")
      return query
    const words = new Intl.Segmenter(language, { granularity: "word" })
    return Array.from(words.segment(query), part => part.segment).join(" ").replace(/\s+/g, " ").trim()
  }

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
      if (/^[\u3400-\u9fff]$/.test(word))
        run.push(word)
      else {
        flush()
        out.push(word)
      }
    }
    flush()
    return out.filter(Boolean).join(" ")
  }

  // The forms to look `query` up in, best first, without repeats. `language`: the
  // index's (a page's lang); none, or one written with spaces, gives the query alone.
  scope.replyQueryVariants = (query, language) => {
    const words = segmented(query, language)
    return [...new Set([joinedSingles(words), words, query])].filter(Boolean)
  }
})(self)
