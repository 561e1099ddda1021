// A shared phone: when an account signs in on a phone that holds entries another account saved
// offline and has not sent yet, ask what to do with them. They are never shown or sent to this
// account; "keep" leaves them for their owner's next sign-in, "delete" removes them here.
// On the sign-in and sign-up pages nobody is signed in on this phone any more.

const Sync = self.UprightSync;
const SIGNED_OUT_PAGES = new Set(['/login', '/register']);
const KEPT = 'keptForOtherAccounts:'; // + account: seqs that account chose to keep

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function question(count, onKeep, onDelete) {
  const section = Object.assign(document.createElement('section'), {
    className: 'card shared-phone', id: 'shared-phone',
  });
  section.setAttribute('aria-labelledby', 'shared-phone-title');
  const title = Object.assign(document.createElement('h2'), {
    id: 'shared-phone-title', textContent: 'Saved by another account',
  });
  const text = Object.assign(document.createElement('p'), {
    textContent: `These were saved by another account on this phone: keep them for that account, or delete them? (${plural(count, 'entry', 'entries')}, not sent yet. They are not shown here and are not added to your account.)`,
  });
  const keep = Object.assign(document.createElement('button'), {
    type: 'button', className: 'button button-primary', textContent: 'Keep them for that account',
  });
  const remove = Object.assign(document.createElement('button'), {
    type: 'button', className: 'button button-danger', textContent: 'Delete them',
  });
  const row = Object.assign(document.createElement('div'), { className: 'button-row' });
  row.append(keep, remove);
  section.append(title, text, row);
  const answered = (message) => {
    row.remove();
    text.textContent = message;
    text.setAttribute('role', 'status');
    title.focus();
  };
  title.tabIndex = -1;
  keep.addEventListener('click', () => onKeep().then(() => answered('Kept. They will be sent when that account signs in on this phone.')));
  remove.addEventListener('click', () => onDelete().then(() => answered('Deleted from this phone.')));
  return section;
}

export async function startSharedPhone() {
  const account = document.body.dataset.account;
  if (!account) {
    if (SIGNED_OUT_PAGES.has(window.location.pathname)) await Sync.setMeta('account', null);
    return;
  }
  const kept = (await Sync.getMeta(KEPT + account)) || [];
  const others = (await Sync.othersEntries(account)).filter((e) => !kept.includes(e.seq));
  if (!others.length) return;
  const seqs = others.map((e) => e.seq);
  const section = question(
    seqs.length,
    () => Sync.setMeta(KEPT + account, [...kept, ...seqs]),
    () => Sync.discardMany(seqs),
  );
  const main = document.getElementById('main');
  if (main) main.prepend(section);
}
