// The appointment page's questions (issue 12). Without this file every button posts its form
// and the page reloads; with it:
//
// Suggested questions: Add, Edit and Remove post the same forms in the background and swap in
// the page's new question list and suggestions, so the patient keeps their place.
//
// Ticks are saved as they are made (the page's own form, sent in the background); without
// this file the form has a "Save the ticks" button.
//
// Nothing is lost: every tick is first kept on this phone (localStorage, per appointment) and
// cleared only once the server has answered that it is saved. With no connection, a signed-out
// session or a server error, the page says so plainly and sends again when the phone is back
// online or the page is opened again.

const KEY = (uuid) => `upright-question-ticks:${uuid}`;

function readPending(uuid) {
  try {
    return JSON.parse(localStorage.getItem(KEY(uuid)) || 'null');
  } catch (error) {
    return null;
  }
}

function keepPending(uuid, state) {
  try {
    localStorage.setItem(KEY(uuid), JSON.stringify(state));
    return true;
  } catch (error) {
    return false; // storage full or refused: the message below says it was not saved
  }
}

function boxes(form) {
  return [...form.querySelectorAll('input[type=checkbox][name=asked]')];
}

function currentState(form) {
  return {
    shown: boxes(form).map((box) => box.value),
    asked: boxes(form).filter((box) => box.checked).map((box) => box.value),
  };
}

function applyPending(form, pending) {
  const asked = new Set(pending.asked);
  const shown = new Set(pending.shown);
  boxes(form).forEach((box) => {
    if (shown.has(box.value)) box.checked = asked.has(box.value);
  });
}

function say(form, text, problem) {
  const status = form.querySelector('[data-ticks-status]');
  status.textContent = text;
  status.classList.toggle('ticks-problem', Boolean(problem));
}

async function send(form, uuid) {
  const pending = readPending(uuid);
  if (!pending) return;
  const body = new FormData(form);
  body.delete('asked');
  body.delete('shown');
  pending.shown.forEach((question) => body.append('shown', question));
  pending.asked.forEach((question) => body.append('asked', question));
  let response;
  try {
    response = await fetch(form.getAttribute('action'), {
      method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' },
    });
  } catch (error) {
    say(form, 'Not saved yet: there is no connection. Your ticks are kept on this phone and '
      + 'will be saved when you are back online.', true);
    return;
  }
  const json = (response.headers.get('Content-Type') || '').includes('application/json');
  if (response.ok && json && !response.redirected) {
    const now = readPending(uuid);
    if (now && JSON.stringify(now) === JSON.stringify(pending)) localStorage.removeItem(KEY(uuid));
    say(form, 'Saved.', false);
  } else if (response.redirected || response.status === 401 || response.status === 400) {
    // Signed out, or the page's form is too old to be trusted (a CSRF refusal).
    say(form, 'Not saved: please sign in again and open this appointment. Your ticks are kept '
      + 'on this phone and will be saved then.', true);
  } else if (response.status === 404) {
    localStorage.removeItem(KEY(uuid)); // the appointment is not this account's (or is gone)
    say(form, 'Not saved: this appointment is no longer there.', true);
  } else {
    say(form, 'Not saved: the server could not save it just now. Your ticks are kept on this '
      + 'phone and will be tried again.', true);
  }
}

function startTicks(form) {
  const uuid = form.dataset.appointment;
  // One send at a time, so the server always ends with the latest ticks.
  let queue = Promise.resolve();
  const sendNext = () => {
    if (form.isConnected) queue = queue.then(() => send(form, uuid));
  };
  const hint = form.querySelector('[data-ticks-hint]');
  if (hint) hint.textContent = 'Tick each question when it has been answered. Each tick is saved as you make it.';
  form.querySelector('[data-ticks-save]').hidden = true;
  const pending = readPending(uuid);
  if (pending) {
    applyPending(form, pending);
    sendNext();
  }
  const save = () => {
    if (!keepPending(uuid, currentState(form))) {
      say(form, 'Not saved: this phone could not keep the tick. Please try again.', true);
      return;
    }
    say(form, 'Saving…', false);
    sendNext();
  };
  form.addEventListener('change', save);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  window.addEventListener('online', sendNext);
}

// --- Suggested questions -------------------------------------------------------------------

function announce(text, problem) {
  const status = document.querySelector('[data-questions-status]');
  if (!status) return;
  status.textContent = text;
  status.classList.toggle('ticks-problem', Boolean(problem));
}

function swapSection(id, doc) {
  const old = document.getElementById(id);
  const fresh = doc.getElementById(id);
  if (old && fresh) old.replaceWith(document.adoptNode(fresh));
  else if (old) old.remove();
}

function postPlainly(form, submitter) {
  // Let the browser do it the way it does without this file.
  form.append(Object.assign(document.createElement('input'), {
    type: 'hidden', name: submitter.name, value: submitter.value,
  }));
  form.dataset.plain = '1';
  form.submit();
}

async function suggestion(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches('.suggestion-actions')) return;
  if (form.dataset.plain) return;
  const submitter = event.submitter;
  if (!submitter || !submitter.name) return;
  event.preventDefault();
  // (form.action would be the buttons named "action": the attribute is the address.)
  const body = new FormData(form);
  body.append(submitter.name, submitter.value);
  announce('Saving…', false);
  let response;
  try {
    response = await fetch(form.getAttribute('action'), {
      method: 'POST', body, credentials: 'same-origin',
    });
  } catch (error) {
    announce('Not saved: there is no connection. Please try again when you are online.', true);
    return;
  }
  // The appointment's page (after the redirect), or the form's own answer (a refused wording).
  const samePage = new URL(response.url).pathname.startsWith(window.location.pathname);
  if (!samePage || (!response.ok && response.status !== 400)) {
    postPlainly(form, submitter); // signed out, or a server error: the ordinary page says so
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  if (!doc.getElementById('questions')) {
    postPlainly(form, submitter); // not the appointment's page (a refused, outdated form)
    return;
  }
  const problem = doc.querySelector('#suggested .field-error');
  const flash = doc.querySelector('.flash');
  swapSection('questions', doc);
  swapSection('suggested', doc);
  document.querySelectorAll('form[data-question-ticks]').forEach(startTicks);
  if (problem) {
    announce(problem.textContent.replace(/^Error: /, ''), true);
    const box = document.querySelector('#suggested details[open] textarea');
    if (box) box.focus();
    return;
  }
  announce(flash ? flash.textContent.trim() : 'Saved.', false);
  const heading = document.getElementById('suggested-title') || document.getElementById('questions-title');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

document.querySelectorAll('form[data-question-ticks]').forEach(startTicks);
document.addEventListener('submit', suggestion);
