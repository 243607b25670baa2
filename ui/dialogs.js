// dialogs.js: small in-page questions ("Delete this video?"). Each <dialog> in
// index.html has a safe button (focused first) and a confirming one. Esc or a
// click on the dimmed backdrop dismisses the question without an answer.

import { onBackdrop } from './dom.js';

// Opens the dialog; answers the name of the button pressed, or null if dismissed.
// buttons: { name: <button> }; focus: the button that has focus first.
export function choose(dialog, buttons, focus) {
  if (dialog.open) dialog.close();
  const opener = document.activeElement;
  return new Promise((resolve) => {
    let answer = null;
    const handlers = Object.entries(buttons).map(([name, button]) => {
      const fn = () => { answer = name; dialog.close(); };
      button.addEventListener('click', fn);
      return [button, fn];
    });
    const backdrop = (e) => {
      if (onBackdrop(dialog, e)) dialog.close();
    };
    const onClose = () => {
      handlers.forEach(([button, fn]) => button.removeEventListener('click', fn));
      dialog.removeEventListener('click', backdrop);
      dialog.removeEventListener('close', onClose);
      // Back to where the creator was, if that is still on the page.
      if (opener instanceof HTMLElement && opener.isConnected && !opener.closest('[hidden]') && !(/** @type {HTMLElement & { disabled?: boolean }} */ (opener)).disabled) opener.focus();
      resolve(answer);
    };
    dialog.addEventListener('click', backdrop);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    focus?.focus();
  });
}

// A yes/no question: true only if the confirming button was pressed.
export async function ask(dialog, { confirm, cancel, focus = cancel }) {
  return (await choose(dialog, { confirm, cancel }, focus)) === 'confirm';
}
