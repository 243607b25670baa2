// dom.js: the small page helpers every view uses.

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

// Puts the cursor in a field once the window has drawn, unless the person has
// already put it somewhere: a frame can come late, and typing must never jump
// to another field mid-word.
export function focusSoon(field) {
  requestAnimationFrame(() => {
    const current = document.activeElement;
    // A focused element that was hidden meanwhile (a closed panel) holds no one's cursor.
    const held = current && current !== document.body && current.isConnected && current.getClientRects().length > 0;
    if (!held) field.focus();
  });
}
