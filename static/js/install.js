// "Add to home screen": the browser's own prompt behind our button where the browser offers
// one (beforeinstallprompt), and a link to the illustrated steps on iPhone and iPad.

const DISMISSED = 'upright.install.dismissed';
const QUIET_DAYS = 30;

function standalone() {
  return window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
}

function apple() {
  return /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
}

function dismissedRecently() {
  const when = Number(window.localStorage.getItem(DISMISSED) || 0);
  return Date.now() - when < QUIET_DAYS * 24 * 3600 * 1000;
}

export function startInstall() {
  if (standalone()) return;
  const banner = document.getElementById('install-banner');
  // Not in the middle of a task: never on a form page.
  const quiet = document.querySelector('form[data-offline-form]') || document.body.dataset.offlineShell;
  let deferred = null;

  const reveal = (which) => {
    document.querySelectorAll(`#main [data-install-${which}]:not(#install-banner *)`)
      .forEach((el) => { el.hidden = false; });
    if (!banner || quiet || dismissedRecently()) return;
    banner.querySelector(`[data-install-${which}]`).hidden = false;
    banner.hidden = false;
  };
  const hideAll = () => {
    if (banner) banner.hidden = true;
    document.querySelectorAll('[data-install-native]').forEach((el) => { el.hidden = true; });
  };

  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault(); // our own button asks, at a calm moment
    deferred = event;
    reveal('native');
  });
  window.addEventListener('appinstalled', hideAll);
  document.addEventListener('click', async (event) => {
    if (event.target.closest('[data-install]') && deferred) {
      const prompt = deferred;
      deferred = null;
      await prompt.prompt();
      const choice = await prompt.userChoice;
      if (choice && choice.outcome === 'accepted') hideAll();
    } else if (event.target.closest('[data-install-dismiss]')) {
      window.localStorage.setItem(DISMISSED, String(Date.now()));
      if (banner) banner.hidden = true;
    }
  });
  if (apple()) reveal('ios');
}
