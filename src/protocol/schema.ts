/**
 * A tiny runtime schema checker: each checker returns null when the value fits, or a message naming the
 * path of the first thing wrong ("range.start: expected a finite number"). Used to check messages that
 * cross the webview boundary before any field is read.
 */
export type Checker = (value: unknown, path: string) => string | null;

const at = (path: string, message: string): string => `${path || 'message'}: ${message}`;

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function string(maxLength = 1 << 20): Checker {
  return (v, p) => (typeof v !== 'string' ? at(p, 'expected a string') : v.length > maxLength ? at(p, `longer than ${maxLength} characters`) : null);
}

export function number(options: { integer?: boolean; min?: number; max?: number } = {}): Checker {
  return (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return at(p, 'expected a finite number');
    if (options.integer && !Number.isInteger(v)) return at(p, 'expected an integer');
    if (options.min !== undefined && v < options.min) return at(p, `below ${options.min}`);
    if (options.max !== undefined && v > options.max) return at(p, `above ${options.max}`);
    return null;
  };
}

/**
 * The most digits an exact count may carry. Path counts grow as 2^(residual blocks): a 5,000-layer tower of 714
 * residual units has path counts of 215 digits, so a small cap would reject real models; a million digits only
 * bounds the work of reading a hostile message.
 */
export const MAX_DECIMAL_DIGITS = 1_000_000;

/** An exact count carried as its decimal digits (JSON numbers are doubles, exact only below 2^53). */
export const decimal: Checker = (v, p) =>
  typeof v !== 'string' || !/^(0|[1-9][0-9]*)$/.test(v)
    ? at(p, 'expected a whole number as a decimal string')
    : v.length > MAX_DECIMAL_DIGITS
      ? at(p, `a whole number of more than ${MAX_DECIMAL_DIGITS.toLocaleString('en-US')} digits`)
      : null;

export const boolean: Checker = (v, p) => (typeof v === 'boolean' ? null : at(p, 'expected a boolean'));

export function literal(...values: readonly (string | number)[]): Checker {
  return (v, p) => (values.includes(v as string | number) ? null : at(p, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`));
}

export function nullable(inner: Checker): Checker {
  return (v, p) => (v === null ? null : inner(v, p));
}

export function array(item: Checker, maxLength = 1_000_000): Checker {
  return (v, p) => {
    if (!Array.isArray(v)) return at(p, 'expected an array');
    if (v.length > maxLength) return at(p, `more than ${maxLength} items`);
    for (let i = 0; i < v.length; i++) {
      const error = item(v[i], `${p}[${i}]`);
      if (error) return error;
    }
    return null;
  };
}

/** A record with string keys and values of one kind (e.g. group id → collapsed). */
export function recordOf(value: Checker, maxKeys = 100_000): Checker {
  return (v, p) => {
    if (!isRecord(v)) return at(p, 'expected an object');
    const keys = Object.keys(v);
    if (keys.length > maxKeys) return at(p, `more than ${maxKeys} keys`);
    for (const key of keys) {
      const error = value(v[key], `${p}.${key}`);
      if (error) return error;
    }
    return null;
  };
}

/** An object with exactly these fields (optional ones may be absent); unknown fields are an error. */
export function object(fields: Record<string, Checker>, optional: Record<string, Checker> = {}): Checker {
  return (v, p) => {
    if (!isRecord(v)) return at(p, 'expected an object');
    for (const [name, check] of Object.entries(fields)) {
      if (!(name in v)) return at(p ? `${p}.${name}` : name, 'missing');
      const error = check(v[name], p ? `${p}.${name}` : name);
      if (error) return error;
    }
    for (const [name, check] of Object.entries(optional)) {
      if (name in v && v[name] !== undefined) {
        const error = check(v[name], p ? `${p}.${name}` : name);
        if (error) return error;
      }
    }
    for (const name of Object.keys(v)) if (!(name in fields) && !(name in optional)) return at(p ? `${p}.${name}` : name, 'unexpected field');
    return null;
  };
}
