/**
 * Text from outside (a webhook receiver's response, a vendor's error message) made safe to store
 * in a text column on both backends: valid UTF-8, no NUL (PostgreSQL refuses it in text) and no
 * other control characters except tab and line breaks, at most `maxBytes` bytes, never cut inside
 * a character. Replaced characters become U+FFFD, so the reader sees that something was there.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** The longest prefix of `bytes` up to `maxBytes` that ends on a character boundary, decoded. */
function decodePrefix(bytes: Buffer, maxBytes: number): string {
  // stream: true holds back a character the cap cut in half instead of emitting U+FFFD for it;
  // invalid sequences elsewhere become U+FFFD.
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, maxBytes), { stream: true });
}

export function storableText(input: Buffer | string, maxBytes: number): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const cleaned = decodePrefix(bytes, maxBytes).replace(UNSTORABLE, '\uFFFD');
  // A replacement is 3 bytes where the original was 1: cut again so the cap holds.
  return Buffer.byteLength(cleaned) > maxBytes
    ? decodePrefix(Buffer.from(cleaned, 'utf8'), maxBytes)
    : cleaned;
}
