/**
 * The PyTorch training engine's Node side, for the CLI and the extension host: no `vscode`, no TensorFlow.js
 * (test/unit/train-pytorch-reference.test.ts walks the imports to keep it so).
 *
 * Typical use:
 *   const python = await findPython({ python: selectedInterpreter });   // TrainError listing what was tried
 *   const run = await PyTorchTraining.start({ analysis, graph, datasetFile, python, onEvent });
 *   run.pause(); run.resume(); run.stop();   // at step boundaries; run.dispose() ends the process group now
 *   const result = await run.result;         // TrainResult, or a TrainError on an error or a crash
 */
export { findPython, MIN_TORCH, noTorchError, tryPython, type FindPythonOptions, type PythonWithTorch } from './python';
export { chooseEngine, describeTorch, discoverPython, pythonCandidates, speedNote, torchDevice, type EngineDecision, type EngineSetting, type MeasuredSpeeds, type PythonDiscovery, type PythonOrigin, type PythonSources } from './discover';
export { commandLine, parseRunnerLine, type LineParse, type RunnerCommand, type RunnerErrorEvent, type RunnerEvent } from './protocol';
export { findRunnerScript, PyTorchTraining, type PyTorchTrainingOptions, type TorchDevice } from './runner';
export { featureOrders, modulePath, packTensors, torchTensors, type SkipNetWeight, type TorchTensor } from './weights';
export { torchStatisticsPlan, type GradientPart, type GradientSource, type TorchStatisticsPlan } from './mergePlan';
export { torchTrainCommand, type TorchTrainCommandOptions } from './cli';
