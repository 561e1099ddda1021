// Shows what to do as soon as a warning sign is ticked, most urgent tier first.
// Without this script the same guidance appears on the screen after saving.
const box = document.querySelector("[data-live-guidance]");
if (box) {
  const inputs = [...document.querySelectorAll("input[name=warning_signs][data-tier]")];
  const update = () => {
    const ticked = new Set(inputs.filter((input) => input.checked).map((input) => input.dataset.tier));
    const top = ["emergency", "urgent", "routine"].find((tier) => ticked.has(tier));
    for (const section of box.querySelectorAll("[data-guidance]")) {
      section.hidden = section.dataset.guidance !== top;
    }
  };
  inputs.forEach((input) => input.addEventListener("change", update));
  update();
}
