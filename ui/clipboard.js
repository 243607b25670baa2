// clipboard.js: text to the clipboard, with the old selection-and-copy way where
// the Clipboard API is refused (WebKitGTK asks for a user gesture it cannot see).

// Copies what a text field holds, by selecting it: works inside the click that
// asked (the copy needs that click's user gesture).
export function copySelected(field) {
  field.focus();
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

export async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'copy-buffer';
  document.body.append(ta);
  const active = document.activeElement;
  const ok = copySelected(ta);
  ta.remove();
  if (active instanceof HTMLElement) active.focus();
  return ok;
}
