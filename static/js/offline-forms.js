// Offline saving for forms marked data-offline-form="entries" or "appointments".
//
// Online, a form posts as usual (the server shows its own result page); if the connection
// drops mid-post, the service worker keeps the entry. Offline, or on the empty "shell" form the
// worker shows offline, the entry goes straight to the outbox. Either way it carries a client
// UUID, so it is saved once however often it is sent. The outbox is sent on page load, when the
// phone comes back online, when the patient returns to the app, and by Background Sync.

const Sync = self.UprightSync;
const LIBRARY = /^\/learn(\/|$)/;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export function waitingMessage(n, state) {
  // Online but the server could not save it (a 5xx): "later", not "when you are online".
  if (state === 'server-error') return `Saved on this phone, will send later (${n} waiting)`;
  return `Saved on this phone, will be sent when you are online (${n} waiting)`;
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function ensureId(form, fresh) {
  if (form.querySelector('[name=version]')) return; // changing an existing record keeps its id
  let input = form.querySelector('input[name=id]');
  if (!input) {
    input = Object.assign(document.createElement('input'), { type: 'hidden', name: 'id' });
    form.prepend(input);
  }
  if (fresh || !input.value) input.value = Sync.uuid();
}

function prepareForm(form) {
  ensureId(form, false);
  const shell = document.body.dataset.offlineShell;
  const date = form.querySelector('input[name=date]');
  if (shell && date && !date.value && form.dataset.offlineForm === 'entries') date.value = today();

  form.addEventListener('submit', async (event) => {
    if (navigator.onLine && !shell) return; // the server takes it; the worker guards the send
    event.preventDefault();
    if (!form.checkValidity()) {
      form.reportValidity();
      return;
    }
    const pairs = [...new FormData(form)].filter(([, value]) => typeof value === 'string');
    await Sync.enqueueFormPairs(form.dataset.offlineForm, pairs, { op: form.dataset.offlineOp });
    ensureId(form, true); // a second entry from the same page is a new one
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      window.location.assign('/offline/saved');
    } else {
      show(await Sync.status({ state: 'offline' }));
      form.reset();
      window.scrollTo(0, 0);
    }
  });
}

function show(status) {
  const box = document.getElementById('app-status');
  const page = document.querySelector('[data-outbox-message]');
  if (!status || status.type !== 'status') return;
  const problems = status.problems || [];
  let text = '';
  let signIn = false;
  if (status.waiting > 0) {
    text = waitingMessage(status.waiting, status.state);
    if (status.state === 'signed-out') {
      text += '. Please sign in so they can be sent.';
      signIn = true;
    }
  } else if (status.sent > 0) {
    text = `Sent: ${plural(status.sent, 'saved entry is', 'saved entries are')} now in your record.`;
  }
  if (problems.length) {
    text += `${text ? ' ' : ''}${plural(problems.length, 'entry was', 'entries were')} not accepted.`;
  }
  // A later empty round (another tab, Background Sync) must not wipe "Sent" off the screen.
  const quiet = !text && !problems.length;
  if (box && !(quiet && !box.textContent.startsWith('Saved on this phone'))) {
    box.replaceChildren(text);
    // All sent and nothing refused is good news: shown as a success, not as a warning.
    box.classList.toggle('app-status-success', status.sent > 0 && !status.waiting && !problems.length);
    if (signIn) { // the server said so just now; a cached page's header may say otherwise
      const link = Object.assign(document.createElement('a'), { href: `/login?next=${encodeURIComponent(window.location.pathname)}`, textContent: 'Sign in' });
      box.append(' ', link);
    }
    if (problems.length && !page) {
      box.append(' ', Object.assign(document.createElement('a'), { href: '/offline/saved', textContent: 'See them' }));
    }
  }
  if (page) {
    if (status.waiting > 0) page.textContent = waitingMessage(status.waiting, status.state);
    else if (status.sent > 0) page.textContent = 'Sent. It is now in your record.';
    else if (page.textContent.startsWith('Saved on this phone')) page.textContent = 'Nothing is waiting on this phone.';
    showProblems(problems);
  }
}

function showProblems(problems) {
  const section = document.getElementById('outbox-problems');
  const list = document.querySelector('[data-outbox-problems]');
  if (!section || !list) return;
  section.hidden = problems.length === 0;
  list.replaceChildren(...problems.map((problem) => {
    const item = Object.assign(document.createElement('li'), { className: 'card' });
    const what = problem.kind === 'entries' ? 'Check-in' : 'Appointment';
    const reasons = problem.errors && problem.errors.fields
      ? Object.values(problem.errors.fields).flat().join(' ') : 'It was changed elsewhere or is no longer there.';
    item.append(Object.assign(document.createElement('p'), { textContent: `${what}${problem.date ? ` of ${problem.date}` : ''}: ${reasons}` }));
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'button button-danger', textContent: 'Remove it from this phone' });
    remove.addEventListener('click', () => Sync.discard(problem.seq).then(show));
    item.append(remove);
    return item;
  }));
}

function handleSignOut() {
  // The appointments copy lives only on the device and goes at sign-out; the outbox stays
  // for its owner's next sign-in (as the sign-out page says).
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-logout')) return;
    event.preventDefault();
    try { await Sync.forgetDevice(); } finally { form.submit(); }
  });
  if (new URLSearchParams(window.location.search).has('signed_out')) {
    Sync.forgetDevice();
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) worker.postMessage({ type: 'refresh-library' });
  }
}

export function startOutbox() {
  const account = document.body.dataset.account;
  if (account && !LIBRARY.test(window.location.pathname)) Sync.setMeta('account', account);
  handleSignOut();
  document.querySelectorAll('form[data-offline-form]').forEach(prepareForm);
  try {
    new BroadcastChannel(Sync.CHANNEL).addEventListener('message', (event) => show(event.data));
  } catch (error) { /* this tab still shows its own rounds */ }
  const send = (reason) => Sync.flush({ reason }).then(show, () => {});
  send('page-load');
  window.addEventListener('online', () => send('online'));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') send('visible');
  });
}
