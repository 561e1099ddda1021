// Library search that works offline. Loads the small prebuilt index (static/learn/search-index.json,
// precached by the service worker) and filters it as the patient types. Without this file the
// form still works: it submits to /learn/search, which runs the same search on the server.
// normalize(), words() and search() mirror pwa/learn/search.py; keep the two in step.

const PREFIX_MIN = 3;
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

function matches(word, term) {
  return word === term || (term.length >= PREFIX_MIN && word.startsWith(term));
}

export function search(index, query) {
  const stop = new Set(index.stop);
  const terms = [...new Set(words(query, stop))];
  if (terms.length === 0) return [];
  let found = null;
  for (const term of terms) {
    const pages = new Set();
    for (const [word, postings] of Object.entries(index.words)) {
      if (matches(word, term)) postings.forEach((n) => pages.add(n));
    }
    found = found === null ? pages : new Set([...found].filter((n) => pages.has(n)));
  }
  const scored = [...found].map((n) => {
    const page = index.pages[n];
    const title = words(page.title, stop);
    const summary = words(page.summary, stop);
    let score = 0;
    for (const term of terms) {
      if (title.some((w) => matches(w, term))) score += WEIGHTS.title;
      else if (summary.some((w) => matches(w, term))) score += WEIGHTS.summary;
      else score += WEIGHTS.body;
    }
    return { score, n };
  });
  scored.sort((a, b) => b.score - a.score || a.n - b.n);
  return scored.map(({ n }) => index.pages[n]);
}

function showResults(box, query, results) {
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
    showResults(box, query, search(index, query));
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
