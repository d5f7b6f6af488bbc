/**
 * The SkipNet training engine (TensorFlow.js), for the graph webview and the Node CLI. Nothing here
 * touches the DOM or `vscode`; Node-only helpers (reading media/data from disk) live in ./nodeData and
 * are not exported from here, so a browser bundle can import this module as it is.
 *
 * Typical use in a webview:
 *   const dataset = parseDataset('mnist', new Uint8Array(await (await fetch(url)).arrayBuffer()));
 *   const engine = new TrainingEngine({ graph, dataset, nextFrame: () => new Promise((r) => requestAnimationFrame(() => r())), onEvent });
 *   engine.run();   // then engine.pause() / resume() / stop(); events: started, progress, statistics, evaluation, finished
 */
export { useBackend, backendVersions, type PortableBackend, type BackendOptions } from './backend';
export { parseDataset, adaptInputs, makeBatch, type ImageDataset, type ImageSplit, type InputAdapter } from './data';
export {
  TrainingEngine,
  checkMemory,
  DEFAULT_MEMORY_BUDGET,
  DEFAULT_STATS_INTERVAL,
  type EngineOptions,
  type EvaluationEvent,
  type ProgressEvent,
  type TrainEvent,
  type TrainResult,
} from './engine';
export { TfModel, TrainError, type ModelParam } from './model';
export { StatisticsPlan, type AddBranchFlow, type ConcatSliceFlow, type LayerStatistics, type MergeFlow, type ReuseHeatMap, type TrainingStatistics } from './stats';
export { graphSpec, type GraphSpecNode } from './spec';
