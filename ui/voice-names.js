// @ts-check
// voice-names.js: voices appear in a prompt by name, "[Grandpa]", while the wire
// keeps Kling's "<<<voice_1>>>" (what Segmind reads). A name stands for the voice
// in its slot, so it reads as the creator thinks of it and survives copy and
// paste as plain text; a prompt pasted with "<<<voice_1>>>" in it still works.
// A name that cannot be written this way (one with a bracket) keeps the wire form.

const NAMED = /\[([^[\]\n]{1,60})\]/g;
const WIRE = /<<<voice_([1-9])>>>/g;

/** @param {string} name */
const writable = (name) => !!name && !/[[\]\n]/.test(name);

/**
 * The prompt as Segmind reads it: "[Name]" of a slot's voice becomes its reference.
 * @param {string} text @param {string[]} names the slots' voice names ('' for none)
 */
export function toWire(text, names) {
  return String(text).replace(NAMED, (whole, name) => {
    const slot = names.findIndex((n) => writable(n) && n === name.trim());
    return slot < 0 ? whole : `<<<voice_${slot + 1}>>>`;
  });
}

/**
 * The prompt as the creator reads it: each reference whose slot has a named
 * voice shows that name.
 * @param {string} text @param {string[]} names
 */
export function toNames(text, names) {
  return String(text).replace(WIRE, (whole, n) => {
    const name = names[Number(n) - 1] || '';
    return writable(name) ? `[${name}]` : whole;
  });
}

/** How a slot's voice is put in a prompt. @param {number} n @param {string[]} names */
export function reference(n, names) {
  const name = names[n - 1] || '';
  return writable(name) ? `[${name}]` : `<<<voice_${n}>>>`;
}
