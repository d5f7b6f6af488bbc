import type { Inference } from './layers';
import { formatShape, type Shape, type Value } from './values';

/* Small argument and shape helpers shared by the layer specifications (layers.ts, familyLayers.ts). */

/** A checked whole-number argument (0 where the argument is not a number, which the type check has refused). */
export const int = (value: Value | undefined): number => (typeof value === 'number' ? value : 0);

/** A size written `3` or `3x5`, as [H, W]. */
export const pair = (value: Value | undefined): [number, number] =>
  typeof value === 'object' && 'dims' in value ? [value.dims[0], value.dims[1]] : [int(value), int(value)];

/** A layer that keeps its input's shape and channels and has no weights. */
export const pass = (shape: Shape): Inference => ({ ok: true, shape, params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' });

/** The error for a layer that needs H×W×C but gets a flat tensor, or undefined. */
export const needImage = (kind: string, shape: Shape): Inference | undefined =>
  shape.length === 3
    ? undefined
    : { ok: false, code: 'invalid-shape', message: `${kind} needs an image-shaped input (H×W×C) but gets ${formatShape(shape)}; it cannot follow gap, flatten or dense.` };
