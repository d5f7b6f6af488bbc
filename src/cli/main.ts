import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { analyze, checkBatchStatistics, DiagnosticSink, formatBytes, formatCount, formatDiagnostic, formatMacs, formatMacsExact, pluralize, summarize, summaryJson, type Analysis, type ModelGraph } from '../core';
import { exportPyTorch } from '../export/pytorch';
import { compareSides, comparisonRows, renderComparison } from './compare';
import { explainOutput, explainSides, pathsOutput } from './explain';
import { renderSvg } from './render';
import { renderTable } from './table';
import { runAlgebra, runExperiment } from './experiment';
import { LANDSCAPE_USAGE } from '../train/experiments/landscapeCli';
import { trainCommand } from '../train/cli';
import { torchTrainCommand } from '../train/pytorch/cli';

const USAGE = `usage: skipnet <command> [options]

commands:
  check FILE                        print problems as file:line:col: severity: message; exit 1 on errors
  summary FILE [--model NAME] [--batch N] [--json]
                                    per-layer table (shape, feature maps and their provenance,
                                    parameters, MACs, memory) and totals
  compare FILE[:MODEL] [FILE2[:MODEL]] [--without-skips] [--batch N]
                                    two models side by side (or one file's first two models, or a
                                    model against itself with every skip connection removed)
  paths FILE [--model NAME] [--json]
                                    input → output paths by length in weighted layers (conv, dense,
                                    convtranspose, patchify, attention),
                                    exact counts and shares, and what they say
  explain FILE[:MODEL] [FILE2[:MODEL]] [--without-skips] [--batch N] [--json]
                                    the findings in words: width, parameters, MACs, memory, depth
                                    and paths, for one model or a pair (or a model and its ablation)
  algebra FILE [--model NAME] [--seed N] [--batch N] [--backend cpu|wasm] [--json]
                                    the merge algebra at initialisation (seeded), from one batch:
                                    DenseNet's source × target matrix ‖H_ℓ^s * X_s‖ (and mean |w|),
                                    ResNet's residual shares of the stream after each add
  export --pytorch FILE [--model NAME] [-o OUT.py]
                                    a readable torch.nn.Module (one class per block), to stdout or OUT.py
  render FILE [--model NAME] [--direction down|right] [--expand all|default] [--theme print|dark]
         [-o GRAPH.svg]             the graph view's drawing as a standalone SVG (elkjs layout), to
                                    stdout or GRAPH.svg
  train FILE [--model NAME] [--backend cpu|wasm] [--steps N] [--epochs N] [--batch N]
             [--eval-samples N] [--json]
             [--engine browser|pytorch] [--python PATH] [--device auto|cpu|cuda|mps] [--nproc N]
             [--data CIFAR_FOLDER] [--run-dir DIR]
                                    train the model on its data set in Node (TensorFlow.js) or on
                                    your PyTorch, printing progress and the final held-out
                                    accuracy (--json: one event per line); --nproc N shares each
                                    batch among N PyTorch processes (torchrun); --data is the
                                    CIFAR folder when the train section has no data: "…";
                                    --run-dir keeps the PyTorch run's files there
  experiment lesion FILE [--model NAME] [--steps N | --weights W.json] [--with-ablation]
             [--samples N] [--draws N] [--seed N] [--backend cpu|wasm] [--json]
                                    trains (or loads) the model, then removes each residual block
                                    or dense layer alone and k random ones (k = 1…n, mean ± sd over
                                    the draws) and prints held-out accuracy (Veit et al. 2016);
                                    --with-ablation also studies the model without skip connections
${LANDSCAPE_USAGE}
  help                              this text`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
}

const nodeIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readFile: (path) => readFileSync(path, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text),
};

/** Like runCli, but also runs the asynchronous commands (train, experiment). */
export async function runCliAsync(argv: string[], io: CliIo = nodeIo): Promise<number> {
  if (argv[0] === 'experiment') return runExperiment(argv.slice(1), io);
  if (argv[0] === 'algebra') return runAlgebra(argv.slice(1), io);
  if (argv[0] !== 'train') return runCli(argv, io);
  const { positional, flags, error } = parseFlags(argv.slice(1), ['model', 'backend', 'steps', 'epochs', 'batch', 'eval-samples', 'engine', 'python', 'device', 'nproc', 'data', 'run-dir'], ['json']);
  if (error) return usage(io, error);
  const numbers: Record<string, number | undefined> = {};
  for (const name of ['steps', 'epochs', 'batch', 'eval-samples', 'nproc']) {
    if (flags[name] === undefined) continue;
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < 1) return usage(io, `--${name} must be a whole number ≥ 1, not '${flags[name]}'`);
    numbers[name] = value;
  }
  const backend = flags.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'wasm') return usage(io, `--backend must be cpu or wasm, not '${backend}'`);
  // `browser` as the skipnet.train.engine setting says it (TensorFlow.js, here in Node); `tfjs` is kept as an alias.
  const engine = flags.engine === undefined || flags.engine === 'tfjs' ? 'browser' : flags.engine;
  if (engine !== 'browser' && engine !== 'pytorch') return usage(io, `--engine must be browser (TensorFlow.js) or pytorch, not '${engine}'`);
  if (engine === 'pytorch' && flags.backend !== undefined) return usage(io, '--backend chooses a TensorFlow.js backend; with --engine pytorch use --device');
  if (engine === 'browser' && (flags.python !== undefined || flags.device !== undefined)) return usage(io, `--${flags.python !== undefined ? 'python' : 'device'} needs --engine pytorch`);
  if (engine === 'browser' && (flags.nproc !== undefined || flags['run-dir'] !== undefined)) return usage(io, `--${flags.nproc !== undefined ? 'nproc' : 'run-dir'} needs --engine pytorch`);
  const device = flags.device ?? 'auto';
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda' && device !== 'mps') return usage(io, `--device must be auto, cpu, cuda or mps, not '${device}'`);
  let source: { file: string; analysis: Analysis } | undefined;
  let graph: ModelGraph | undefined;
  const code = withFile(positional, io, (file, analysis) => {
    // --batch replaces the train section's batch, so the batch-norm check runs again at the batch that trains.
    const relevant = numbers.batch === undefined ? analysis.diagnostics : analysis.diagnostics.filter((d) => d.code !== 'bn-single-value');
    for (const diagnostic of relevant) io.err(formatDiagnostic(file, analysis, diagnostic));
    if (relevant.some((d) => d.severity === 'error')) return 1;
    const models = pickModels(analysis, flags.model, io);
    if (!models) return 1;
    if (models.length > 1) {
      io.err(`skipnet: the file has several models (${models.map((m) => m.name).join(', ')}); pick one with --model`);
      return 2;
    }
    if (numbers.batch !== undefined) {
      const sink = new DiagnosticSink();
      checkBatchStatistics(models[0], numbers.batch, sink, undefined, ' (from --batch)');
      for (const diagnostic of sink.items) io.err(formatDiagnostic(file, analysis, diagnostic));
      if (sink.errorCount > 0) return 1;
    }
    graph = models[0];
    source = { file, analysis };
    return 0;
  });
  if (code !== 0 || !graph || !source) return code;
  if (engine === 'pytorch') {
    const { file, analysis } = source;
    return torchTrainCommand({ analysis, graph, sourceName: basename(file), python: flags.python, device, nproc: numbers.nproc, runDir: flags['run-dir'], cifarFolder: flags.data, base: dirname(resolve(file)), steps: numbers.steps, epochs: numbers.epochs, batch: numbers.batch, evalSamples: numbers['eval-samples'], json: flags.json !== undefined, out: io.out, err: io.err });
  }
  return trainCommand(graph, { backend, cifarFolder: flags.data, base: dirname(resolve(source.file)), steps: numbers.steps, epochs: numbers.epochs, batch: numbers.batch, evalSamples: numbers['eval-samples'], json: flags.json !== undefined, out: io.out, err: io.err });
}

/** Runs the CLI and returns its exit code: 0 ok, 1 problems in the input, 2 wrong usage. */
export function runCli(argv: string[], io: CliIo = nodeIo): number {
  const [command, ...rest] = argv;
  const { positional, flags, error } = parseFlags(rest, ['model', 'batch', 'o'], ['json', 'pytorch', 'without-skips']);
  if (error) return usage(io, error);
  switch (command) {
    case 'check':
      return withFile(positional, io, (file, analysis) => {
        for (const diagnostic of analysis.diagnostics) io.out(formatDiagnostic(file, analysis, diagnostic));
        const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
        if (errors === 0) io.out(`${file}: ok (${analysis.models.length} model${analysis.models.length === 1 ? '' : 's'})`);
        return errors > 0 ? 1 : 0;
      });
    case 'summary':
      return withFile(positional, io, (file, analysis) => {
        for (const diagnostic of analysis.diagnostics) io.err(formatDiagnostic(file, analysis, diagnostic));
        const models = pickModels(analysis, flags.model, io);
        if (!models) return 1;
        const batch = flags.batch === undefined ? undefined : Number(flags.batch);
        if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) return usage(io, `--batch must be a whole number ≥ 1, not '${flags.batch}'`);
        const summaries = models.map((m) => summarize(m, batch ?? m.training.batch));
        if (flags.json !== undefined) io.out(summaryJson(summaries.length === 1 ? summaries[0] : summaries));
        else summaries.forEach((s, i) => printSummary(io, s, i > 0));
        return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
      });
    case 'compare': {
      const batch = flags.batch === undefined ? 32 : Number(flags.batch);
      if (!Number.isInteger(batch) || batch < 1) return usage(io, `--batch must be a whole number ≥ 1, not '${flags.batch}'`);
      let result: ReturnType<typeof compareSides>;
      try {
        result = compareSides(positional, io.readFile, flags['without-skips'] !== undefined);
      } catch (error) {
        io.err(`skipnet: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        return 2;
      }
      if ('error' in result) return usage(io, result.error);
      result.problems.forEach((p) => io.err(p));
      if (flags.json !== undefined) io.out(JSON.stringify(comparisonRows(result.sides[0], result.sides[1], batch), null, 2));
      else io.out(renderComparison(result.sides[0], result.sides[1], batch));
      return result.problems.length > 0 ? 1 : 0;
    }
    case 'paths':
      return withFile(positional, io, (file, analysis) => {
        for (const diagnostic of analysis.diagnostics) io.err(formatDiagnostic(file, analysis, diagnostic));
        const models = pickModels(analysis, flags.model, io);
        if (!models) return 1;
        io.out(pathsOutput(models, flags.json !== undefined));
        return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
      });
    case 'explain': {
      const batch = flags.batch === undefined ? undefined : Number(flags.batch);
      if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) return usage(io, `--batch must be a whole number ≥ 1, not '${flags.batch}'`);
      let result: ReturnType<typeof explainSides>;
      try {
        result = explainSides(positional, io.readFile, flags['without-skips'] !== undefined, flags.model);
      } catch (error) {
        io.err(`skipnet: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        return 2;
      }
      if ('error' in result) return usage(io, result.error);
      result.problems.forEach((p) => io.err(p));
      io.out(explainOutput(result.sides, batch, flags.json !== undefined));
      return result.problems.length > 0 ? 1 : 0;
    }
    case 'export':
      return withFile(positional, io, (file, analysis) => {
        if (flags.pytorch === undefined) return usage(io, 'export needs a format: --pytorch');
        const models = pickModels(analysis, flags.model, io);
        if (!models) return 1;
        if (models.length > 1) {
          io.err(`skipnet: the file has ${models.length} models (${models.map((m) => m.name).join(', ')}); choose one with --model`);
          return 2;
        }
        const result = exportPyTorch(analysis, models[0], basename(file));
        if (!result.ok) {
          for (const problem of result.problems) {
            const position = analysis.lines.positionAt(problem.range.start);
            io.err(`${file}:${position.line + 1}:${position.character + 1}: error: ${problem.message}`);
          }
          return 1;
        }
        if (flags.o === undefined) io.out(result.code);
        else {
          io.writeFile(flags.o, result.code);
          io.err(`wrote ${flags.o} (class ${result.className})`);
        }
        return 0;
      });
    case 'render':
      return usage(io, 'render lays out asynchronously: call runRenderCommand');
    case 'train':
    case 'experiment':
    case 'algebra':
      return usage(io, `${command} runs asynchronously: call runCliAsync`);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(io, `unknown command '${command}'`);
  }
}

/** `skipnet render` (asynchronous: elkjs lays out with promises). */
export async function runRenderCommand(argv: string[], io: CliIo = nodeIo): Promise<number> {
  const { positional, flags, error } = parseFlags(argv[0] === 'render' ? argv.slice(1) : argv, ['model', 'direction', 'expand', 'theme', 'o'], []);
  if (error) return usage(io, error);
  const direction = flags.direction ?? 'down';
  if (direction !== 'down' && direction !== 'right') return usage(io, `--direction must be down or right, not '${direction}'`);
  const expand = flags.expand ?? 'default';
  if (expand !== 'all' && expand !== 'default') return usage(io, `--expand must be all or default, not '${expand}'`);
  const theme = flags.theme ?? 'print';
  if (theme !== 'print' && theme !== 'dark') return usage(io, `--theme must be print or dark, not '${theme}'`);
  const input = readOneFile(positional, io);
  if (typeof input === 'number') return input;
  const { file, text } = input;
  const result = await renderSvg(text, { model: flags.model, direction, expand, theme });
  if (!result.ok) {
    io.err(`skipnet: ${file}: ${result.message}`);
    return result.exitCode;
  }
  if (flags.o === undefined) io.out(result.svg.trimEnd());
  else {
    io.writeFile(flags.o, result.svg);
    io.err(`wrote ${flags.o} (${result.drawing.items.size} ${pluralize(result.drawing.items.size, 'node')}, ${Math.ceil(result.drawing.width)}×${Math.ceil(result.drawing.height)})`);
  }
  return 0;
}

export function usage(io: CliIo, message: string): number {
  io.err(`skipnet: ${message}\n\n${USAGE}`);
  return 2;
}

/** The one .skipnet file a command works on, or the exit code after saying why it cannot be read. */
export function readOneFile(positional: string[], io: CliIo): { file: string; text: string } | number {
  if (positional.length !== 1) return usage(io, 'expected exactly one .skipnet file');
  const file = positional[0];
  try {
    return { file, text: io.readFile(file) };
  } catch (error) {
    io.err(`skipnet: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return 2;
  }
}

export function withFile(positional: string[], io: CliIo, run: (file: string, analysis: Analysis) => number): number {
  const input = readOneFile(positional, io);
  return typeof input === 'number' ? input : run(input.file, analyze(input.text));
}

export function pickModels(analysis: Analysis, name: string | undefined, io: CliIo): ModelGraph[] | undefined {
  if (analysis.models.length === 0) {
    io.err('skipnet: the file defines no model');
    return undefined;
  }
  if (name === undefined) return analysis.models;
  const model = analysis.models.find((m) => m.name === name);
  if (!model) io.err(`skipnet: no model '${name}'; the file has ${analysis.models.map((m) => m.name).join(', ')}`);
  return model ? [model] : undefined;
}

function printSummary(io: CliIo, summary: ReturnType<typeof summarize>, separate: boolean): void {
  if (separate) io.out('');
  io.out(`Model ${summary.model} — input ${summary.input}`);
  io.out(
    renderTable(
      ['Layer', 'Op', 'Output', 'Feature maps (provenance)', 'Params', 'MACs', 'Memory'],
      summary.rows.map((r) => [r.id, r.op, r.shape, r.featureMaps, formatCount(r.params), formatMacs(r.macs), formatBytes(r.activationBytes)]),
      [false, false, false, false, true, true, true],
    ),
  );
  const t = summary.totals;
  io.out(`Trainable params: ${formatCount(t.params)}`);
  io.out(`Buffers (BN running statistics): ${formatCount(t.buffers)}`);
  io.out(`MACs per sample: ${formatMacsExact(t.macs)}`);
  io.out(`Activations per sample: ${formatBytes(t.activationBytesPerSample)} (layer outputs; ${formatBytes(t.savedBytesPerSample)} kept for the backward pass)`);
  const m = t.training;
  io.out(
    `Training memory at batch ${m.batch}: ${formatBytes(m.total)} (weights ${formatBytes(m.weights)}, buffers ${formatBytes(m.buffers)}, gradients ${formatBytes(m.gradients)}, optimizer ${formatBytes(m.optimizerState)}, activations ${formatBytes(m.activations)})`,
  );
  io.out(`Training memory in bytes: ${formatCount(m.total)}`);
  if (!summary.complete) io.out('Note: errors left some shapes unknown; the totals cover only the known layers.');
}

export function parseFlags(args: string[], valued: string[], bare: string[]): { positional: string[]; flags: Record<string, string | undefined>; error?: string } {
  const positional: string[] = [];
  const flags: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.replace(/^--?/, '').split('=', 2);
    if (bare.includes(name)) flags[name] = '';
    else if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) return { positional, flags, error: `${name.length === 1 ? '-' : '--'}${name} needs a value` };
      flags[name] = value;
    } else return { positional, flags, error: `unknown option --${name}` };
  }
  return { positional, flags };
}

