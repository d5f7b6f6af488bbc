import type { DiagnosticFix } from './diagnostics';
import type { Range } from './text';

/**
 * "Did you mean …?": the one ranking both diagnostics and completion follow, so the name a diagnostic
 * suggests for `co` is the name completion lists first for `co`.
 *
 * 1. A name that differs only in case (`ReLU` → `relu`).
 * 2. The first name the typed text begins (`co` → `conv`, listed before `concat`), two characters typed or more.
 * 3. The smallest optimal-string-alignment distance (Levenshtein plus adjacent transpositions, so
 *    `rleu` → `relu` is one edit), at most max(1, ⌊length / 3⌋) edits so a short word is never "corrected"
 *    into an unrelated one (`co` is not `in`).
 * Ties go to the candidate listed first. Callers list names in completion's order (labels and blocks by
 * name, then layers in their table order, then `in` and `_`), so both features agree.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const typed = name.toLowerCase();
  const list = [...candidates];
  const exact = list.find((c) => c.toLowerCase() === typed);
  if (exact !== undefined) return exact;
  if (typed.length >= 2) {
    const prefixed = list.find((c) => c.toLowerCase().startsWith(typed));
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of list) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

/** " Did you mean 'x'?" or '', for messages that offer no Quick Fix. */
export function suggestion(name: string, candidates: Iterable<string>): string {
  const close = closestName(name, candidates);
  return close ? ` Did you mean '${close}'?` : '';
}

/**
 * The suggestion as message text and as a Quick Fix that writes it over `range` (the misspelt name).
 * Both are empty when no candidate is close enough.
 */
export function suggest(name: string, candidates: Iterable<string>, range: Range): { hint: string; fix?: DiagnosticFix } {
  const close = closestName(name, candidates);
  if (close === undefined) return { hint: '' };
  return { hint: ` Did you mean '${close}'?`, fix: { title: `Change '${name}' to '${close}'`, range, text: close } };
}
