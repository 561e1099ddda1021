// Medicine reminder form: show only the questions that fit the chosen "How often?".
// Without this file every question shows, each saying when it applies.

const form = document.querySelector('[data-medicine-form]');

if (form) {
  const weekdays = document.getElementById('weekdays');
  const monthsInput = document.getElementById('interval_months');
  const months = monthsInput && monthsInput.closest('.field');

  const update = () => {
    const chosen = form.querySelector('input[name="frequency"]:checked');
    const value = chosen ? chosen.value : 'daily';
    if (weekdays) weekdays.hidden = value !== 'weekly';
    if (months) months.hidden = value !== 'every_n_months';
  };

  form.addEventListener('change', (event) => {
    if (event.target.name === 'frequency') update();
  });
  update();
}
