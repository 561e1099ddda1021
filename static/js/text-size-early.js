// Runs in <head>, before the page is drawn: the text size this phone chose (Settings, More)
// is applied before the first paint, so the page never flashes at the default size first.
// Without JavaScript, or with nothing stored, the page keeps its default size.
try {
  const size = window.localStorage.getItem('upright-text-size');
  if (size === 'large' || size === 'larger') document.documentElement.dataset.textSize = size;
} catch (error) { /* storage blocked: the default size */ }
