// Shows what to do as soon as a warning sign is ticked: only the most urgent tier's advice,
// right under that tier's list. Without this script the same guidance comes after saving.
const sections = [...document.querySelectorAll("[data-live-guidance] [data-guidance]")];
const inputs = [...document.querySelectorAll("input[name=warning_signs][data-tier]")];
const update = () => {
  const ticked = new Set(inputs.filter((input) => input.checked).map((input) => input.dataset.tier));
  const top = ["emergency", "urgent", "routine"].find((tier) => ticked.has(tier));
  for (const section of sections) {
    section.hidden = section.dataset.guidance !== top;
  }
};
inputs.forEach((input) => input.addEventListener("change", update));
update();
