import type { Analysis, ModelGraph } from '../core';
import { formatDiagnostic } from '../core';
import { DEFAULT_GRID, DEFAULT_LANDSCAPE_SAMPLES, DEFAULT_LINE_POINTS, MAX_GRID, MAX_LINE_POINTS } from '../train/experiments/landscape';
import { landscapeCommand } from '../train/experiments/landscapeCli';
import { analyze } from '../core';
import { withoutSkipConnections } from '../core/ablation';
import { TrainError } from '../train/errors';
import { lesionCommand, parseWeights } from './lesion';
import { algebraCommand } from './algebra';
import { parseFlags, pickModels, readOneFile, usage, withFile, type CliIo } from './main';

/**
 * `skipnet experiment NAME ...`: experiments that train a model and then measure it. Each experiment parses its
 * own flags here and runs in its engine module (src/train/experiments/).
 */

/** Runs `experiment ...` (argv without the word `experiment`); exit code 0 ok, 1 problem in the input, 2 usage. */
export async function runExperiment(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'landscape') return landscape(rest, io);
  if (name === 'lesion') return lesion(rest, io);
  return usage(io, name === undefined ? 'experiment needs a name: lesion or landscape' : `unknown experiment '${name}' (known: lesion, landscape)`);
}

/**
 * The one model an experiment runs on: prints the file's diagnostics, and returns 1 when it has errors or no such
 * model, 2 when it holds several and --model did not pick one.
 */
function oneModel(file: string, analysis: Analysis, name: string | undefined, io: CliIo): ModelGraph | number {
  for (const diagnostic of analysis.diagnostics) io.err(formatDiagnostic(file, analysis, diagnostic));
  if (analysis.diagnostics.some((d) => d.severity === 'error')) return 1;
  const models = pickModels(analysis, name, io);
  if (!models) return 1;
  if (models.length > 1) {
    io.err(`skipnet: the file has several models (${models.map((m) => m.name).join(', ')}); pick one with --model`);
    return 2;
  }
  return models[0];
}

function wholeNumber(flags: Record<string, string | undefined>, name: string, min: number, max: number): number | string | undefined {
  const text = flags[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) return `--${name} must be a whole number from ${min} to ${max}, not '${text}'`;
  return value;
}

async function landscape(argv: string[], io: CliIo): Promise<number> {
  const { positional, flags, error } = parseFlags(argv, ['model', 'steps', 'batch', 'points', 'grid', 'samples', 'seed', 'backend'], ['json']);
  if (error) return usage(io, error);
  const values: Record<string, number | undefined> = {};
  const limits: Record<string, [number, number]> = { steps: [1, 1e9], batch: [1, 4096], points: [2, MAX_LINE_POINTS], grid: [2, MAX_GRID], samples: [1, 1e7], seed: [0, 2 ** 31 - 1] };
  for (const [name, [min, max]] of Object.entries(limits)) {
    const value = wholeNumber(flags, name, min, max);
    if (typeof value === 'string') return usage(io, value);
    values[name] = value;
  }
  const backend = flags.backend ?? 'wasm';
  if (backend !== 'cpu' && backend !== 'wasm') return usage(io, `--backend must be cpu or wasm, not '${backend}'`);
  let graph: ModelGraph | undefined;
  const code = withFile(positional, io, (file: string, analysis: Analysis) => {
    const picked = oneModel(file, analysis, flags.model, io);
    if (typeof picked === 'number') return picked;
    graph = picked;
    return 0;
  });
  if (code !== 0 || !graph) return code;
  const both = values.points === undefined && values.grid === undefined;
  return landscapeCommand(graph, {
    backend,
    steps: values.steps,
    batch: values.batch,
    points: both ? DEFAULT_LINE_POINTS : values.points,
    grid: both ? DEFAULT_GRID : values.grid,
    samples: values.samples ?? DEFAULT_LANDSCAPE_SAMPLES,
    seed: values.seed ?? graph.training.seed,
    json: flags.json !== undefined,
    out: io.out,
    err: io.err,
  });
}

/** `skipnet experiment lesion …`: the lesion study (Veit et al. 2016) on trained or loaded weights. */
async function lesion(rest: string[], io: CliIo): Promise<number> {
  const { positional, flags, error } = parseFlags(rest, ['model', 'backend', 'steps', 'weights', 'samples', 'draws', 'seed'], ['json', 'with-ablation']);
  if (error) return usage(io, error);
  const numbers: Record<string, number | undefined> = {};
  for (const name of ['steps', 'samples', 'draws', 'seed']) {
    if (flags[name] === undefined) continue;
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < (name === 'seed' ? 0 : 1)) return usage(io, `--${name} must be a whole number ≥ ${name === 'seed' ? 0 : 1}, not '${flags[name]}'`);
    numbers[name] = value;
  }
  if (flags.weights !== undefined && numbers.steps !== undefined) return usage(io, '--steps trains the model and --weights loads it: give one');
  if (flags.weights !== undefined && flags['with-ablation'] !== undefined) return usage(io, '--weights holds the model\'s weights only; to study the no-skip ablation too, train both with --steps');
  const backend = flags.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'wasm') return usage(io, `--backend must be cpu or wasm, not '${backend}'`);
  const input = readOneFile(positional, io);
  if (typeof input === 'number') return input;
  const { file, text } = input;
  const picked = oneModel(file, analyze(text), flags.model, io);
  if (typeof picked === 'number') return picked;
  let weights: Record<string, number[]> | undefined;
  if (flags.weights !== undefined) {
    try {
      weights = parseWeights(io.readFile(flags.weights), flags.weights);
    } catch (error) {
      io.err(`skipnet: ${error instanceof TrainError ? error.message : `cannot read ${flags.weights}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`}`);
      return 1;
    }
  }
  const ablation = flags['with-ablation'] === undefined ? undefined : withoutSkipConnections(text).models.find((m) => m.name === picked.name);
  return lesionCommand(picked, { backend, steps: numbers.steps, weights, ablation, samples: numbers.samples ?? 500, draws: numbers.draws ?? 5, seed: numbers.seed ?? 1, json: flags.json !== undefined, out: io.out, err: io.err });
}

/** `skipnet algebra FILE …`: the merge algebra's matrices at initialisation (src/cli/algebra.ts). */
export async function runAlgebra(argv: string[], io: CliIo): Promise<number> {
  const { positional, flags, error } = parseFlags(argv, ['model', 'backend', 'seed', 'batch'], ['json']);
  if (error) return usage(io, error);
  const seed = wholeNumber(flags, 'seed', 0, 2 ** 31 - 1);
  if (typeof seed === 'string') return usage(io, seed);
  const batch = wholeNumber(flags, 'batch', 1, 4096);
  if (typeof batch === 'string') return usage(io, batch);
  const backend = flags.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'wasm') return usage(io, `--backend must be cpu or wasm, not '${backend}'`);
  const input = readOneFile(positional, io);
  if (typeof input === 'number') return input;
  const picked = oneModel(input.file, analyze(input.text), flags.model, io);
  if (typeof picked === 'number') return picked;
  return algebraCommand(picked, { backend, seed, batch, json: flags.json !== undefined, out: io.out, err: io.err });
}
