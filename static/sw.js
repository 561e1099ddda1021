/* Upright's service worker, hand-written and short (MDN's CycleTracker and svgomg for shape).
 *
 * - install: store the precache list (app shell, offline pages, the empty forms, the whole
 *   library). Install waits for all of it: a half-stored library would fail a patient offline.
 * - activate: delete the caches of older versions (our prefix only), take control.
 * - fetch: library pages stale-while-revalidate; shell files from the cache; pages with
 *   patient data only from the network (never stored), falling back to the offline page or,
 *   for the check-in and appointment forms, to their empty shell that saves to the outbox.
 * - sync: Background Sync sends the outbox where the browser has it.
 */

// pwa/offline.py fills in the next line: {version, precache, fallbacks, forms}.
const BUILD = { version: 'dev', precache: [], fallbacks: {}, forms: {} };

importScripts('/static/js/record-fields.js', '/static/js/sync-core.js', '/static/js/sw-push.js');

const PREFIX = 'upright-';
const CACHE = PREFIX + BUILD.version;
const OFFLINE_PAGE = '/offline';
const SAVED_PAGE = '/offline/saved';

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(BUILD.precache.map(async (url) => {
    // cache: 'reload' skips the HTTP cache, so the new version stores new bytes. The offline
    // pages and empty forms are stored as a signed-out visitor sees them: no session in them.
    const credentials = isLibraryPath(url) ? 'same-origin' : 'omit';
    const response = await fetch(url, { cache: 'reload', credentials });
    if (!response.ok || response.redirected) {
      throw new Error(`precache: ${url} answered ${response.status}`);
    }
    await cache.put(url, response);
  }));
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'skip-waiting') {
    self.skipWaiting();
  } else if (type === 'refresh-library') {
    // After sign-out: store the library again as a signed-out visitor sees it.
    event.waitUntil(refreshLibrary());
  } else if (type === 'version') {
    event.source.postMessage({ type: 'version', version: BUILD.version });
  }
});

async function refreshLibrary() {
  const cache = await caches.open(CACHE);
  await Promise.all(BUILD.precache.filter(isLibraryPath).map(async (url) => {
    try {
      const response = await fetch(url, { cache: 'reload', credentials: 'same-origin' });
      if (response.ok && !response.redirected) await cache.put(url, response);
    } catch (error) { /* offline: keep what we have */ }
  }));
}

self.addEventListener('sync', (event) => {
  if (event.tag === self.UprightSync.SYNC_TAG) {
    event.waitUntil(self.UprightSync.flush({ reason: 'background-sync' }).then((result) => {
      // Failing the event makes the browser try again later; signed out, only a sign-in helps.
      if (result.waiting && (result.state === 'offline' || result.state === 'server-error')) {
        throw new Error(`outbox kept: ${result.state}`);
      }
    }));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js') return; // network only

  if (request.method === 'POST' && request.mode === 'navigate' && BUILD.forms[url.pathname]) {
    event.respondWith(postFormOrKeep(request, url));
    return;
  }
  if (request.method !== 'GET') return;

  if (isLibraryPath(url.pathname)) {
    event.respondWith(staleWhileRevalidate(event, request, url));
  } else if (BUILD.precache.includes(url.pathname) && !url.search) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(networkOnly(request, url));
  }
  // Anything else (a static file not on the list): the browser's own fetch.
});

function isLibraryPath(path) {
  return path === '/learn' || path.startsWith('/learn/') || path.startsWith('/static/learn/');
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreVary: true });
  return cached || fetch(request);
}

async function staleWhileRevalidate(event, request, url) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  const refresh = fetch(request).then((response) => {
    // Only whole, successful pages of the library itself; search results are not kept.
    if (response.ok && !response.redirected && response.type === 'basic' && !url.search) {
      cache.put(request, response.clone());
    }
    return response;
  }).catch(() => null);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  const response = await refresh;
  if (response) return response;
  // Offline and never seen: a search runs on the cached search page; else the offline page.
  return (await cache.match(request, { ignoreSearch: true, ignoreVary: true }))
    || (await cache.match(OFFLINE_PAGE, { ignoreVary: true }))
    || Response.error();
}

// Patient pages: from the network only, never stored. Offline: the form's empty shell, the
// device-only appointments copy, or the offline page that says what still works.
async function networkOnly(request, url) {
  try {
    return await fetch(request);
  } catch (error) {
    const fallback = BUILD.fallbacks[url.pathname] || OFFLINE_PAGE;
    return (await caches.match(fallback, { cacheName: CACHE, ignoreVary: true }))
      || (await caches.match(OFFLINE_PAGE, { cacheName: CACHE, ignoreVary: true }))
      || Response.error();
  }
}

// A check-in or appointment form posted on a connection that drops, or into a server error
// (5xx: a full or read-only database, say): nothing is lost. The entry goes to the outbox with
// its client UUID (so if the server did save it, the retry is recognised) and the patient sees
// "Saved on this phone".
async function postFormOrKeep(request, url) {
  const copy = request.clone();
  try {
    const response = await fetch(request);
    if (response.status < 500) return response;
  } catch (error) { /* no connection: kept below */ }
  const pairs = [...(await copy.formData()).entries()].filter(([, value]) => typeof value === 'string');
  await self.UprightSync.enqueueFormPairs(BUILD.forms[url.pathname], pairs);
  return Response.redirect(SAVED_PAGE, 303);
}
