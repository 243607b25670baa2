// @ts-check
// dom.js: the small page helpers every view uses.

/**
 * The element with this id; index.html holds every id the views ask for.
 * @param {string} id
 * @returns {HTMLElement}
 */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * The element with this id, of the kind the view needs (a field, a dialog, a
 * player): markup and script that disagree fail here, naming the id, as the view
 * is built, not later at a click.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, name: string }} kind
 * @returns {T}
 */
export function $as(id, kind) {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`#${id} is not a ${kind.name}`);
  return found;
}

// Words are set only when they change: replacing a button's text between a
// press and its release (a redraw on a field's change, a job's progress) loses
// the click.
/** @param {Node} node @param {string} text */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// A click on a modal <dialog>'s dimmed backdrop lands on the dialog itself,
// outside its box: true for that click only.
/** @param {HTMLDialogElement} dialog @param {MouseEvent} e */
export function onBackdrop(dialog, e) {
  if (e.target !== dialog) return false;
  const r = dialog.getBoundingClientRect();
  return e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom;
}

// The dialog closes on a backdrop click, as it does on Esc.
/** @param {HTMLDialogElement} dialog */
export function closeOnBackdrop(dialog) {
  dialog.addEventListener('click', (e) => {
    if (onBackdrop(dialog, e)) dialog.close();
  });
}

// Puts the cursor in a field once the window has drawn, unless the person has
// already put it somewhere: a frame can come late, and typing must never jump
// to another field mid-word.
/** @param {HTMLElement} field */
export function focusSoon(field) {
  requestAnimationFrame(() => {
    const current = document.activeElement;
    // A focused element that was hidden meanwhile (a closed panel) holds no one's cursor.
    const held = current && current !== document.body && current.isConnected && current.getClientRects().length > 0;
    if (!held) field.focus();
  });
}
