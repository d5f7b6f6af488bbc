/**
 * How counts and sizes are written for people. Every formatter takes the exact value (bigint, or a
 * number that is a safe integer); the full forms (`formatCount`) keep every digit at any size, the short
 * forms (`formatMacs`, `formatBytes`) round to three significant figures in the largest unit that keeps
 * the figure below 1000 (1024 for bytes), and past their last unit switch to scientific notation, so a
 * figure never reads like "10093555.40 G".
 */

/** A count or a size: bigint in the core, or a safe-integer number. */
export type Quantity = bigint | number;

/** SI prefixes for counts (MACs): 10^3 … 10^30. */
const DECIMAL_UNITS = ['K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y', 'R', 'Q'];
/** IEC prefixes for bytes: 2^10 … 2^80. */
const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function exact(value: Quantity): bigint {
  return typeof value === 'bigint' ? value : BigInt(Math.round(value));
}

/** Every digit, grouped by thousands: 11689512n → "11,689,512"; exact past 2^53. */
export function formatCount(count: Quantity): string {
  const value = exact(count);
  const digits = (value < 0n ? -value : value).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return value < 0n ? `-${grouped}` : grouped;
}

/**
 * `value / base^k` rounded to `decimals` places, exactly (bigint), for the largest k with a figure below
 * `base`; k = 0 means the value is below `base` and is written whole. Rounding that reaches `base`
 * (999.996 K) moves up a unit. Returns undefined past the last unit.
 */
function scaled(value: bigint, base: bigint, units: number, decimals: (unit: number, whole: bigint) => number): { text: string; unit: number } | undefined {
  let unit = 0;
  let divisor = 1n;
  while (unit < units && value >= divisor * base) {
    divisor *= base;
    unit++;
  }
  if (unit === 0) return { text: value.toString(), unit: 0 };
  for (;;) {
    let places = decimals(unit, value / divisor);
    let factor = 10n ** BigInt(places);
    let rounded = (value * factor * 2n + divisor) / (divisor * 2n);
    // 99.96 rounds to 100.0: write it with the places of the figure it became (100).
    const after = decimals(unit, rounded / factor);
    if (after < places) {
      places = after;
      factor = 10n ** BigInt(places);
      rounded = (value * factor * 2n + divisor) / (divisor * 2n);
    }
    if (rounded >= base * factor) {
      if (unit === units) return undefined;
      divisor *= base;
      unit++;
      continue;
    }
    const whole = (rounded / factor).toString();
    const fraction = places > 0 ? `.${(rounded % factor).toString().padStart(places, '0')}` : '';
    return { text: `${whole}${fraction}`, unit };
  }
}

/** Three significant figures in scientific notation, from the exact digits: 1234567n → "1.23e6". */
function scientific(value: bigint): string {
  const digits = value.toString();
  const exponent = digits.length - 1;
  const leading = BigInt(digits.slice(0, 4).padEnd(4, '0'));
  let mantissa = (leading + 5n) / 10n;
  let shown = exponent;
  if (mantissa >= 1000n) {
    mantissa /= 10n;
    shown++;
  }
  const text = mantissa.toString();
  return `${text[0]}.${text.slice(1)}e${shown}`;
}

/**
 * Short multiply-accumulate counts: 1814073344n → "1.81 G", 1320n → "1.3 K", beyond 1000 Q (10^33)
 * "1.23e36". Two decimals from M up, one for K (the figures torchinfo and fvcore print).
 */
export function formatMacs(macs: Quantity): string {
  const value = exact(macs);
  if (value < 0n) return `-${formatMacs(-value)}`;
  const short = scaled(value, 1000n, DECIMAL_UNITS.length, (unit) => (unit === 1 ? 1 : 2));
  if (!short) return scientific(value);
  return short.unit === 0 ? short.text : `${short.text} ${DECIMAL_UNITS[short.unit - 1]}`;
}

/** Every digit, then the short form from a thousand up: 4089184256n → "4,089,184,256 (4.09 G)". */
export function formatMacsExact(macs: Quantity): string {
  const value = exact(macs);
  return value < 1000n && value > -1000n ? formatCount(value) : `${formatCount(value)} (${formatMacs(value)})`;
}

/**
 * Sizes in bytes with IEC units: 512 → "512 B", 1536 → "1.50 KiB", 157286400 → "150 MiB", up to YiB, then
 * "1.24e27 B". Three significant figures (two decimals below 10, one below 100).
 */
export function formatBytes(bytes: Quantity): string {
  const value = exact(bytes);
  if (value < 0n) return `-${formatBytes(-value)}`;
  const short = scaled(value, 1024n, BINARY_UNITS.length, (_unit, whole) => (whole >= 100n ? 0 : whole >= 10n ? 1 : 2));
  if (!short) return `${scientific(value)} B`;
  return short.unit === 0 ? `${short.text} B` : `${short.text} ${BINARY_UNITS[short.unit - 1]}`;
}

/**
 * The noun that goes with `count`: `singular` for exactly 1, else `plural` (by default the singular + "s"), so a
 * message reads "1 step" and "2 steps", never "1 steps". The caller writes the count itself, formatted as it likes.
 */
export function pluralize(count: Quantity, singular: string, plural = `${singular}s`): string {
  return count === 1 || count === 1n ? singular : plural;
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 2 });

/**
 * A value in at most about four characters for a small cell (a heat-map square): two significant digits, with
 * K/M/B for thousands and up ("130", "1.3K", "0.053"), never the "1.3e+2" of toPrecision. Values below 0.001 in
 * magnitude keep two significant digits in exponent form ("4.2e-5"), which compact notation would round to 0.
 */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(1);
  return COMPACT.format(value);
}
