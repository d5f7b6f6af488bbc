import type { Expr } from './ast';
import type { DiagnosticSink } from './diagnostics';
import type { Value } from './values';
import { suggest } from './suggest';
import { formatValue } from './values';

export interface EvalScope {
  /** Values of block parameters and the like; undefined when the name is not one. */
  lookup(name: string): Value | undefined;
  /** Channels of the tensor flowing into the layer or block being evaluated; undefined when unknown. */
  channels(): number | undefined;
  /** The names `lookup` knows, for "Did you mean" on a misspelt one (none when absent). */
  names?(): string[];
}

const FUNCTIONS: Record<string, { arity: [number, number]; apply: (args: number[]) => number }> = {
  floor: { arity: [1, 1], apply: ([x]) => Math.floor(x) },
  ceil: { arity: [1, 1], apply: ([x]) => Math.ceil(x) },
  round: { arity: [1, 1], apply: ([x]) => Math.round(x) },
  abs: { arity: [1, 1], apply: ([x]) => Math.abs(x) },
  min: { arity: [1, 16], apply: (xs) => Math.min(...xs) },
  max: { arity: [1, 16], apply: (xs) => Math.max(...xs) },
};

export const EXPRESSION_FUNCTIONS = Object.keys(FUNCTIONS);

/**
 * Evaluates an argument expression. Bare words that name nothing become symbols (`pad=same`), so the
 * caller decides whether a symbol is allowed. Returns undefined after reporting a diagnostic.
 */
export function evaluate(expr: Expr, scope: EvalScope, sink: DiagnosticSink): Value | undefined {
  switch (expr.kind) {
    case 'number':
      return expr.value;
    case 'shape':
      return { dims: expr.dims };
    case 'string':
      return { text: expr.value };
    case 'error':
      return undefined;
    case 'name': {
      if (expr.name === 'true') return true;
      if (expr.name === 'false') return false;
      const bound = scope.lookup(expr.name);
      if (bound !== undefined) return bound;
      // The input's shape is unknown only after an error upstream, which is already reported.
      if (expr.name === 'channels') return scope.channels();
      return { symbol: expr.name };
    }
    case 'unary': {
      const operand = number(expr.operand);
      if (operand === undefined) return undefined;
      return expr.op === '-' ? -operand : operand;
    }
    case 'binary': {
      const left = number(expr.left);
      const right = number(expr.right);
      if (left === undefined || right === undefined) return undefined;
      if ((expr.op === '/' || expr.op === '//' || expr.op === '%') && right === 0) {
        sink.add('invalid-size', 'Division by zero.', expr.range);
        return undefined;
      }
      switch (expr.op) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return left / right;
        case '//':
          return Math.floor(left / right);
        case '%':
          return left - right * Math.floor(left / right);
      }
      return undefined;
    }
    case 'call': {
      const fn = FUNCTIONS[expr.callee];
      if (!fn) {
        const { hint, fix } = suggest(expr.callee, EXPRESSION_FUNCTIONS, expr.calleeRange);
        sink.add('unknown-name', `Unknown function '${expr.callee}'; the functions are ${EXPRESSION_FUNCTIONS.join(', ')}.${hint}`, expr.calleeRange, undefined, 'error', fix);
        return undefined;
      }
      if (expr.args.length < fn.arity[0] || expr.args.length > fn.arity[1]) {
        sink.add('argument-count', `${expr.callee} takes ${fn.arity[0] === fn.arity[1] ? fn.arity[0] : `${fn.arity[0]} to ${fn.arity[1]}`} argument(s).`, expr.range);
        return undefined;
      }
      const values: number[] = [];
      for (const arg of expr.args) {
        const value = number(arg.value);
        if (value === undefined) return undefined;
        values.push(value);
      }
      return fn.apply(values);
    }
  }

  function number(inner: Expr): number | undefined {
    const value = evaluate(inner, scope, sink);
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'object' && 'symbol' in value) {
      const { hint, fix } = suggest(value.symbol, [...(scope.names?.() ?? []), 'channels'], inner.range);
      sink.add('unknown-name', `Unknown name '${value.symbol}'.${hint}`, inner.range, undefined, 'error', fix);
      return undefined;
    }
    sink.add('argument-type', `Arithmetic needs numbers, not ${formatValue(value)}.`, inner.range);
    return undefined;
  }
}
