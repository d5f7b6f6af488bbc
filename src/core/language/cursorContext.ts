import type { Analysis } from '../analyze';
import type { Token } from '../scanner';
import type { Declaration } from './sourceIndex';

/**
 * Where the cursor is, read from the core's tokens rather than the AST: while a person types, the
 * text is usually incomplete, and the token stream still says which brace and which parenthesis the
 * cursor sits in even where the parser had to give up on a statement.
 */

export interface CallContext {
  /** The name before the '(' (a layer, block, function, or the declaration's own name for headers). */
  callee: string;
  openParen: number;
  /** 'declaration': the parameter list of `block name(...)` or the input of `model name(...)`. */
  role: 'call' | 'declaration';
  /** Index of the argument the cursor is in (commas before it at this depth). */
  argumentIndex: number;
  /** Positional arguments before the current one. */
  positionalBefore: number;
  /** Keyword names already given (`stride=`), the current one included. */
  keywordsGiven: string[];
  /** Set when the current argument is `name=...`. */
  keyword?: string;
  /** True at the start of an argument (right after '(' or ','); false after `name=` or inside a value. */
  atArgumentStart: boolean;
  afterEquals: boolean;
}

export type CursorPosition =
  | 'top' // between declarations
  | 'statement-start' // a new statement in a body: layers, blocks, references, repeat, train
  | 'element-start' // after '->' or a label: layers and blocks (references only after a label)
  | 'after-label'
  | 'argument'
  | 'train-key'
  | 'train-value'
  | 'none';

export interface CursorContext {
  position: CursorPosition;
  /** The block or model whose body the cursor is in, if the parser recognised it. */
  declaration?: Declaration;
  call?: CallContext;
  /** In a train section: the key whose value is being typed. */
  trainKey?: string;
  /** Keys already present in the train section. */
  trainKeysGiven: string[];
  /** Where the word being typed starts (equal to the offset when none). */
  wordStart: number;
}

type Frame =
  | { kind: 'brace'; opener: 'declaration' | 'train' | 'repeat' | 'other'; declarationStart?: number; keys: string[] }
  | ({ kind: 'paren' } & CallContext);

const isWordToken = (token: Token): boolean => token.kind === 'ident' || token.kind === 'number' || token.kind === 'shape';

export function cursorContext(analysis: Analysis, offset: number): CursorContext {
  const tokens = analysis.tokens;
  let end = 0;
  while (end < tokens.length && tokens[end].kind !== 'eof' && (tokens[end].end < offset || (tokens[end].end === offset && !isWordToken(tokens[end])))) end++;
  const current = tokens[end];
  const wordStart = current && isWordToken(current) && current.start < offset ? current.start : offset;
  const base: CursorContext = { position: 'none', trainKeysGiven: [], wordStart };
  if (insideComment(analysis.text, wordStart) || (current?.kind === 'string' && current.start < offset)) return base;

  const stack: Frame[] = [];
  let pendingDeclaration: number | undefined;
  let pendingOpener: 'train' | 'repeat' | undefined;
  for (let i = 0; i < end; i++) {
    const token = tokens[i];
    const previous = tokens[i - 1];
    const top = stack[stack.length - 1];
    switch (token.kind) {
      case 'ident':
        if (stack.length === 0 && (token.text === 'block' || token.text === 'model')) pendingDeclaration = token.start;
        else if (token.text === 'train' && tokens[i + 1]?.kind === 'lbrace') pendingOpener = 'train';
        else if (token.text === 'repeat' && top?.kind === 'brace') pendingOpener = 'repeat';
        if (top?.kind === 'paren' && tokens[i + 1]?.kind === 'equals' && i + 1 < end) top.keywordsGiven.push(token.text);
        if (top?.kind === 'brace' && top.opener === 'train' && tokens[i + 1]?.kind === 'colon') top.keys.push(token.text);
        break;
      case 'lparen': {
        const isHeader = stack.length === 0 && pendingDeclaration !== undefined;
        stack.push({
          kind: 'paren',
          callee: previous?.kind === 'ident' ? previous.text : '',
          openParen: token.start,
          role: isHeader ? 'declaration' : 'call',
          argumentIndex: 0,
          positionalBefore: 0,
          keywordsGiven: [],
          atArgumentStart: true,
          afterEquals: false,
        });
        break;
      }
      case 'rparen':
        if (top?.kind === 'paren') stack.pop();
        break;
      case 'comma':
        if (top?.kind === 'paren') {
          if (!top.keyword) top.positionalBefore++;
          top.argumentIndex++;
          top.keyword = undefined;
        }
        break;
      case 'equals':
        if (top?.kind === 'paren' && previous?.kind === 'ident') top.keyword = previous.text;
        break;
      case 'lbrace':
        if (stack.length === 0 && pendingDeclaration !== undefined) {
          stack.push({ kind: 'brace', opener: 'declaration', declarationStart: pendingDeclaration, keys: [] });
        } else stack.push({ kind: 'brace', opener: pendingOpener ?? 'other', keys: [] });
        pendingDeclaration = stack.length === 1 ? undefined : pendingDeclaration;
        pendingOpener = undefined;
        break;
      case 'rbrace':
        while (stack.length && stack[stack.length - 1].kind === 'paren') stack.pop();
        stack.pop();
        if (stack.length === 0) pendingDeclaration = undefined;
        break;
    }
  }

  const outer = stack[0];
  const declarationStart = outer?.kind === 'brace' ? outer.declarationStart : pendingDeclaration;
  const declaration =
    declarationStart === undefined
      ? undefined
      : [...analysis.file.blocks, ...analysis.file.models].find((d) => d.range.start === declarationStart);
  const context: CursorContext = { ...base, declaration };
  const top = stack[stack.length - 1];
  const last = end > 0 ? tokens[end - 1] : undefined;
  const newLineBefore = last === undefined || /[\n\r]/.test(analysis.text.slice(last.end, wordStart));

  if (!top) return { ...context, position: pendingDeclaration === undefined && (newLineBefore || last?.kind === 'rbrace') ? 'top' : 'none' };
  if (top.kind === 'paren') {
    const { kind: _kind, ...call } = top;
    call.atArgumentStart = last?.kind === 'lparen' || last?.kind === 'comma';
    call.afterEquals = last?.kind === 'equals';
    // The cursor on `pad` in `pad=1`: the argument is already a keyword one.
    if (current && current.kind === 'ident' && current.start <= offset && tokens[end + 1]?.kind === 'equals') call.keyword = current.text;
    return { ...context, position: top.role === 'declaration' ? 'none' : 'argument', call };
  }
  if (top.opener === 'train') {
    context.trainKeysGiven = top.keys;
    if (last?.kind === 'colon' || last?.kind === 'equals') {
      const key = end >= 2 ? tokens[end - 2] : undefined;
      return { ...context, position: 'train-value', trainKey: key?.kind === 'ident' ? key.text : undefined };
    }
    const atKey = newLineBefore || last?.kind === 'lbrace' || last?.kind === 'semicolon' || last?.kind === 'comma';
    return { ...context, position: atKey ? 'train-key' : 'none' };
  }
  if (newLineBefore || last?.kind === 'lbrace' || last?.kind === 'rbrace' || last?.kind === 'semicolon') return { ...context, position: 'statement-start' };
  if (last?.kind === 'arrow') return { ...context, position: 'element-start' };
  if (last?.kind === 'colon') return { ...context, position: 'after-label' };
  if (repeatCountEnded(tokens, end)) return { ...context, position: 'element-start' };
  return { ...context, position: 'none' };
}

/** `repeat n - 1 |`: after a complete count expression comes the repeated element. */
function repeatCountEnded(tokens: Token[], end: number): boolean {
  let start = end - 1;
  while (start > 0 && !tokens[start].newlineBefore && tokens[start].kind !== 'semicolon') start--;
  let i = start;
  if (tokens[i]?.kind === 'ident' && tokens[i + 1]?.kind === 'colon') i += 2;
  if (!(tokens[i]?.kind === 'ident' && tokens[i].text === 'repeat')) return false;
  let expectOperand = true;
  let depth = 0;
  for (let j = i + 1; j < end; j++) {
    const kind = tokens[j].kind;
    if (depth > 0) {
      if (kind === 'lparen') depth++;
      else if (kind === 'rparen' && --depth === 0) expectOperand = false;
      continue;
    }
    if (kind === 'number' || kind === 'ident') {
      // Two operands in a row: the count ended before this one, which starts the element.
      if (!expectOperand) return false;
      if (kind === 'ident' && tokens[j + 1]?.kind === 'lparen') {
        depth = 1;
        j++;
      } else expectOperand = false;
    } else if (kind === 'lparen' && expectOperand) depth = 1;
    else if (['plus', 'minus', 'star', 'slash', 'slashslash', 'percent'].includes(kind) && !expectOperand) expectOperand = true;
    else return false;
  }
  return depth === 0 && !expectOperand;
}

function insideComment(text: string, offset: number): boolean {
  const lineStart = Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1;
  const before = text.slice(lineStart, offset);
  let quote: string | undefined;
  for (const ch of before) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') return true;
  }
  return false;
}
