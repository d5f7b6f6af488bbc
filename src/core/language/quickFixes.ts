import type { Analysis } from '../analyze';
import type { Diagnostic } from '../diagnostics';
import type { Range } from '../text';
import type { TextEdit } from './navigation';

/** One Quick Fix: the edit that resolves `diagnostic`, under the title the light-bulb menu shows. */
export interface QuickFix {
  title: string;
  edit: TextEdit;
  diagnostic: Diagnostic;
}

/**
 * The Quick Fixes for the diagnostics touching `range` (UTF-16 offsets; an empty range is the cursor):
 * every "Did you mean …?", "SkipNet writes this as …" and missing-')' diagnostic carries its replacement,
 * and this lists those, in document order.
 */
export function quickFixesAt(analysis: Analysis, range: Range): QuickFix[] {
  return analysis.diagnostics
    .filter((d) => d.fix && d.range.start <= range.end && range.start <= d.range.end)
    .map((d) => ({ title: d.fix!.title, edit: { range: d.fix!.range, newText: d.fix!.text }, diagnostic: d }));
}

/** `text` with non-overlapping `edits` applied (offsets refer to the original text). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.range.start - a.range.start)) {
    result = result.slice(0, edit.range.start) + edit.newText + result.slice(edit.range.end);
  }
  return result;
}
