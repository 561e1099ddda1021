/* Reminders in the service worker: the push and notificationclick handlers.
 *
 * /sw.js loads this file with importScripts('/static/js/sw-push.js'), so it runs in the
 * worker's global scope. The push payload (see pwa/reminders/channels.py) holds only:
 *   { title, url, tag, actions: [{ action: 'taken' | 'snooze', title, url }] }
 * `url` is the page a tap opens (the check-in, the appointment). Each action `url` is a
 * same-site endpoint with a signed, per-delivery token in its path: posting to it records
 * "Taken" or snoozes the reminder for an hour without cookies, so it works from the
 * notification even when the app has been closed for days.
 */

'use strict';

self.addEventListener('push', (event) => {
  event.waitUntil(showReminder(readPushPayload(event.data)));
});

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});

function readPushPayload(data) {
  if (!data) return {};
  try {
    const payload = data.json();
    return payload && typeof payload === 'object' ? payload : {};
  } catch (error) {
    return {};
  }
}

// Only our own pages: a payload can never send the patient to another site.
function sameSitePath(url, fallback) {
  try {
    const parsed = new URL(url, self.location.origin);
    if (parsed.origin === self.location.origin) return parsed.pathname + parsed.search + parsed.hash;
  } catch (error) { /* fall through */ }
  return fallback;
}

async function showReminder(payload) {
  const title = typeof payload.title === 'string' && payload.title ? payload.title : 'Upright reminder';
  const actions = (Array.isArray(payload.actions) ? payload.actions : [])
    .filter((a) => a && typeof a.action === 'string' && typeof a.title === 'string')
    .slice(0, 2);
  const actionUrls = {};
  for (const a of actions) actionUrls[a.action] = sameSitePath(a.url, null);
  return self.registration.showNotification(title, {
    body: actions.length ? 'Tap to open Upright.' : '',
    tag: typeof payload.tag === 'string' ? payload.tag : undefined,
    renotify: typeof payload.tag === 'string',
    requireInteraction: actions.length > 0,
    icon: '/static/icons/icon-192.png',
    badge: '/static/icons/icon-192.png',
    data: { url: sameSitePath(payload.url, '/'), actions: actionUrls },
    actions: actions.map((a) => ({ action: a.action, title: a.title })),
  });
}

// A button ("Taken", "Snooze 1 hour") posts to its endpoint; a tap elsewhere opens the page.
// If the post fails (no connection), the page opens so the patient can do it there.
async function handleNotificationClick(notification, action) {
  notification.close();
  const data = notification.data || {};
  const actionUrl = action && data.actions ? data.actions[action] : null;
  if (actionUrl) {
    try {
      const response = await fetch(actionUrl, {
        method: 'POST',
        credentials: 'omit',
        headers: { Accept: 'application/json' },
      });
      if (response.ok) return;
    } catch (error) { /* offline: open the page instead */ }
  }
  await openPage(data.url || '/');
}

async function openPage(path) {
  const target = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const same = windows.find((client) => client.url === target);
  if (same) return focusIfAllowed(same);
  if (windows.length && 'navigate' in windows[0]) {
    try {
      const client = await windows[0].navigate(target);
      if (client) return focusIfAllowed(client);
    } catch (error) { /* not controlled by us yet: open a new window below */ }
  }
  return self.clients.openWindow(target);
}

// Focusing is allowed while handling a tap; anywhere else it throws, which must not matter.
async function focusIfAllowed(client) {
  try {
    return await client.focus();
  } catch (error) {
    return client;
  }
}
