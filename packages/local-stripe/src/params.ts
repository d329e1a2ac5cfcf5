/** Typed readers over a parsed form that fail the way Stripe does (400 with the offending `param`). */
import { invalidParam, missingParam, unknownParam } from './errors.js';
import { isFormObject, type FormObject, type FormValue } from './form.js';

function at(path: string, key: string): string {
  return path === '' ? key : `${path}[${key}]`;
}

/** A view of one level of a parsed form; `path` is used to name nested params in errors. */
export class Params {
  constructor(
    readonly raw: FormObject,
    readonly path = '',
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  name(key: string): string {
    return at(this.path, key);
  }

  /** Rejects keys outside `allowed`, like Stripe's `Received unknown parameter`. */
  allowOnly(allowed: readonly string[]): this {
    for (const key of Object.keys(this.raw)) {
      if (!allowed.includes(key)) throw unknownParam(this.name(key));
    }
    return this;
  }

  string(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalidParam(this.name(key), `Invalid string: ${this.name(key)}`);
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw missingParam(this.name(key));
    return value;
  }

  /** A string that is not empty; `''` is rejected as Stripe does for ids and urls. */
  nonEmptyString(key: string): string | undefined {
    const value = this.string(key);
    if (value === '') {
      throw invalidParam(
        this.name(key),
        `You passed an empty string for '${this.name(key)}'. We assume empty values are an attempt to unset a parameter; however '${this.name(key)}' cannot be unset. You should remove '${this.name(key)}' from your request or supply a non-empty value.`,
        'parameter_invalid_empty',
      );
    }
    return value;
  }

  integer(key: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) {
      throw invalidParam(this.name(key), `Invalid integer: ${value}`, 'parameter_invalid_integer');
    }
    const n = Number(value);
    if (bounds.min !== undefined && n < bounds.min) {
      throw invalidParam(
        this.name(key),
        `This value must be greater than or equal to ${bounds.min}.`,
        'parameter_invalid_integer',
      );
    }
    if (bounds.max !== undefined && n > bounds.max) {
      throw invalidParam(
        this.name(key),
        `This value must be less than or equal to ${bounds.max}.`,
        'parameter_invalid_integer',
      );
    }
    return n;
  }

  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw invalidParam(this.name(key), `Invalid boolean: ${value}`);
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const found = values.find((v) => v === value);
    if (found === undefined) {
      throw invalidParam(this.name(key), `Invalid ${this.name(key)}: must be one of ${values.join(', ')}`);
    }
    return found;
  }

  object(key: string): Params | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (!isFormObject(value)) throw invalidParam(this.name(key), `Invalid object: ${this.name(key)}`);
    return new Params(value, this.name(key));
  }

  /** An array of nested objects (`line_items[0][price]`). */
  objects(key: string): Params[] | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw invalidParam(this.name(key), `Invalid array: ${this.name(key)}`);
    return value.map((item, i) => {
      if (!isFormObject(item)) throw invalidParam(at(this.name(key), String(i)), 'Invalid object');
      return new Params(item, at(this.name(key), String(i)));
    });
  }

  /** An array of strings (`expand[]=a`, `types[0]=b`); a single string counts as one element. */
  strings(key: string): string[] | undefined {
    const value: FormValue | undefined = this.raw[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value === '' ? [] : [value];
    if (!Array.isArray(value)) throw invalidParam(this.name(key), `Invalid array: ${this.name(key)}`);
    return value.map((item) => {
      if (typeof item !== 'string') throw invalidParam(this.name(key), `Invalid array: ${this.name(key)}`);
      return item;
    });
  }

  /**
   * Stripe metadata: `metadata[k]=v` sets, `metadata[k]=` removes one key, `metadata=` clears all.
   * Returns the update to apply, or undefined when the param is absent.
   */
  metadata(key = 'metadata'): MetadataUpdate | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (value === '') return { clear: true, set: {}, remove: [] };
    if (!isFormObject(value)) throw invalidParam(this.name(key), `Invalid hash: ${this.name(key)}`);
    const update: MetadataUpdate = { clear: false, set: {}, remove: [] };
    const keys = Object.keys(value);
    if (keys.length > 50) throw invalidParam(this.name(key), 'Metadata can have up to 50 keys.');
    for (const k of keys) {
      const v = value[k];
      if (typeof v !== 'string')
        throw invalidParam(at(this.name(key), k), 'Metadata values must be strings.');
      if (k.length > 40)
        throw invalidParam(at(this.name(key), k), 'Metadata keys can be at most 40 characters.');
      if (v.length > 500) {
        throw invalidParam(at(this.name(key), k), 'Metadata values can be at most 500 characters.');
      }
      if (v === '') update.remove.push(k);
      else update.set[k] = v;
    }
    return update;
  }
}

export interface MetadataUpdate {
  clear: boolean;
  set: Record<string, string>;
  remove: string[];
}

export function applyMetadata(current: Record<string, string>, update: MetadataUpdate | undefined) {
  if (update === undefined) return { ...current };
  const next: Record<string, string> = update.clear ? {} : { ...current };
  for (const k of update.remove) delete next[k];
  Object.assign(next, update.set);
  return next;
}
