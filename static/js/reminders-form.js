// Medicine reminder form: show only the questions that fit the chosen "How often?".
// Without this file every question shows, each saying when it applies.
// Issue 12: typing or choosing a bone medicine the list knows (generic or brand, "Prolia")
// fills in its usual schedule and shows its one-line note; the patient can still change it.

const form = document.querySelector('[data-medicine-form]');

const LONG_INTERVALS = ['every_n_months', 'yearly'];

// The drug a typed name means: the longest known name inside it (as pwa.bone.drugs.find).
export const findDrug = (drugs, typed) => {
  const words = (typed || '').toLocaleLowerCase();
  let best = null;
  let bestLength = 0;
  for (const drug of drugs) {
    for (const known of drug.names) {
      const name = known.toLocaleLowerCase();
      if (name && words.includes(name) && name.length > bestLength) {
        best = drug;
        bestLength = name.length;
      }
    }
  }
  return best;
};

if (form) {
  const weekdays = document.getElementById('weekdays');
  const monthsInput = document.getElementById('interval_months');
  const months = monthsInput && monthsInput.closest('.field');
  const aheadInput = document.getElementById('book_ahead_weeks');
  const ahead = aheadInput && aheadInput.closest('.field');
  const nameInput = document.getElementById('name');
  const note = document.getElementById('drug-note');
  let drugs = [];
  try {
    drugs = JSON.parse(form.dataset.drugs || '[]');
  } catch {
    drugs = [];
  }
  let current = findDrug(drugs, nameInput && nameInput.value);

  const chosenFrequency = () => {
    const chosen = form.querySelector('input[name="frequency"]:checked');
    return chosen ? chosen.value : '';
  };

  const update = () => {
    const value = chosenFrequency() || 'daily';
    if (weekdays) weekdays.hidden = value !== 'weekly';
    if (months) months.hidden = value !== 'every_n_months';
    const long = LONG_INTERVALS.includes(value) || Boolean(current && LONG_INTERVALS.includes(current.frequency));
    if (ahead) ahead.hidden = !long;
  };

  const showNote = (drug) => {
    if (!note) return;
    note.textContent = '';
    if (drug && drug.note) {
      const name = document.createElement('strong');
      name.textContent = `${drug.names[0].charAt(0).toUpperCase()}${drug.names[0].slice(1)}:`;
      note.append(name, ` ${drug.note}`);
      note.hidden = false;
    } else {
      note.hidden = true;
    }
  };

  // Fills in the drug's usual schedule when the name comes to mean another drug.
  const prefill = () => {
    const drug = findDrug(drugs, nameInput.value);
    if (drug && (!current || drug.code !== current.code)) {
      const radio = form.querySelector(`input[name="frequency"][value="${drug.frequency}"]`);
      if (radio) radio.checked = true;
      if (monthsInput && drug.interval_months) monthsInput.value = String(drug.interval_months);
    }
    current = drug;
    showNote(drug);
    update();
  };

  if (nameInput) {
    nameInput.addEventListener('input', prefill);
    nameInput.addEventListener('change', prefill);
  }
  form.addEventListener('change', (event) => {
    if (event.target.name === 'frequency') update();
  });
  update();
}
