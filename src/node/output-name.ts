/**
 * Output folder names from input file names: one safe path segment, whatever the input is called.
 *
 * `path.parse('..jpg').name` is `.` and `path.parse('...jpg').name` is `..`: used as a folder
 * name, those pointed at the output folder itself or its parent, which the atomic replace then
 * removed. {@link safeOutputName} maps every name to a single segment that is never `.` or `..`,
 * holds no separator or control character, does not start with a dot (so it can never look like
 * facedetail's hidden temp folders), is valid on Windows too, and is bounded in length.
 */

/** Longest output name, in UTF-8 bytes: leaves room for `_face<i>`, `_<k>` and the hidden `.<name>.tmp-<hex>` (file systems allow 255). */
const MAX_OUTPUT_NAME_BYTES = 120;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * A safe output folder name for an input's name stem (`fallback` when nothing usable is left).
 *
 * @example
 * safeOutputName('grace_hopper');   // 'grace_hopper'
 * safeOutputName('..');             // 'image'
 * safeOutputName('a/b\u001b[31m');  // 'a_b_[31m'
 */
export function safeOutputName(stem: string, fallback = 'image'): string {
  let s = stem.normalize('NFC')
    // control characters (C0, DEL, C1), separators and the characters Windows forbids
    .replace(/[\u0000-\u001f\u007f-\u009f/\\<>:"|?*]/g, '_')
    // bidirectional overrides and other invisible format characters that disguise a name
    .replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  s = truncateUtf8(s, MAX_OUTPUT_NAME_BYTES).replace(/[\s.]+$/g, '');
  if (s === '' || /^_+$/.test(s)) return fallback;
  if (WINDOWS_DEVICE.test(s)) s = `${s}_`;
  return s;
}

/** The longest prefix of `s` (whole code points) whose UTF-8 encoding has at most `maxBytes` bytes. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/**
 * A file name made safe to print on a terminal: control characters (escape sequences, newlines,
 * carriage returns, bidirectional overrides) are shown as `\xNN` / `\u{NNNN}` escapes, so a
 * hostile name cannot rewrite the screen or fake a line of output.
 *
 * @example
 * printableName('evil\u001b[2J.jpg'); // 'evil\\x1b[2J.jpg'
 */
export function printableName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}
