// dom.js: the two page helpers every view uses.

export const $ = (id) => document.getElementById(id);

// A click on a modal <dialog>'s dimmed backdrop lands on the dialog itself,
// outside its box: true for that click only.
export function onBackdrop(dialog, e) {
  if (e.target !== dialog) return false;
  const r = dialog.getBoundingClientRect();
  return e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom;
}

// The dialog closes on a backdrop click, as it does on Esc.
export function closeOnBackdrop(dialog) {
  dialog.addEventListener('click', (e) => {
    if (onBackdrop(dialog, e)) dialog.close();
  });
}
