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
  | 'invalid-padding'
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
  | 'reference-position'
  | 'dead-layer'
  | 'unused-input'
  | 'feature-count-argument'
  | 'output-mismatch'
  | 'squashed-logits'
  | 'unsupported-layer';

export interface RelatedInformation {
  range: Range;
  message: string;
}

/**
 * A replacement that resolves a diagnostic: the editor offers it as a Quick Fix. `range` is the text to
 * replace (UTF-16 offsets, may be empty to insert), `text` what goes there, `title` what the menu shows.
 */
export interface DiagnosticFix {
  title: string;
  range: Range;
  text: string;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  range: Range;
  related?: RelatedInformation[];
  /** Present on "Did you mean …" and "SkipNet writes this as …" diagnostics. */
  fix?: DiagnosticFix;
}

/** A call site the expansion is inside while it reports: each report made there names it as related information. */
export interface CallSite {
  range: Range;
  message: string;
}

/**
 * Collects diagnostics and drops exact repeats (a block instantiated 50 times reports its error once).
 * While the expansion is inside block instances (`enter`/`leave`), every report names those call sites,
 * innermost first; a repeat of the same error from another call site adds that site to the first report.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Map<string, Diagnostic>();
  private readonly callSites: CallSite[] = [];
  /** Errors reported so far, repeats included: the expansion compares it before and after a model. */
  errorReports = 0;

  add(code: DiagnosticCode, message: string, range: Range, related?: RelatedInformation[], severity: Severity = 'error', fix?: DiagnosticFix): void {
    if (severity === 'error') this.errorReports++;
    const sites = this.callSites.slice().reverse();
    const allRelated = [...(related ?? []), ...sites];
    const key = `${code}|${range.start}|${range.end}|${message}`;
    const earlier = this.seen.get(key);
    if (earlier) {
      // Same error from another instance: name the call sites not named yet (one per source range).
      for (const site of sites) {
        const list = (earlier.related ??= []);
        if (!list.some((r) => r.range.start === site.range.start && r.range.end === site.range.end)) list.push(site);
      }
      return;
    }
    const item: Diagnostic = { code, severity, message, range };
    if (allRelated.length) item.related = allRelated;
    if (fix) item.fix = fix;
    this.seen.set(key, item);
    this.items.push(item);
  }

  /** The expansion enters a block instance called at `site`; reports until `leave()` name it. */
  enter(site: CallSite): void {
    this.callSites.push(site);
  }

  leave(): void {
    this.callSites.pop();
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
}
