import type { Range } from './text';

export type Severity = 'error' | 'warning' | 'info';

/** Every problem the core reports has a stable code, documented in docs/language.md. */
export type DiagnosticCode =
  | 'syntax'
  | 'invalid-token'
  | 'unknown-name'
  | 'unknown-layer-or-block'
  | 'unknown-argument'
  | 'argument-count'
  | 'argument-type'
  | 'missing-argument'
  | 'duplicate-argument'
  | 'invalid-size'
  | 'duplicate-name'
  | 'duplicate-definition'
  | 'reserved-name'
  | 'shape-mismatch'
  | 'spatial-mismatch'
  | 'invalid-shape'
  | 'recursive-block'
  | 'model-too-large'
  | 'invalid-training'
  | 'bn-single-value'
  | 'reference-position';

export interface RelatedInformation {
  range: Range;
  message: string;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  range: Range;
  related?: RelatedInformation[];
}

/** Collects diagnostics and drops exact repeats (a block instantiated 50 times reports its error once). */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  add(code: DiagnosticCode, message: string, range: Range, related?: RelatedInformation[], severity: Severity = 'error'): void {
    const key = `${code}|${range.start}|${range.end}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(related && related.length ? { code, severity, message, range, related } : { code, severity, message, range });
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
}
