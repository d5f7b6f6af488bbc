import * as tf from '@tensorflow/tfjs-core';
import type { TfModel } from './model';

/**
 * Finds where a non-finite loss comes from: one more forward and backward pass on the same batch
 * (with the weights before the bad update) that checks every layer's output, the gradient arriving
 * at it, and its parameter gradients, all read back at once.
 */
export async function diagnoseNonFinite(model: TfModel, x: tf.Tensor, y: tf.Tensor, step: number, loss: number): Promise<string> {
  const nodes = model.graph.nodes;
  const lossText = Number.isNaN(loss) ? 'NaN' : String(loss);
  const probes = new Map<string, tf.Tensor>();
  const kept: tf.Tensor[] = [];
  try {
    for (const node of nodes) probes.set(`node:${node.id}`, tf.keep(tf.zeros([x.shape[0], ...node.shape!])));
    kept.push(...probes.values());
    const activations: tf.Tensor[] = [];
    const { value, grads } = tf.engine().gradients(
      () => {
        const result = model.forward(x, { training: true, probes });
        for (const node of nodes) activations.push(tf.keep(result.activations.get(node.id)!));
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(result.logits)), -1))) as tf.Scalar;
      },
      [...model.variables, ...probes.values()],
      undefined,
      true,
    );
    kept.push(value, ...activations, ...grads.filter((g): g is tf.Tensor => g !== null));
    const allFinite = (t: tf.Tensor | null): tf.Tensor => (t ? tf.cast(tf.all(tf.isFinite(t)), 'float32') : tf.scalar(1));
    const flags = tf.tidy(() =>
      tf.stack([
        ...activations.map(allFinite),
        ...nodes.map((_, i) => allFinite(grads[model.params.length + i])),
        ...model.params.map((_, i) => allFinite(grads[i])),
      ]),
    );
    const data = await flags.data();
    flags.dispose();
    const n = nodes.length;
    const describe = (i: number) => (nodes[i].kind === 'input' ? 'the input batch' : `layer ${nodes[i].id} (${nodes[i].kind})`);
    const badActivation = nodes.findIndex((_, i) => data[i] === 0);
    if (badActivation >= 0) return `Training stopped at step ${step}: the loss is ${lossText}. The first layer whose activation went non-finite is ${describe(badActivation)}.`;
    for (let i = n - 1; i >= 0; i--) {
      if (data[n + i] === 0) return `Training stopped at step ${step}: the loss is ${lossText}. Going back from the loss, the first layer whose gradient went non-finite is ${describe(i)}.`;
    }
    const badParam = model.params.findIndex((_, i) => data[2 * n + i] === 0);
    if (badParam >= 0) return `Training stopped at step ${step}: the gradient of ${model.params[badParam].name} went non-finite.`;
    return `Training stopped at step ${step}: the loss is ${lossText}, although every activation and gradient of the batch is finite.`;
  } finally {
    for (const t of kept) t.dispose();
  }
}
