/**
 * Parser for Stripe's form encoding: `application/x-www-form-urlencoded` bodies (and query strings)
 * whose keys use brackets for nesting, as stripe-node writes them: `metadata[grant_id]=g1`,
 * `line_items[0][price]=price_1`, `expand[]=line_items`.
 */

/** A parsed form value: a string leaf, an array (indexed or `[]` keys) or a nested object. */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

// Keys that would reach Object.prototype if used on a plain object.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const INDEX = /^(0|[1-9]\d{0,3})$/;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`; a key without brackets is one segment. */
export function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  const pattern = /\[([^\]]*)\]/g;
  pattern.lastIndex = open;
  let match: RegExpExecArray | null;
  let end = open;
  while ((match = pattern.exec(key)) !== null && match.index === end) {
    segments.push(match[1] ?? '');
    end = pattern.lastIndex;
  }
  // Trailing garbage after the last bracket pair (`a[b]c`) is kept as part of the last segment.
  if (end < key.length) segments[segments.length - 1] += key.slice(end);
  return segments;
}

function emptyObject(): FormObject {
  return Object.create(null) as FormObject;
}

function isObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && !Array.isArray(value);
}

function assign(target: FormObject, segments: string[], value: string): void {
  let node = target;
  for (let i = 0; i < segments.length; i++) {
    let segment = segments[i] ?? '';
    if (FORBIDDEN_KEYS.has(segment)) return;
    // `[]` appends: it names the next free index of this node.
    if (segment === '' && i > 0) segment = String(Object.keys(node).length);
    if (i === segments.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (isObject(next)) {
      node = next;
    } else {
      const created = emptyObject();
      node[segment] = created;
      node = created;
    }
  }
}

/** Objects whose keys are all small non-negative integers become arrays, in index order. */
function normalize(value: FormValue): FormValue {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => normalize(value[String(k)] ?? ''));
  }
  const out = emptyObject();
  for (const key of keys) out[key] = normalize(value[key] ?? '');
  return out;
}

/** Parses a form body or a query string (without the leading `?`). */
export function parseForm(text: string): FormObject {
  const root = emptyObject();
  if (text.length === 0) return root;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decode(rawKey);
    if (key.length === 0) continue;
    assign(root, splitKey(key), decode(rawValue));
  }
  const normalized = normalize(root);
  return isObject(normalized) ? normalized : root;
}

/** A canonical string of a parsed form, independent of key order: used to compare idempotent requests. */
export function canonicalForm(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalForm).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalForm(value[k] ?? '')}`).join(',')}}`;
}

export function isFormObject(value: FormValue | undefined): value is FormObject {
  return isObject(value);
}
