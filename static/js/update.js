// "A new version is ready": a new service worker waits until the patient says reload, so a
// half-filled form is never lost to an automatic reload. The click tells the waiting worker to
// take over (skipWaiting); when it does (controllerchange), this page reloads on the new version.

export function startUpdates(registration) {
  if (!registration) return;
  const banner = document.getElementById('update-banner');
  let waiting = null;
  let reloading = false;

  const offer = (worker) => {
    // A first install is not an update: there is nothing older to replace.
    if (!banner || !navigator.serviceWorker.controller) return;
    waiting = worker;
    banner.hidden = false;
  };

  if (registration.waiting) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed') offer(worker);
    });
  });
  if (banner) {
    banner.querySelector('[data-update-reload]').addEventListener('click', () => {
      reloading = true;
      (waiting || registration.waiting)?.postMessage({ type: 'skip-waiting' });
    });
  }
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) window.location.reload();
  });
  // An app left open for days still hears about a deployment when the patient comes back.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') registration.update().catch(() => {});
  });
}
