// Reminders page: turn notifications on or off for this phone through the service worker.
// Without this file the page still works: the settings, e-mail and calendar need no JavaScript.

const section = document.querySelector('[data-push]');
const statusLine = section && section.querySelector('[data-push-status]');
const onWrap = section && section.querySelector('[data-push-on]');
const offWrap = section && section.querySelector('[data-push-off]');
const onButton = onWrap && onWrap.querySelector('button');
const offButton = offWrap && offWrap.querySelector('button');

function say(text) {
  if (statusLine) statusLine.textContent = text;
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(), Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw Object.assign(new Error(`${url} answered ${response.status}`), { status: response.status });
  return response.json();
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true;
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

async function registration() {
  const existing = await navigator.serviceWorker.getRegistration('/');
  if (!existing) await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

async function serverKey() {
  const response = await fetch('/reminders/push/key', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error('no key');
  return keyBytes((await response.json()).publicKey);
}

// Setting up can hang (no connection to the phone's push service, a worker that never gets
// ready): give up after a while with a plain message rather than "Turning on…" for ever.
const SETUP_TIMEOUT_MS = 20000;

class TimedOut extends Error {}

function withTimeout(promise) {
  const ms = Number(section.dataset.pushTimeout) || SETUP_TIMEOUT_MS;
  let timer;
  const late = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new TimedOut()), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function show(isOn) {
  onWrap.hidden = isOn;
  offWrap.hidden = !isOn;
}

async function turnOn() {
  onButton.disabled = true;
  try {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      say('Notifications are blocked for this site. You can allow them in the browser settings, or use e-mail reminders.');
      return;
    }
    say('Turning notifications on…');
    await withTimeout((async () => {
      const reg = await registration();
      const key = await serverKey();
      let subscription = await reg.pushManager.getSubscription();
      if (subscription && !sameKey(subscription, key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      const subscribe = () => reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      subscription = subscription || await subscribe();
      try {
        await postJSON('/reminders/push/subscribe', subscription.toJSON());
      } catch (error) {
        if (error.status !== 409) throw error;
        // Another account on this phone holds this browser's subscription: this account gets a
        // new one of its own (the old one ends, and the server forgets it at the next send).
        await subscription.unsubscribe();
        subscription = await subscribe();
        await postJSON('/reminders/push/subscribe', subscription.toJSON());
      }
    })());
    show(true);
    say('Notifications are on for this phone.');
  } catch (error) {
    if (error instanceof TimedOut) {
      say('Notifications could not be set up: this phone did not answer in time. Please try again later, or use e-mail reminders, which need nothing on the phone.');
      return;
    }
    say('Notifications could not be turned on. Please check your connection and try again, or use e-mail reminders.');
  } finally {
    onButton.disabled = false;
  }
}

async function turnOff() {
  offButton.disabled = true;
  try {
    const reg = await registration();
    const subscription = await reg.pushManager.getSubscription();
    if (subscription) {
      await postJSON('/reminders/push/unsubscribe', { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    show(false);
    say('Notifications are off for this phone.');
  } catch (error) {
    say('Notifications could not be turned off. Please check your connection and try again.');
  } finally {
    offButton.disabled = false;
  }
}

async function start() {
  if (!section) return;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    say('This browser cannot show notifications from Upright. E-mail and calendar reminders still work.');
    return;
  }
  onButton.addEventListener('click', turnOn);
  offButton.addEventListener('click', turnOff);
  let subscription = null;
  try {
    const reg = await navigator.serviceWorker.getRegistration('/');
    subscription = reg ? await reg.pushManager.getSubscription() : null;
  } catch (error) { /* treated as not subscribed */ }
  const isOn = Boolean(subscription) && Notification.permission === 'granted';
  show(isOn);
  say(isOn ? 'Notifications are on for this phone.' : 'Notifications are off for this phone.');
  if (isOn) {
    // Keep the server's copy current (it deletes subscriptions the push service forgot).
    postJSON('/reminders/push/subscribe', subscription.toJSON()).catch(() => {});
  }
}

start();
