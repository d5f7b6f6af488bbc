import type { Range } from './text';

/** Expressions in layer and block arguments: integer arithmetic, names, and a few functions. */
export type Expr =
  | { kind: 'number'; value: number; range: Range }
  | { kind: 'shape'; dims: number[]; range: Range }
  | { kind: 'string'; value: string; range: Range }
  | { kind: 'name'; name: string; range: Range }
  | { kind: 'unary'; op: '-' | '+'; operand: Expr; range: Range }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '//' | '%'; left: Expr; right: Expr; range: Range }
  | { kind: 'call'; callee: string; calleeRange: Range; args: Argument[]; range: Range }
  | { kind: 'error'; range: Range };

export interface Argument {
  /** Present for keyword arguments (`stride=2`). */
  name?: string;
  nameRange?: Range;
  value: Expr;
  range: Range;
}

/**
 * One link of a chain `a -> conv(16, 3) -> bn`: a layer, a block call or a reference to a tensor.
 * Which of the three it is depends on the names in scope, so the parser leaves that to the analysis.
 */
export interface Element {
  /** `a -> pool0: maxpool(3)` labels one link of a chain. */
  label?: string;
  labelRange?: Range;
  name: string;
  nameRange: Range;
  /** Undefined when written without parentheses (`relu`, `bn`, `in`). */
  args?: Argument[];
  argsRange?: Range;
  range: Range;
}

export interface ChainStatement {
  kind: 'chain';
  /** `label: ...` names the chain's output (and the node or block instance that makes it). */
  label?: string;
  labelRange?: Range;
  elements: Element[];
  range: Range;
}

export interface RepeatStatement {
  kind: 'repeat';
  label?: string;
  labelRange?: Range;
  keywordRange: Range;
  count: Expr;
  body: ChainStatement | Statement[];
  range: Range;
}

export type Statement = ChainStatement | RepeatStatement;

export interface Parameter {
  name: string;
  nameRange: Range;
  default?: Expr;
  range: Range;
}

export interface BlockDecl {
  kind: 'block';
  name: string;
  nameRange: Range;
  params: Parameter[];
  body: Statement[];
  range: Range;
}

export interface TrainSetting {
  key: string;
  keyRange: Range;
  value: Expr;
  range: Range;
}

/** One named input of a model with several: `model siamese(a: 28x28x1, b: 28x28x1)`. */
export interface ModelInput {
  name: string;
  nameRange: Range;
  /** H×W×C (or a single size for flat inputs), as written. */
  dims: number[];
  /** The shape as written. */
  range: Range;
}

export interface ModelDecl {
  kind: 'model';
  name: string;
  nameRange: Range;
  /** The (first) input shape as written, H×W×C (or a single size for flat inputs). */
  inputDims: number[];
  inputRange: Range;
  /**
   * The named inputs, in the order written, when the model declares them (`a: 28x28x1, b: 28x28x1`); empty for the
   * usual single unnamed input. `inputDims`/`inputRange` are then the first one's.
   */
  inputs: ModelInput[];
  body: Statement[];
  train?: { settings: TrainSetting[]; range: Range };
  range: Range;
}

export interface SkipnetFile {
  blocks: BlockDecl[];
  models: ModelDecl[];
}
