// Library search that works offline. Loads the small prebuilt index (static/learn/search-index.json,
// precached by the service worker) and filters it as the patient types. Without this file the
// form still works: it submits to /learn/search, which runs the same search on the server.
// normalize(), words() and search() mirror pwa/learn/search.py; keep the two in step.

const PREFIX_MIN = 3;
const TYPO_MIN = 4;
const PASSAGE_MAX = 220;
const SENTENCE_RE = /(?<=[.!?])\s+|\n+/;
const WEIGHTS = { title: 3, summary: 2, body: 1 };
const TOKEN_RE = /[a-z0-9]+(?:'[a-z]+)?/g;

export function normalize(word) {
  if (word.endsWith("'s")) word = word.slice(0, -2);
  word = word.replaceAll("'", "");
  if (word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word)) word = word.slice(0, -1);
  return word;
}

export function words(text, stop) {
  const found = text.toLowerCase().replaceAll("\u2019", "'").match(TOKEN_RE) || [];
  return found
    .filter((w) => !stop.has(w))
    .map(normalize)
    .filter((w) => w.length >= 2 && !stop.has(w));
}

// One letter changed, added or left out, or two neighbours swapped (search.py: one_typo).
export function oneTypo(a, b) {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const diffs = [];
    for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) diffs.push(i);
    const swapped = diffs.length === 2 && diffs[1] === diffs[0] + 1
      && a[diffs[0]] === b[diffs[1]] && a[diffs[1]] === b[diffs[0]];
    return diffs.length === 1 || swapped;
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i += 1;
  return short.slice(i) === long.slice(i + 1);
}

// The index words a query word stands for (search.py: expand).
function expand(term, vocabulary) {
  const all = Object.keys(vocabulary);
  let found = all.filter((w) => w === term || (term.length >= PREFIX_MIN && w.startsWith(term)));
  if (found.length === 0 && term.length >= TYPO_MIN) found = all.filter((w) => oneTypo(term, w));
  return new Set(found);
}

export function search(index, query) {
  const stop = new Set(index.stop);
  const terms = [...new Set(words(query, stop))];
  if (terms.length === 0) return [];
  const expanded = terms.map((term) => expand(term, index.words));
  let found = null;
  for (const foundWords of expanded) {
    const pages = new Set();
    for (const word of foundWords) index.words[word].forEach((n) => pages.add(n));
    found = found === null ? pages : new Set([...found].filter((n) => pages.has(n)));
  }
  const scored = [...found].map((n) => {
    const page = index.pages[n];
    const title = words(page.title, stop);
    const summary = words(page.summary, stop);
    let score = 0;
    for (const foundWords of expanded) {
      if (title.some((w) => foundWords.has(w))) score += WEIGHTS.title;
      else if (summary.some((w) => foundWords.has(w))) score += WEIGHTS.summary;
      else score += WEIGHTS.body;
    }
    return { score, n };
  });
  scored.sort((a, b) => b.score - a.score || a.n - b.n);
  return scored.map(({ n }) => index.pages[n]);
}

// The first sentence of a page's text holding a query word (search.py: passage).
export function passage(index, text, query) {
  const stop = new Set(index.stop);
  const wanted = new Set();
  for (const term of new Set(words(query, stop))) expand(term, index.words).forEach((w) => wanted.add(w));
  for (const raw of text.split(SENTENCE_RE)) {
    if (words(raw, stop).some((w) => wanted.has(w))) {
      const sentence = raw.trim();
      if (sentence.length <= PASSAGE_MAX) return sentence;
      const cut = sentence.slice(0, PASSAGE_MAX);
      return `${cut.slice(0, cut.lastIndexOf(' '))} …`;
    }
  }
  return null;
}

// The page's own text, from the worker's cache offline (every library page is precached).
const pageTexts = new Map();
function pageText(url) {
  if (!pageTexts.has(url)) {
    pageTexts.set(url, fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => {
        const doc = new DOMParser().parseFromString(html, "text/html");
        const body = doc.querySelector(".prose") || doc.querySelector("main");
        return body ? [...body.querySelectorAll("p, li, dd, td")].map((el) => el.textContent.trim()).join("\n") : "";
      })
      .catch(() => ""));
  }
  return pageTexts.get(url);
}

async function addPassage(item, index, page, query) {
  const found = passage(index, await pageText(page.url), query);
  if (!found || !item.isConnected) return;
  const quote = Object.assign(document.createElement("p"), { className: "search-passage" });
  const hidden = Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: "Where it says so: " });
  quote.append(hidden, `“${found}”`);
  item.append(quote);
}

function showResults(box, query, results, index) {
  const list = box.querySelector("[data-search-list]");
  const count = box.querySelector("[data-search-count]");
  list.replaceChildren(
    ...results.map((page) => {
      const item = document.createElement("li");
      item.className = "card article-card";
      const link = document.createElement("a");
      link.className = "article-link";
      link.href = page.url;
      link.textContent = page.title;
      const summary = document.createElement("p");
      summary.textContent = page.summary;
      item.append(link, summary);
      addPassage(item, index, page, query);
      return item;
    }),
  );
  const n = results.length;
  count.textContent =
    n === 0
      ? `Nothing found for “${query}”. Try a shorter or simpler word.`
      : `${n} ${n === 1 ? "page" : "pages"} found for “${query}”.`;
  box.hidden = false;
}

function enhance(form) {
  const box = document.querySelector("[data-search-results]");
  const input = form.querySelector("input[name=q]");
  if (!box || !input) return;
  let index = null;
  let loading = null;

  const load = () => {
    loading ??= fetch(form.dataset.searchIndex)
      .then((response) => {
        if (!response.ok) throw new Error(`search index: HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => (index = data));
    return loading;
  };

  const run = async () => {
    const query = input.value.trim();
    if (!query) {
      box.hidden = true;
      return true;
    }
    try {
      await load();
    } catch {
      loading = null;
      return false; // no index: let the form go to the server
    }
    document.querySelector("[data-server-results]")?.replaceChildren();
    showResults(box, query, search(index, query), index);
    return true;
  };

  input.addEventListener("input", () => {
    run();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await run())) form.submit();
  });
  input.addEventListener("focus", () => load().catch(() => {}), { once: true });
}

document.querySelectorAll("form[data-search-index]").forEach(enhance);
