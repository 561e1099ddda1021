// The upcoming appointments and their questions, readable at the clinic with no signal.
// The copy lives only on this device (IndexedDB, never Cache Storage), is refreshed from
// GET /api/v1/appointments while signed in and online, and is cleared at sign-out.

const Sync = self.UprightSync;
const LIBRARY = /^\/learn(\/|$)/;
const REFRESH_MS = 10 * 60 * 1000;
const KINDS = {
  spine: 'Spine specialist',
  primary_care: 'Primary care',
  bone_density: 'Bone density scan',
  imaging: 'Imaging (x-ray, MRI, CT)',
  physical_therapy: 'Physical therapy',
  other: 'Appointment',
};

async function refresh(force) {
  const last = await Sync.getMeta('appointmentsSavedAt');
  if (!force && last && Date.now() - last < REFRESH_MS) return;
  const response = await fetch('/api/v1/appointments?include_cancelled=0', {
    credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
  });
  if (!Sync.accepted(response)) return;
  const { appointments } = await response.json();
  const since = Date.now() - 12 * 3600 * 1000; // today's visit stays readable all day
  await Sync.saveAppointments(
    (appointments || []).filter((a) => !a.cancelled && Date.parse(a.starts_at) >= since),
    document.body.dataset.account,
  );
}

// The app's one date format, as the `when` template filter writes it: "Sun 29 Nov 2026".
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function longDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${DAYS[day]} ${d} ${MONTHS[m - 1]} ${y}`;
}

function clock(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  return `${((h + 11) % 12) + 1}:${String(m).padStart(2, '0')} ${h < 12 ? 'am' : 'pm'}`;
}

const el = (tag, props, ...children) => {
  const node = Object.assign(document.createElement(tag), props || {});
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
  return node;
};

// A phone number breaks, if it must, only between its groups (as the `phone` filter does).
const phoneGroups = (phone) => phone.trim().split(/\s+/)
  .flatMap((group, i) => [i ? ' ' : '', el('span', { className: 'nowrap' }, group)]);

function card(a, pending) {
  const facts = el('dl', { className: 'facts' });
  const fact = (term, value) => { if (value) facts.append(el('dt', {}, term), el('dd', {}, value)); };
  fact('With', a.with_whom);
  fact('Where', a.location);
  if (a.phone) fact('Phone', el('a', { href: `tel:${a.phone.replace(/[^0-9+]/g, '')}` }, ...phoneGroups(a.phone)));
  fact('Notes', a.notes);
  const questions = Array.isArray(a.questions) ? a.questions
    : String(a.questions || '').split('\n').map((q) => q.trim()).filter(Boolean);
  return el('article', { className: 'card' },
    el('h2', {}, `${a.date ? longDate(a.date) : ''}${a.time ? `, ${clock(a.time)}` : ''}`),
    el('p', {}, el('strong', {}, KINDS[a.kind] || KINDS.other),
      pending ? el('span', { className: 'badge' }, ' Saved on this phone, not sent yet') : null),
    facts.children.length ? facts : null,
    questions.length ? el('h3', {}, 'Questions to ask') : null,
    questions.length ? el('ul', {}, ...questions.map((q) => el('li', {}, q))) : null);
}

async function render(box) {
  const saved = await Sync.readAppointments();
  const pending = await pendingAppointments();
  const all = [...saved.map((a) => [a, false]), ...pending.map((a) => [a, true])]
    .sort(([a], [b]) => `${a.date}T${a.time}`.localeCompare(`${b.date}T${b.time}`));
  if (!all.length) return;
  const savedAt = await Sync.getMeta('appointmentsSavedAt');
  const note = document.querySelector('[data-appointments-note]');
  if (note && savedAt) {
    note.textContent = `You are offline. This copy on your phone is from ${new Date(savedAt).toLocaleString()}.`;
  }
  box.replaceChildren(...all.map(([a, isPending]) => card(a, isPending)));
}

async function pendingAppointments() {
  // New appointments typed offline, still in the outbox: shown too, marked as not sent
  // (only this account's: on a shared phone another account's wait unseen for their owner).
  const entries = await Sync.visibleEntries();
  return entries.filter((e) => e.kind === 'appointments' && e.op === 'create').map((e) => e.body);
}

export function startAppointmentsCopy() {
  const box = document.querySelector('[data-appointments-copy]');
  if (box) render(box).catch(() => {});
  const path = window.location.pathname;
  if (document.body.dataset.signedIn && navigator.onLine && !LIBRARY.test(path)) {
    refresh(path.startsWith('/appointments')).catch(() => {});
  }
}
