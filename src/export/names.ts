import type { Expr, Statement } from '../core/ast';
import { copyStem, scopeLabels } from '../core/checks';
import type { Range } from '../core/text';
import type { Value } from '../core/values';
import { attributeName } from './python';

/** A whole number: `k` when known at export time (`py` empty), else the Python expression `py + k`. */
export interface Count {
  py: string;
  k: number;
}

export const ZERO: Count = { py: '', k: 0 };

export function countText(count: Count): string {
  if (!count.py) return String(count.k);
  return count.k === 0 ? count.py : `${count.py} + ${count.k}`;
}

/** `count + times × per` (per and times may be Python expressions). */
export function addCount(count: Count, per: number, times: string): Count {
  const term = per === 1 ? times : `${per} * ${times}`;
  return { py: count.py ? `${count.py} + ${term}` : term, k: count.k };
}

/** A module name: a Python string literal or f-string expression, and the plain name when known at export time. */
export interface Name {
  py: string;
  text?: string;
}

/** A family of names one scope can make; the core numbers and copies them as src/core/expand.ts's localName does. */
export type Family =
  | { form: 'numbered'; stem: string; key: string } // conv1, conv2, … and label1 … labelN of a labelled repeat
  | { form: 'runs'; stem: string; key: string } // a, a_2, a_3, …: a label run more than once
  | { form: 'literal'; stem: string; key: string };

const DIGITS = /^[1-9]\d*$/;
const inNumbered = (name: string, stem: string): boolean => name.startsWith(stem) && DIGITS.test(name.slice(stem.length));
const numberedOverlap = (p: string, q: string): boolean => {
  const [short, long] = p.length <= q.length ? [p, q] : [q, p];
  return long.startsWith(short) && (long === short || DIGITS.test(long.slice(short.length)));
};

/** Whether two families can make the same name. */
export function overlap(a: Family, b: Family): boolean {
  if (a.form === 'literal' && b.form === 'literal') return a.stem === b.stem;
  if (b.form === 'literal') return overlap(b, a);
  if (a.form === 'literal') return b.form === 'numbered' ? inNumbered(a.stem, b.stem) : a.stem === b.stem || inNumbered(a.stem, `${b.stem}_`);
  if (a.form === 'numbered' && b.form === 'numbered') return numberedOverlap(a.stem, b.stem);
  if (b.form === 'numbered') return overlap(b, a);
  if (a.form === 'numbered') return inNumbered(b.stem, a.stem) || numberedOverlap(`${b.stem}_`, a.stem);
  return a.stem === b.stem || inNumbered(a.stem, `${b.stem}_`) || inNumbered(b.stem, `${a.stem}_`) || numberedOverlap(`${a.stem}_`, `${b.stem}_`);
}

export class NamingError {
  constructor(readonly message: string, readonly range: Range) {}
}

/**
 * The names of one SkipNet scope (a block body, a model, a labelled repeat's copy), as the core gives them:
 * labels keep theirs, other layers and blocks are numbered per kind around the labels. Names that depend on a
 * count known only in PyTorch (a repeat over a block parameter) are Python expressions; they are exact only when
 * no other name of the scope can take the same form, which is checked.
 */
export class ScopeNames {
  private readonly used = new Set<string>();
  private readonly owners = new Map<string, number>();
  private readonly uses = new Map<string, number>();
  private readonly counters = new Map<string, Count>();
  private readonly claimed: Set<string>;

  /**
   * @param body the scope's statements
   * @param families every name family the scope can make (see scopeFamilies)
   * @param constantCount a repeat count's value when it needs no parameter and no `channels`
   */
  constructor(body: Statement[], private readonly families: Family[], constantCount: (count: Expr) => Value | undefined, range: Range) {
    this.claimed = scopeLabels(body, constantCount);
    for (const family of families) {
      if (family.form !== 'numbered' || !family.key.startsWith('@')) continue;
      // A labelled repeat whose count is a block parameter: the core claims its copies before the scope runs.
      const other = families.find((f) => f.key !== family.key && overlap(f, family));
      if (other) throw new NamingError(`Cannot export: the copies ${family.stem}1, ${family.stem}2, … of this labelled repeat depend on its count and can take the name of '${other.stem}'; choose another label.`, range);
    }
  }

  /** The count of names made so far under `key` (`#kind` for numbered layers, `=label` for runs of a label). */
  count(key: string): Count {
    return this.counters.get(key) ?? ZERO;
  }

  setCount(key: string, count: Count): void {
    this.counters.set(key, count);
  }

  /** The next unlabelled layer or block of this kind: `conv3`. */
  numbered(kind: string, range: Range): Name {
    const key = `#${kind}`;
    const counter = this.count(key);
    if (!counter.py) {
      let n = counter.k;
      let name: string;
      do name = `${kind}${++n}`;
      while (this.used.has(name) || this.owners.has(name) || this.claimed.has(name));
      this.counters.set(key, { py: '', k: n });
      this.used.add(name);
      return { py: JSON.stringify(name), text: name };
    }
    this.check(key, range);
    const next = { py: counter.py, k: counter.k + 1 };
    this.counters.set(key, next);
    return { py: `f"${kind}{${countText(next)}}"` };
  }

  /** A label written once per run of its statement: the label, then label_2, label_3, … on later runs. */
  labelled(label: string, owner: number, range: Range): Name {
    const key = `=${label}`;
    const run = this.count(key);
    this.counters.set(key, { py: run.py, k: run.k + 1 });
    if (run.py) {
      this.check(key, range);
      const first = attributeName(label);
      return { py: `copy_name(${[JSON.stringify(label), countText(run), ...(first === label ? [] : [JSON.stringify(first)])].join(', ')})` };
    }
    if (!this.owners.has(label)) {
      this.owners.set(label, owner);
      this.used.add(label);
      return { py: JSON.stringify(label), text: label };
    }
    let uses = this.uses.get(label) ?? 1;
    let name: string;
    do name = `${label}_${++uses}`;
    while (this.used.has(name));
    this.uses.set(label, uses);
    this.used.add(name);
    return { py: JSON.stringify(name), text: name };
  }

  /** The copies `label1 … labelN` (`block1_1 …`: `copyName`) of a labelled repeat whose count is known only in PyTorch, for copy `index` (from 0). */
  repeatCopy(label: string, index: string, key: string, range: Range): Name {
    this.check(key, range);
    return { py: `f"${copyStem(label)}{${index} + 1}"` };
  }

  private check(key: string, range: Range): void {
    const family = this.families.find((f) => f.key === key);
    if (!family) return;
    const other = this.families.find((f) => f.key !== key && overlap(f, family));
    if (other) {
      throw new NamingError(
        `Cannot export: the names ${family.form === 'runs' ? `${family.stem}, ${family.stem}_2` : `${family.stem}1, ${family.stem}2`}, … here depend on a repeat count known only in PyTorch and can take the name of '${other.stem}'; choose another label.`,
        range,
      );
    }
  }
}
