// The check-in's screening and groups. Without this script the checklist is simply shown and
// the groups start closed; the advice next to a ticked sign is the stylesheet's (:has).
const panel = document.querySelector("[data-worry-panel]");
const gate = [...document.querySelectorAll("input[name=worried]")];
if (panel && gate.length) {
  const anythingTicked = () => panel.querySelector("input:checked[value]:not([value=no])") !== null;
  const showPanel = () => {
    const yes = gate.some((input) => input.checked && input.value === "yes");
    panel.hidden = !yes && !anythingTicked();
  };
  gate.forEach((input) => input.addEventListener("change", showPanel));
  showPanel();
}

// The bowel question is asked only on a day with opioid doses.
const opioid = document.querySelector("input[name=opioid_doses]");
const bowel = document.querySelector("[data-opioid-day]");
if (opioid && bowel) {
  const showBowel = () => {
    bowel.hidden = !(Number(opioid.value) > 0);
  };
  opioid.addEventListener("input", showBowel);
  showBowel();
}

// The groups open as the patient usually opens them (kept on this phone only).
const KEY = "upright.checkin.openGroups";
const groups = [...document.querySelectorAll("details[data-group]")];
let remembered = [];
try {
  remembered = JSON.parse(localStorage.getItem(KEY) || "[]");
} catch (error) {
  remembered = [];
}
for (const group of groups) {
  if (remembered.includes(group.dataset.group)) group.open = true;
  group.addEventListener("toggle", () => {
    const open = groups.filter((g) => g.open).map((g) => g.dataset.group);
    try {
      localStorage.setItem(KEY, JSON.stringify(open));
    } catch (error) {
      /* private mode: nothing to remember */
    }
  });
}

// A ticked sign's advice and call buttons appear under it (the stylesheet shows them); bring
// them into view if they open below the bottom of the screen.
document.querySelectorAll(".sign input, .fall-q input").forEach((input) => {
  input.addEventListener("change", () => {
    const advice = input.closest(".sign, .fall-q")?.querySelector(".sign-advice");
    if (advice && advice.offsetParent !== null) advice.scrollIntoView({ block: "nearest" });
  });
});
