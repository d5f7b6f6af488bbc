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
    if (ch === 35 /* # */) {
      while (pos < length && text.charCodeAt(pos) !== 10 && text.charCodeAt(pos) !== 13) pos++;
      continue;
    }
    const start = pos;
    if (isIdentStart(ch)) {
      while (pos < length && isIdentPart(text.charCodeAt(pos))) pos++;
      push('ident', start);
      continue;
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
    while (pos < length && !isReadableStart(text.charCodeAt(pos))) pos++;
    if (pos === start) pos++;
    push('invalid', start, { problem: `Unexpected character '${text.slice(start, pos)}'.` });
  }
  tokens.push({ kind: 'eof', start: length, end: length, text: '', newlineBefore: true });
  return tokens;

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

function isReadableStart(ch: number): boolean {
  return (
    isIdentPart(ch) ||
    ch === 10 || ch === 13 || ch === 32 || ch === 9 || ch === 35 || ch === 34 || ch === 39 || ch === 45 || ch === 47 || ch === 46 ||
    PUNCTUATION[String.fromCharCode(ch)] !== undefined
  );
}
