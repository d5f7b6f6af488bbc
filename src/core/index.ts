/** The SkipNet language and its analysis. Nothing here may import `vscode` or touch the DOM. */
export * from './analyze';
export * from './batchstats';
export type * from './ast';
export * from './diagnostics';
export * from './graph';
export { LAYERS, RESERVED_NAMES, type LayerSpec, type ArgSpec } from './layers';
export { formatPadding, isSymmetricPadding, resolvePadding, windowOutput, type AxisPair, type Padding, type PaddingResult } from './layers';
export * from './memory';
export { parse } from './parser';
export * from './provenance';
export { scan, type Token } from './scanner';
export * from './text';
export * from './values';
export * from './summary';
export * from './ablation';
export * from './paths';
export * from './efficientMemory';
