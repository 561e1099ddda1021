// After an account is deleted: forget everything this browser kept for it (the outbox of
// unsent check-ins, the appointments copy, cached pages), where Clear-Site-Data did not.
// The stores are emptied rather than the database deleted: this page's own outbox script
// holds the database open, which would block a deletion.
const PREFIX = 'upright-';

function emptyDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('upright');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const names = Array.from(db.objectStoreNames);
      if (!names.length) { db.close(); resolve(); return; }
      const tx = db.transaction(names, 'readwrite');
      names.forEach((name) => tx.objectStore(name).clear());
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}

async function clearDevice() {
  const names = 'caches' in self ? await caches.keys() : [];
  await Promise.all([
    emptyDatabase(),
    ...names.filter((name) => name.startsWith(PREFIX)).map((name) => caches.delete(name)),
  ]);
}

const note = document.querySelector('[data-clear-device]');
clearDevice().then(() => {
  if (!note) return;
  note.textContent = 'This phone or computer has forgotten its copies.';
  note.dataset.cleared = '1';
}, () => {});
