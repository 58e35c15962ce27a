/*
 * Serial consoles carry terminal escape sequences, NUL bytes and other
 * control characters. They are illegal in XML 1.0 and garble terminals and
 * HTML, so every console line is cleaned before it is matched or reported.
 */

// CSI and OSC sequences as terminals and firmware print them
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
// C0 controls but tab, DEL, C1 controls, and the non-characters XML forbids
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffe\uffff]/g;
// lone surrogates left by cutting a string in the middle of a pair
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** One console line with escape sequences and control characters removed. */
export function sanitizeLine(line: string): string {
  return line.replace(/\r/g, '').replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(LONE_SURROGATE, '\ufffd');
}

/** A multi-line text cleaned line by line; newlines are kept. */
export function sanitizeText(text: string): string {
  return text.split('\n').map(sanitizeLine).join('\n');
}
