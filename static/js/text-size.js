// The in-app text size control (templates/_partials/text_size.html): normal, large, larger,
// remembered on this device. text-size-early.js applies the stored choice before first paint.

const KEY = 'upright-text-size';

function apply(size) {
  if (size === 'large' || size === 'larger') document.documentElement.dataset.textSize = size;
  else delete document.documentElement.dataset.textSize;
}

export function startTextSize() {
  const control = document.querySelector('[data-text-size-control]');
  if (!control) return;
  let stored = 'normal';
  try { stored = window.localStorage.getItem(KEY) || 'normal'; } catch (error) { return; }
  const current = control.querySelector(`input[value="${stored}"]`);
  if (current) current.checked = true;
  control.hidden = false;
  control.addEventListener('change', (event) => {
    const size = event.target.value;
    try { window.localStorage.setItem(KEY, size); } catch (error) { /* this page only */ }
    apply(size);
  });
}
