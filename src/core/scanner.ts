import type { DiagnosticFix } from './diagnostics';
import type { Range } from './text';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'shape'
  | 'string'
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'colon'
  | 'semicolon'
  | 'equals'
  | 'arrow'
  | 'plus'
  | 'minus'
  | 'star'
  | 'slash'
  | 'slashslash'
  | 'percent'
  | 'invalid'
  | 'eof';

export interface Token extends Range {
  kind: TokenKind;
  text: string;
  /** True when a line break separates this token from the previous one: statements end at line breaks. */
  newlineBefore: boolean;
  /** For 'number': its value. For 'shape': its dimensions (e.g. 32x32x3 → [32, 32, 3]). */
  value?: number;
  dims?: number[];
  /** Set on 'invalid' and unterminated 'string' tokens: why the scanner rejected the text. */
  problem?: string;
  /** Set on 'invalid' tokens with an obvious ASCII spelling (`→` is `->`, `café` is `cafe`). */
  fix?: DiagnosticFix;
}

const PUNCTUATION: Record<string, TokenKind> = {
  '(': 'lparen',
  ')': 'rparen',
  '{': 'lbrace',
  '}': 'rbrace',
  ',': 'comma',
  ':': 'colon',
  ';': 'semicolon',
  '=': 'equals',
  '+': 'plus',
  '*': 'star',
  '%': 'percent',
};

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}

function isIdentStart(ch: number): boolean {
  return (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch === 95;
}

function isIdentPart(ch: number): boolean {
  return isIdentStart(ch) || isDigit(ch);
}

/**
 * Splits SkipNet source into tokens. Never throws: characters it cannot read become 'invalid'
 * tokens that the parser reports once. Comments run from '#' to the end of the line.
 */
export function scan(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let newlineBefore = true;
  const length = text.length;
  const push = (kind: TokenKind, start: number, extra?: Partial<Token>): void => {
    tokens.push({ kind, start, end: pos, text: text.slice(start, pos), newlineBefore, ...extra });
    newlineBefore = false;
  };

  while (pos < length) {
    const ch = text.charCodeAt(pos);
    if (ch === 10 || ch === 13) {
      newlineBefore = true;
      pos++;
      continue;
    }
    if (ch === 32 || ch === 9 || ch === 12 || ch === 0xfeff) {
      pos++;
      continue;
    }
    // Spaces pasted from the web or a word processor (no-break, thin, zero-width) are spaces.
    if (ch > 127 && isUnicodeSpace(ch)) {
      pos++;
      continue;
    }
    if (ch === 35 /* # */) {
      while (pos < length && text.charCodeAt(pos) !== 10 && text.charCodeAt(pos) !== 13) pos++;
      continue;
    }
    const start = pos;
    if (isIdentStart(ch) || (ch > 127 && isUnicodeWordAt(text, pos))) {
      while (pos < length && isIdentPart(text.charCodeAt(pos))) pos++;
      if (pos < length && text.charCodeAt(pos) > 127 && isUnicodeWordAt(text, pos)) scanForeignWord(start);
      else push('ident', start);
      continue;
    }
    if (ch > 127) {
      const lookalike = scanLookalike(start);
      if (lookalike) {
        push('invalid', start, lookalike);
        continue;
      }
    }
    if (isDigit(ch) || (ch === 46 && isDigit(text.charCodeAt(pos + 1)))) {
      scanNumberOrShape(start);
      continue;
    }
    if (ch === 34 /* " */ || ch === 39 /* ' */) {
      pos++;
      while (pos < length && text.charCodeAt(pos) !== ch && text.charCodeAt(pos) !== 10 && text.charCodeAt(pos) !== 13) pos++;
      if (pos < length && text.charCodeAt(pos) === ch) {
        pos++;
        push('string', start);
      } else {
        push('string', start, { problem: 'This string is not closed before the end of the line.' });
      }
      continue;
    }
    if (ch === 45 /* - */) {
      pos++;
      if (text.charCodeAt(pos) === 62 /* > */) {
        pos++;
        push('arrow', start);
      } else push('minus', start);
      continue;
    }
    if (ch === 47 /* / */) {
      pos++;
      if (text.charCodeAt(pos) === 47) {
        pos++;
        push('slashslash', start);
      } else push('slash', start);
      continue;
    }
    const punct = PUNCTUATION[text[pos]];
    if (punct) {
      pos++;
      push(punct, start);
      continue;
    }
    // Swallow a run of unreadable characters as one token so one typo gives one error.
    while (pos < length && !isReadableStart(text.charCodeAt(pos)) && !(pos > start && text.charCodeAt(pos) > 127 && (isUnicodeWordAt(text, pos) || LOOKALIKES[text[pos]] !== undefined))) pos++;
    if (pos === start) pos++;
    push('invalid', start, { problem: `Unexpected character '${text.slice(start, pos)}'.` });
  }
  tokens.push({ kind: 'eof', start: length, end: length, text: '', newlineBefore: true });
  return tokens;

  /** A name with letters outside ASCII (`café`): one invalid token, with the accents dropped as a fix. */
  function scanForeignWord(start: number): void {
    while (pos < length && (isIdentPart(text.charCodeAt(pos)) || (text.charCodeAt(pos) > 127 && isUnicodeWordAt(text, pos)))) pos += String.fromCodePoint(text.codePointAt(pos)!).length;
    const word = text.slice(start, pos);
    const foreign = [...word].find((c) => c.charCodeAt(0) > 127)!;
    const ascii = word.normalize('NFD').replace(/\p{M}/gu, '');
    const valid = /^[A-Za-z_][A-Za-z0-9_]*$/.test(ascii);
    push('invalid', start, {
      problem: `'${word}' is not a valid name: names are written with ASCII letters, digits and _, and '${foreign}' is not one.${valid ? ` Did you mean '${ascii}'?` : ''}`,
      fix: valid ? { title: `Change '${word}' to '${ascii}'`, range: { start, end: pos }, text: ascii } : undefined,
    });
  }

  /** Typographic characters with an ASCII meaning in SkipNet: `→`, `×`, `−`, curly quotes. */
  function scanLookalike(start: number): Pick<Token, 'problem' | 'fix'> | undefined {
    const char = text[start];
    const quote = CURLY_QUOTES[char];
    if (quote) {
      // A whole curly-quoted string becomes one straight-quoted string.
      const close = text.slice(start + 1).search(new RegExp(`[${quote.closers}\r\n]`));
      if (close >= 0 && quote.closers.includes(text[start + 1 + close])) {
        pos = start + close + 2;
        const straight = `${quote.ascii}${text.slice(start + 1, pos - 1)}${quote.ascii}`;
        return { problem: `Curly quotes: SkipNet writes this string as ${straight}.`, fix: { title: `Write ${straight}`, range: { start, end: pos }, text: straight } };
      }
    }
    const ascii = LOOKALIKES[char];
    if (ascii === undefined) return undefined;
    pos = start + 1;
    return { problem: `Unexpected '${char}': SkipNet writes this as '${ascii}'.`, fix: { title: `Write '${ascii}'`, range: { start, end: pos }, text: ascii } };
  }

  function scanNumberOrShape(start: number): void {
    const readDecimal = (): void => {
      while (pos < length && isDigit(text.charCodeAt(pos))) pos++;
    };
    readDecimal();
    let isFloat = false;
    if (text.charCodeAt(pos) === 46 && isDigit(text.charCodeAt(pos + 1))) {
      isFloat = true;
      pos++;
      readDecimal();
    }
    if ((text.charCodeAt(pos) === 101 || text.charCodeAt(pos) === 69) && /[0-9]|[+-][0-9]/.test(text.slice(pos + 1, pos + 3))) {
      isFloat = true;
      pos += 2;
      readDecimal();
    }
    // A shape literal: integers joined by 'x', e.g. 32x32x3 or 3x3.
    if (!isFloat && text.charCodeAt(pos) === 0xd7 /* × */ && isDigit(text.charCodeAt(pos + 1))) {
      // 32×32×3 as typeset in papers (and in these docs' prose): one token, fixed to 32x32x3.
      while ((text.charCodeAt(pos) === 0xd7 || text.charCodeAt(pos) === 120) && isDigit(text.charCodeAt(pos + 1))) {
        pos++;
        readDecimal();
      }
      const written = text.slice(start, pos).replace(/×/g, 'x');
      push('invalid', start, { problem: `SkipNet writes sizes with the letter x: '${written}'.`, fix: { title: `Write '${written}'`, range: { start, end: pos }, text: written } });
      return;
    }
    if (!isFloat && text.charCodeAt(pos) === 120 /* x */ && isDigit(text.charCodeAt(pos + 1))) {
      const dims = [Number(text.slice(start, pos))];
      while (text.charCodeAt(pos) === 120 && isDigit(text.charCodeAt(pos + 1))) {
        pos++;
        const dimStart = pos;
        readDecimal();
        dims.push(Number(text.slice(dimStart, pos)));
      }
      if (pos < length && isIdentPart(text.charCodeAt(pos))) {
        while (pos < length && isIdentPart(text.charCodeAt(pos))) pos++;
        push('invalid', start, { problem: `'${text.slice(start, pos)}' is not a valid shape; write sizes like 32x32x3.` });
        return;
      }
      push('shape', start, { dims });
      return;
    }
    if (pos < length && isIdentStart(text.charCodeAt(pos))) {
      while (pos < length && isIdentPart(text.charCodeAt(pos))) pos++;
      push('invalid', start, { problem: `'${text.slice(start, pos)}' is not a valid number or name.` });
      return;
    }
    push('number', start, { value: Number(text.slice(start, pos)) });
  }
}

/** Characters that look like SkipNet punctuation in other fonts, with what to write instead. */
const LOOKALIKES: Record<string, string> = {
  '→': '->',
  '⟶': '->',
  '×': 'x',
  '−': '-',
  '–': '-',
  '—': '-',
  '＝': '=',
  '：': ':',
  '；': ';',
  '，': ',',
  '（': '(',
  '）': ')',
  '“': '"',
  '”': '"',
  '‘': "'",
  '’': "'",
};

const CURLY_QUOTES: Record<string, { closers: string; ascii: string }> = {
  '“': { closers: '”“', ascii: '"' },
  '‘': { closers: '’‘', ascii: "'" },
};

const UNICODE_WORD = /^[\p{L}\p{M}\p{N}]/u;

/** A letter, combining mark or digit outside ASCII starts (or continues) a word at `pos`. */
function isUnicodeWordAt(text: string, pos: number): boolean {
  return UNICODE_WORD.test(text.slice(pos, pos + 2));
}

/** Unicode space separators (no-break, en, em, thin, ideographic …) and the zero-width space and joiner. */
function isUnicodeSpace(ch: number): boolean {
  return ch === 0xa0 || (ch >= 0x2000 && ch <= 0x200b) || ch === 0x202f || ch === 0x205f || ch === 0x2060 || ch === 0x3000 || ch === 0x1680;
}

function isReadableStart(ch: number): boolean {
  return (
    isIdentPart(ch) ||
    ch === 10 || ch === 13 || ch === 32 || ch === 9 || ch === 35 || ch === 34 || ch === 39 || ch === 45 || ch === 47 || ch === 46 ||
    PUNCTUATION[String.fromCharCode(ch)] !== undefined
  );
}
