import type { Argument, BlockDecl, ChainStatement, Element, Expr, ModelDecl, ModelInput, Parameter, SkipnetFile, Statement, TrainSetting } from './ast';
import { DiagnosticSink } from './diagnostics';
import { scan, type Token, type TokenKind } from './scanner';
import type { Range } from './text';

export interface ParseResult {
  file: SkipnetFile;
  tokens: Token[];
  diagnostics: DiagnosticSink;
}

const TOKEN_NAMES: Partial<Record<TokenKind, string>> = {
  lparen: "'('",
  rparen: "')'",
  lbrace: "'{'",
  rbrace: "'}'",
  comma: "','",
  colon: "':'",
  equals: "'='",
  arrow: "'->'",
  ident: 'a name',
  number: 'a number',
  shape: 'a shape like 32x32x3',
  eof: 'the end of the file',
};

function describe(token: Token): string {
  if (token.kind === 'eof') return 'the end of the file';
  return `'${token.text}'`;
}

/** Thrown only inside the parser to unwind one statement; parse() itself never throws. */
class StatementAbort {
  constructor(readonly token: Token) {}
}

/**
 * Recursive-descent parser for .skipnet files. It never throws: each syntax error is reported once,
 * then the parser skips to a point where a statement or declaration can start again.
 */
export function parse(text: string): ParseResult {
  const tokens = scan(text);
  const sink = new DiagnosticSink();
  let index = 0;
  const file: SkipnetFile = { blocks: [], models: [] };

  /** The label of the statement being parsed, kept on the empty stand-in chain the parser leaves when the statement fails (so reading the label reports nothing more). */
  let pendingLabel: { label: string; labelRange: Range } | undefined;
  /** Nesting of bodies, parentheses and unary operators; bounded so no input can exhaust the stack. */
  let nesting = 0;
  const MAX_NESTING = 64;
  const MAX_OPERATORS = 500;
  let operators = 0;
  let expressionDepth = 0;
  const nest = <T>(parseInner: () => T): T => {
    if (++nesting > MAX_NESTING) {
      sink.add('syntax', `This is nested more than ${MAX_NESTING} levels deep; flatten it with blocks.`, peek());
      throw new StatementAbort(peek());
    }
    try {
      return parseInner();
    } finally {
      nesting = Math.max(0, nesting - 1);
    }
  };
  const peek = (ahead = 0): Token => tokens[Math.min(index + ahead, tokens.length - 1)];
  const next = (): Token => tokens[Math.min(index++, tokens.length - 1)];
  const at = (kind: TokenKind, ahead = 0): boolean => peek(ahead).kind === kind;
  const atIdent = (word: string, ahead = 0): boolean => peek(ahead).kind === 'ident' && peek(ahead).text === word;
  const span = (start: number): Range => ({ start, end: Math.max(start, tokens[Math.max(0, index - 1)].end) });

  /** Index of the first token of the statement (or declaration, or train setting) being parsed. */
  let statementStart = 0;
  const fail = (expected: string, token: Token = peek()): never => {
    if (token.kind === 'invalid' || token.problem) sink.add('invalid-token', token.problem ?? `Unexpected ${describe(token)}.`, range(token), undefined, 'error', token.fix);
    else if (token === peek() && token.newlineBefore && index > statementStart) {
      // The statement stops at the end of its line: the mistake is there, not on the next line.
      const last = tokens[index - 1];
      sink.add('syntax', `Expected ${expected} after '${last.text}', before the end of the line.`, range(last));
    } else sink.add('syntax', `Expected ${expected} but found ${describe(token)}.`, token);
    throw new StatementAbort(token);
  };
  /**
   * The ')' of the call or parenthesis opened at `open` (`name` starts the call, when there is one). A line
   * break, '->', ';', '}' or the end of the file where it belongs means it was never written: that is
   * reported on the unfinished call, with a fix that adds the ')'.
   */
  const close = (open: Token, name: Token | undefined, context: string): void => {
    if (at('rparen')) {
      next();
      return;
    }
    const found = peek();
    const unfinished = found.newlineBefore || found.kind === 'arrow' || found.kind === 'semicolon' || found.kind === 'rbrace' || found.kind === 'eof';
    if (!unfinished || found.kind === 'invalid' || found.problem) fail(`')'${context}`);
    const last = tokens[index - 1];
    const what = name ? `'${name.text}('` : "'('";
    sink.add('syntax', `${what} is never closed; add ')' after '${last.text}'.`, { start: (name ?? open).start, end: last.end }, undefined, 'error', {
      title: "Add the missing ')'",
      range: { start: last.end, end: last.end },
      text: ')',
    });
    throw new StatementAbort(found);
  };
  const expect = (kind: TokenKind, context = ''): Token => {
    if (at(kind)) return next();
    return fail(`${TOKEN_NAMES[kind] ?? kind}${context}`);
  };

  /** Skips to the start of the next statement: a line break, ';', or a '}' at this nesting level. */
  const skipStatement = (): void => {
    const first = index;
    let depth = 0;
    while (!at('eof')) {
      const token = peek();
      if (index > first && depth === 0 && token.newlineBefore) return;
      if (token.kind === 'lparen' || token.kind === 'lbrace') depth++;
      else if (token.kind === 'rparen' || token.kind === 'rbrace') {
        if (depth === 0) {
          if (token.kind === 'rbrace') return;
          next();
          continue;
        }
        depth--;
      } else if (token.kind === 'semicolon' && depth === 0) {
        next();
        return;
      }
      next();
    }
  };

  while (!at('eof')) {
    const token = peek();
    const start = index;
    statementStart = index;
    try {
      if (atIdent('block')) file.blocks.push(parseBlock());
      else if (atIdent('model')) file.models.push(parseModel());
      else if (token.kind === 'semicolon') next();
      else fail("'block' or 'model'");
    } catch (abort) {
      if (!(abort instanceof StatementAbort)) throw abort;
      // Skip to the next top-level declaration.
      if (index === start) next();
      while (!at('eof') && !((atIdent('block') || atIdent('model')) && peek().newlineBefore)) next();
    }
  }
  return { file, tokens, diagnostics: sink };

  function parseBlock(): BlockDecl {
    const start = next().start;
    const nameToken = expect('ident', ' (the block name)');
    expect('lparen', ' after the block name');
    const params: Parameter[] = [];
    while (!at('rparen')) {
      const paramToken = expect('ident', ' (a parameter name)');
      let defaultValue: Expr | undefined;
      if (at('equals')) {
        next();
        defaultValue = parseExpr();
      }
      params.push({ name: paramToken.text, nameRange: range(paramToken), default: defaultValue, range: span(paramToken.start) });
      if (!at('comma')) break;
      next();
    }
    expect('rparen', ' to close the parameter list');
    const body = parseBody(false).statements;
    return { kind: 'block', name: nameToken.text, nameRange: range(nameToken), params, body, range: span(start) };
  }

  function parseModel(): ModelDecl {
    const start = next().start;
    const nameToken = expect('ident', ' (the model name)');
    expect('lparen', " and the input shape, e.g. 'model net(32x32x3)'");
    const inputs: ModelInput[] = [];
    const readShape = (): [number[], Token] => {
      const shapeToken = peek();
      if (shapeToken.kind === 'shape') return (next(), [shapeToken.dims ?? [], shapeToken]);
      if (shapeToken.kind === 'number') return (next(), [[shapeToken.value ?? 0], shapeToken]);
      return fail(inputs.length > 0 || at('colon', 1) ? "an input shape like 28x28x1 (several inputs are written 'a: 28x28x1, b: 28x28x1')" : 'an input shape like 32x32x3');
    };
    let inputDims: number[] = [];
    let shapeToken: Token | undefined;
    if (at('ident') && at('colon', 1)) {
      // Several named inputs: `model siamese(a: 28x28x1, b: 28x28x1)`.
      for (;;) {
        const inputName = expect('ident', " (an input name, e.g. 'a: 28x28x1')");
        expect('colon', ' after the input name');
        const [dims, token] = readShape();
        inputs.push({ name: inputName.text, nameRange: range(inputName), dims, range: range(token) });
        if (!at('comma')) break;
        next();
      }
      inputDims = inputs[0].dims;
    } else [inputDims, shapeToken] = readShape();
    expect('rparen', inputs.length > 0 ? ' after the inputs' : ' after the input shape');
    const { statements, train } = parseBody(true);
    return {
      kind: 'model',
      name: nameToken.text,
      nameRange: range(nameToken),
      inputDims,
      inputRange: shapeToken ? range(shapeToken) : inputs[0].range,
      inputs,
      body: statements,
      train,
      range: span(start),
    };
  }

  function parseBody(allowTrain: boolean): { statements: Statement[]; train?: ModelDecl['train'] } {
    const open = expect('lbrace', ' to open the body');
    const statements: Statement[] = [];
    let train: ModelDecl['train'];
    while (!at('rbrace')) {
      if (at('eof') || ((atIdent('block') || atIdent('model')) && peek().newlineBefore && !at('colon', 1))) {
        sink.add('syntax', "This '{' is never closed; add a '}'.", open);
        return { statements, train };
      }
      if (at('semicolon')) {
        next();
        continue;
      }
      const before = index;
      let parsed = true;
      try {
        statementStart = index;
        if (atIdent('train') && at('lbrace', 1)) {
          const section = parseTrain();
          if (!allowTrain) sink.add('syntax', "A 'train' section belongs in a model, not in a block.", section.range);
          else if (train) sink.add('duplicate-definition', "This model already has a 'train' section.", section.range);
          else train = section;
        } else {
          pendingLabel = undefined;
          parsed = false;
          statements.push(parseStatement());
          parsed = true;
          endStatement();
        }
      } catch (abort) {
        if (!(abort instanceof StatementAbort)) throw abort;
        if (!parsed) {
          // Kept as an empty chain: the analysis treats its output (and its label) as unknown, so the
          // statements after it report nothing that only follows from this one mistake.
          const start = tokens[before].start;
          statements.push({ kind: 'chain', ...pendingLabel, elements: [], range: { start, end: Math.max(start, tokens[Math.max(before, index - 1)].end) } });
        }
        if (index === before && !at('rbrace')) next();
        // A statement cut short by a line break: the next line is the next statement.
        else if (abort.token === peek() && abort.token.newlineBefore && index > before) continue;
        skipStatement();
      }
    }
    next();
    return { statements, train };
  }

  function endStatement(): void {
    const token = peek();
    if (token.kind === 'semicolon') next();
    else if (token.kind !== 'rbrace' && token.kind !== 'eof' && !token.newlineBefore) fail("a line break or ';' after the statement");
  }

  function parseStatement(): Statement {
    const start = peek().start;
    let label: string | undefined;
    let labelRange: Range | undefined;
    if (at('ident') && at('colon', 1)) {
      const labelToken = next();
      next();
      label = labelToken.text;
      labelRange = range(labelToken);
      pendingLabel = { label, labelRange };
    }
    if (atIdent('repeat') && !at('lparen', 1) && !at('arrow', 1)) {
      const keyword = next();
      const count = parseExpr();
      let body: ChainStatement | Statement[];
      if (at('lbrace')) body = nest(() => parseBody(false).statements);
      else body = parseChain(undefined, undefined, peek().start);
      return { kind: 'repeat', label, labelRange, keywordRange: range(keyword), count, body, range: span(start) };
    }
    return parseChain(label, labelRange, start);
  }

  function parseChain(label: string | undefined, labelRange: Range | undefined, start: number): ChainStatement {
    const elements: Element[] = [parseElement()];
    while (at('arrow')) {
      next();
      elements.push(parseElement(true));
    }
    return { kind: 'chain', label, labelRange, elements, range: span(start) };
  }

  function parseElement(allowLabel = false): Element {
    let label: Token | undefined;
    if (allowLabel && at('ident') && at('colon', 1)) {
      label = next();
      next();
    }
    const labelPart = label ? { label: label.text, labelRange: range(label) } : {};
    const nameToken = expect('ident', ' (a layer, block or tensor name)');
    if (!at('lparen')) return { ...labelPart, name: nameToken.text, nameRange: range(nameToken), range: range(nameToken) };
    const argsStart = peek().start;
    const args = parseArguments(nameToken);
    return { ...labelPart, name: nameToken.text, nameRange: range(nameToken), args, argsRange: span(argsStart), range: span(nameToken.start) };
  }

  function parseArguments(callee: Token): Argument[] {
    const open = expect('lparen');
    const args: Argument[] = [];
    while (!at('rparen')) {
      const start = peek().start;
      if (at('ident') && at('equals', 1)) {
        const nameToken = next();
        next();
        const value = parseExpr();
        args.push({ name: nameToken.text, nameRange: range(nameToken), value, range: span(start) });
      } else {
        const value = parseExpr();
        args.push({ value, range: span(start) });
      }
      if (!at('comma')) break;
      next();
    }
    close(open, callee, " or ',' in the argument list");
    return args;
  }

  function parseTrain(): { settings: TrainSetting[]; range: Range } {
    const start = next().start;
    expect('lbrace');
    const settings: TrainSetting[] = [];
    while (!at('rbrace')) {
      if (at('eof')) fail("'}' to close the train section");
      if (at('semicolon') || at('comma')) {
        next();
        continue;
      }
      statementStart = index;
      const before = index;
      try {
        const keyToken = expect('ident', ' (a setting such as epochs, batch or lr)');
        if (at('colon') || at('equals')) next();
        else fail("':' after the setting name");
        // A setting is one line: a value on the next line belongs to the next setting.
        if (peek().newlineBefore) fail('a value');
        const value = parseExpr();
        settings.push({ key: keyToken.text, keyRange: range(keyToken), value, range: span(keyToken.start) });
        const token = peek();
        if (token.kind !== 'rbrace' && token.kind !== 'semicolon' && token.kind !== 'comma' && !token.newlineBefore) {
          fail("a line break or ';' after the setting");
        }
      } catch (abort) {
        if (!(abort instanceof StatementAbort)) throw abort;
        // Recover at the next setting inside these braces, so the section's '}' still closes the section.
        if (index === before && !at('rbrace') && !at('eof')) next();
        while (!at('rbrace') && !at('eof') && !at('semicolon') && !at('comma') && !(peek().newlineBefore && index > before)) next();
      }
    }
    next();
    return { settings, range: span(start) };
  }

  function parseExpr(): Expr {
    // Operators are counted per outermost expression, so evaluating any expression stays shallow.
    if (expressionDepth++ === 0) operators = 0;
    try {
      return nest(parseAdditive);
    } finally {
      expressionDepth--;
    }
  }

  function countOperator(): void {
    if (++operators > MAX_OPERATORS) fail(`a shorter expression (at most ${MAX_OPERATORS} operators)`);
  }

  function parseAdditive(): Expr {
    let left = parseMultiplicative();
    while (at('plus') || at('minus')) {
      countOperator();
      const op = next().kind === 'plus' ? '+' : '-';
      const right = parseMultiplicative();
      left = { kind: 'binary', op, left, right, range: { start: left.range.start, end: right.range.end } };
    }
    return left;
  }

  function parseMultiplicative(): Expr {
    let left = parseUnary();
    while (at('star') || at('slash') || at('slashslash') || at('percent')) {
      countOperator();
      const kind = next().kind;
      const op = kind === 'star' ? '*' : kind === 'slash' ? '/' : kind === 'slashslash' ? '//' : '%';
      const right = parseUnary();
      left = { kind: 'binary', op, left, right, range: { start: left.range.start, end: right.range.end } };
    }
    return left;
  }

  function parseUnary(): Expr {
    if (at('minus') || at('plus')) {
      const token = next();
      countOperator();
      const operand = nest(parseUnary);
      return { kind: 'unary', op: token.kind === 'minus' ? '-' : '+', operand, range: { start: token.start, end: operand.range.end } };
    }
    return parsePrimary();
  }

  function parsePrimary(): Expr {
    const token = peek();
    switch (token.kind) {
      case 'number':
        next();
        return { kind: 'number', value: token.value ?? 0, range: range(token) };
      case 'shape':
        next();
        return { kind: 'shape', dims: token.dims ?? [], range: range(token) };
      case 'string':
        if (token.problem) return fail('a closed string', token);
        next();
        return { kind: 'string', value: token.text.slice(1, -1), range: range(token) };
      case 'ident': {
        next();
        if (!at('lparen')) return { kind: 'name', name: token.text, range: range(token) };
        const args = parseArguments(token);
        return { kind: 'call', callee: token.text, calleeRange: range(token), args, range: span(token.start) };
      }
      case 'lparen': {
        const open = next();
        const inner = nest(parseAdditive);
        close(open, undefined, ' to close the parenthesis');
        return inner;
      }
      default:
        return fail('a value (a number, a name or an expression)');
    }
  }
}

function range(token: Token): Range {
  return { start: token.start, end: token.end };
}
