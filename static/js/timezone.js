// The time-zone list (the timezone_field macro): preselects this device's zone on sign-up,
// and shows a box that narrows the long list of cities as the patient types. The list alone
// works without this script.

const select = document.querySelector('select[data-browser-zone]');
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (select && zone && !select.dataset.touched && [...select.options].some((o) => o.value === zone)) {
  select.value = zone;
}
select?.addEventListener('change', () => { select.dataset.touched = '1'; });

const words = (text) => text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');

document.querySelectorAll('[data-zone-filter]').forEach((filter) => {
  const list = document.getElementById(filter.dataset.zoneFilter);
  if (!list) return;
  const groups = [...list.querySelectorAll('optgroup')].map((group) => ({
    group, options: [...group.querySelectorAll('option')],
  }));
  filter.closest('.zone-filter').hidden = false;
  filter.addEventListener('input', () => {
    const wanted = words(filter.value.trim());
    const chosen = list.value;
    for (const { group, options } of groups) {
      // Rebuilt rather than hidden: iPhones ignore `hidden` on options.
      const keep = options.filter((o) => !wanted || words(o.textContent).includes(wanted)
        || o.value === chosen);
      group.replaceChildren(...keep);
    }
    const first = list.querySelector(`option:not([value="${CSS.escape(chosen)}"])`);
    if (wanted && first && words(first.textContent).includes(wanted)) list.value = first.value;
  });
});
