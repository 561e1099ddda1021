// The offline pages are kept on the phone as a signed-out visitor sees them (no patient data
// in the cache). When this phone has a signed-in patient (the outbox's account marker, which
// sign-out removes), show them the bottom bar and their footer links instead of "Sign in",
// and mark the bar's item for the address the page stands in for.

const Sync = self.UprightSync;

function sectionOf(path) {
  if (path === '/') return 'home';
  if (path === '/history') return 'history';
  if (path.startsWith('/checkin')) return 'checkin';
  if (path.startsWith('/appointments')) return 'appointments';
  return 'more';
}

export async function startDeviceNav() {
  const forPatient = document.querySelectorAll('[data-device-signed-in]');
  if (!forPatient.length) return;
  let account = null;
  try { account = await Sync.getMeta('account'); } catch (error) { return; }
  if (!account) return;
  forPatient.forEach((element) => { element.hidden = false; });
  document.querySelectorAll('[data-device-signed-out]').forEach((element) => { element.hidden = true; });
  document.body.classList.add('has-bottom-nav');
  const current = sectionOf(window.location.pathname);
  document.querySelectorAll('.bottom-nav [data-nav]').forEach((link) => {
    if (link.dataset.nav === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
}
