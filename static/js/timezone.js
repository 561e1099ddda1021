// Fills the time-zone field from this device, so reminders and "today" follow the patient.
// The field stays editable and the form works without this script.
const field = document.querySelector("input[data-browser-zone]");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (field && zone && !field.dataset.touched) {
  field.value = zone;
}
field?.addEventListener("input", () => { field.dataset.touched = "1"; });
