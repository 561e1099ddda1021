// "Copy the link" buttons next to read-only fields (data-copy="<field id>"). Without
// JavaScript the button stays hidden and the field can still be selected and copied.

async function copyText(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch (error) {
    field.select(); // no clipboard permission: select it, so "Copy" in the menu does it
    return false;
  }
}

export function startCopyButtons() {
  document.querySelectorAll('[data-copy]').forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!field) return;
    button.hidden = false;
    button.addEventListener('click', async () => {
      const copied = await copyText(field);
      if (status) {
        status.textContent = copied
          ? 'Copied. Paste it into your calendar app.'
          : 'The link is selected: choose Copy from your phone’s menu.';
      }
    });
  });
}
