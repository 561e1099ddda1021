// Ticks on an appointment's questions, saved as they are made (the page's own form, sent in
// the background). Without this file the form has a "Save the ticks" button.
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
    response = await fetch(form.action, {
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
    say(form, 'Not saved: you are signed out. Your ticks are kept on this phone. Please sign in '
      + 'and open this appointment again.', true);
  } else if (response.status === 404) {
    localStorage.removeItem(KEY(uuid)); // the appointment is not this account's (or is gone)
    say(form, 'Not saved: this appointment is no longer there.', true);
  } else {
    say(form, 'Not saved: the server could not save it just now. Your ticks are kept on this '
      + 'phone and will be tried again.', true);
  }
}

function start(form) {
  const uuid = form.dataset.appointment;
  const hint = form.querySelector('[data-ticks-hint]');
  if (hint) hint.textContent = 'Tick each question when it has been answered. Each tick is saved as you make it.';
  form.querySelector('[data-ticks-save]').hidden = true;
  const pending = readPending(uuid);
  if (pending) {
    applyPending(form, pending);
    send(form, uuid);
  }
  const save = () => {
    if (!keepPending(uuid, currentState(form))) {
      say(form, 'Not saved: this phone could not keep the tick. Please try again.', true);
      return;
    }
    say(form, 'Saving…', false);
    send(form, uuid);
  };
  form.addEventListener('change', save);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  window.addEventListener('online', () => send(form, uuid));
}

document.querySelectorAll('form[data-question-ticks]').forEach(start);
