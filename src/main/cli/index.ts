// The `vgglab` command: argument parsing, and every failure turned into its exit code and message (exit.ts).
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BACKEND_CHOICES, BACKEND_NAMES, CONFIG_NAMES, PROTOCOLS, RUN_STATUSES } from '../../shared/domain';
import { COMPARE_FORMATS, EXPORT_FORMATS, STUDY_FORMATS } from '../../shared/output-formats';
import { APP_VERSION } from '../version';
import { addTrainOptions, asNumber, intArg, numArg, parseConfigs } from './options';
import { failureOf, report } from './exit';
import { queueSecrets } from './secrets';
import type { Globals } from './output';
import { command } from './load';
import { complete, completionScript, SHELLS, type Shell } from './completion';
import { DATASET_KINDS } from '../data/spec';

/** Beside every --queue: the password kept off the command line (secrets.ts reads it). */
const queuePasswordFile = () => new Option('--queue-password-file <FILE>', "the queue's password, from the first line of FILE (else $VGGLAB_QUEUE_PASSWORD; never in --queue, where `ps` shows it)");
/** --dataset-folders' old name, still read (datasetFolders below). */
const oldDataRoot = () => new Option('--data-root <DIR...>', 'old name of --dataset-folders').hideHelp();

function buildProgram(setCode: (c: number) => void): Command {
  const program = new Command('vgglab')
    .description('VGG Lab: train, evaluate and compare VGG networks (Simonyan & Zisserman, 2014)')
    .version(APP_VERSION)
    .option('--data-dir <DIR>', 'folder holding the database and run files (default: $VGGLAB_HOME, else the OS user-data folder)')
    // A refusal is one line and a pointer to --help (exit.ts), not the whole help; with --json, a JSON object.
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  const globals = (): Globals => program.opts<Globals>();
  const run = (fn: () => Promise<number> | number) => async () => setCode(await fn());

  program
    .command('models')
    .description('weight layers, parameters and forward FLOPs per image for each configuration')
    .option('--input-size <N>', 'input side in pixels (multiple of 32) (default: 224)', asNumber)
    .option('--width <W>', 'width multiplier for every layer (default: 1)', asNumber)
    .option('--classes <K>', 'number of classes (default: 1000)', asNumber)
    .option('--json', 'print one JSON object')
    .action((o) => run(async () => (await command('runs')).modelsCommand(o))());

  addTrainOptions(program.command('train').description('train one VGG configuration and record the run'), { mandatory: ['config'], help: { dataset: `${DATASET_KINDS.join(', ')}, or a registered dataset's name` } })
    .option('--queue <URL>', 'with --on cluster: the Redis queue (default: $VGGLAB_QUEUE, else the Cluster page)')
    .addOption(queuePasswordFile())
    .option('--artifacts <DIR>', 'with --on cluster: the shared artifacts folder as mounted here (default: $VGGLAB_ARTIFACTS, else the saved setting)')
    .option('--device <N>', 'the CUDA device this run uses (torch, tensorflow-gpu; default: the first)', intArg('--device', 0, 255))
    .option('--json', 'print one JSON object as the last line')
    .option('--quiet', 'no progress (else a bar on a terminal, one line per epoch otherwise, on stderr)')
    .action((o) => run(async () => (queueSecrets(o), (await command('runs')).trainCommand(globals(), o)))());

  program
    .command('resume')
    .description('continue a stopped, failed or interrupted run from its newest checkpoint')
    .argument('<RUN>', 'run id', intArg('RUN', 1))
    .addOption(new Option('--backend <B>', 'continue on this backend (checkpoints are the same on every one); default: the run\'s own').choices(BACKEND_CHOICES))
    .option('--queue <URL>', 'a cluster run: the Redis queue (default: $VGGLAB_QUEUE, else the saved setting)')
    .addOption(queuePasswordFile())
    .option('--artifacts <DIR>', 'a cluster run: the shared artifacts folder as mounted here')
    .option('--json', 'print one JSON object as the last line')
    .option('--quiet', 'no progress')
    .action((id: number, o) => run(async () => (queueSecrets(o), (await command('runs')).resumeCommand(globals(), id, o)))());

  const study = program.command('study').description("the paper's Table 3 as one study over N seeds: start, resume, cancel, show");
  addTrainOptions(study.command('start').description("train Table 3's runs (per seed: A, A-LRN, B–E at S 256; C, D, E at S 384 and jittered; warm-started as in the paper), follow them, then evaluate each as Table 3 did"), {
    omit: ['config', 'init', 'scale'],
    help: { dataset: `${DATASET_KINDS.join(', ')}, or a registered dataset's name`, warmup: 'epochs over which each run\'s rate climbs linearly to its --lr; not in the paper, without it E can stay at chance (default for the study: 1; 0: the paper\'s recipe)' },
  })
    .option('--seeds <N>', 'seeds, each a whole table (seeds --seed, --seed+1, …); 3 give error bars', intArg('--seeds', 1, 20), 1)
    .option('--configs <C,C,..>', 'only these configurations (B–E bring A, their warm start); default: all six', parseConfigs)
    .option('--no-eval', 'do not evaluate the runs at the end')
    .option('--json', 'print one JSON object as the last line')
    .action((o) => run(async () => (await command('study')).studyCommand(globals(), { ...o, warmup: o.warmup ?? 1 }))());
  study
    .command('resume')
    .description('go on with every run of the study that did not complete (from its newest checkpoint, or from its start), and follow it')
    .argument('<STUDY>', 'study id', intArg('STUDY', 1))
    .option('--no-eval', 'do not evaluate the runs at the end')
    .option('--json', 'print one JSON object as the last line')
    .action((id: number, o) => run(async () => (await command('study')).studyResumeCommand(globals(), id, o))());
  study
    .command('cancel')
    .description('stop every queued or training run of the study (the training one after a checkpoint)')
    .argument('<STUDY>', 'study id', intArg('STUDY', 1))
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('study')).studyCancelCommand(globals(), id, o))());
  study
    .command('show')
    .description("progress, and Table 3 over the seeds (mean ± sd per row, each seed's figure) with the paper's findings judged")
    .argument('<STUDY>', 'study id', intArg('STUDY', 1))
    .addOption(new Option('--format <F>', 'table | md (Table 3 and the findings) | csv (one line per run and seed) | json').choices(STUDY_FORMATS).default('table'))
    .option('--json', 'the same as --format json')
    .action((id: number, o) => run(async () => (await command('study')).studyShowCommand(globals(), id, o))());
  program
    .command('studies')
    .description('the studies in the data folder, with their progress')
    .option('--json', 'print one JSON object')
    .action((o) => run(async () => (await command('study')).studiesCommand(globals(), o))());

  const sinceArg = (v: string) => {
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError(`--since ${v}: accepted: a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM`);
    return v;
  };
  program
    .command('runs')
    .description('list recorded runs, newest first')
    .addOption(new Option('--status <S>', 'only runs in this state').choices(RUN_STATUSES))
    .addOption(new Option('--config <C>', 'only this configuration').choices(CONFIG_NAMES))
    .option('--tag <T>', 'only runs with this tag')
    .addOption(new Option('--backend <B>', 'only runs trained on this backend').choices(BACKEND_NAMES))
    .option('--since <DATE>', 'only runs created at or after this date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM in UTC)', sinceArg)
    .option('--limit <N>', 'at most N runs (the newest)', intArg('--limit', 1))
    .option('--json', 'print one JSON object')
    .action((o) => run(async () => (await command('read')).runsCommand(globals(), o))());

  const runArg = intArg('RUN', 1);
  program
    .command('stop')
    .description('stop a queued or training run (a training one after its current step, with a checkpoint), whichever process trains it')
    .argument('<RUN>', 'run id', runArg)
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('manage')).stopCommand(globals(), id, o))());
  program
    .command('pause')
    .description('hold a training run between steps (its worker and memory stay)')
    .argument('<RUN>', 'run id', runArg)
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('manage')).pauseCommand(globals(), id, true, o))());
  program
    .command('continue')
    .description('let a paused run go on')
    .argument('<RUN>', 'run id', runArg)
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('manage')).pauseCommand(globals(), id, false, o))());
  program
    .command('delete')
    .description('delete a finished run with its metrics, checkpoints and evaluations (asks first on a terminal)')
    .argument('<RUN>', 'run id', runArg)
    .option('--yes', 'do not ask (needed where there is no terminal to ask on)')
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('manage')).deleteCommand(globals(), id, o))());
  program
    .command('tag')
    .description('add (+TAG) and remove (-TAG) tags of a run')
    .argument('<RUN>', 'run id', runArg)
    .argument('<CHANGES...>', '+TAG to add, -TAG to remove')
    .option('--json', 'print one JSON object')
    // -TAG is a change, not an option.
    .allowUnknownOption()
    .action((id: number, changes: string[], o) => run(async () => (await command('manage')).tagCommand(globals(), id, changes, o))());
  program
    .command('note')
    .description("set a run's notes")
    .argument('<RUN>', 'run id', runArg)
    .argument('<TEXT>', 'the notes (replacing what was there; "" clears them)')
    .option('--json', 'print one JSON object')
    .action((id: number, text: string, o) => run(async () => (await command('manage')).noteCommand(globals(), id, text, o))());

  program
    .command('show')
    .description('one run: parameters, status, final metrics, events')
    .argument('<RUN>', 'run id', intArg('RUN', 1))
    .option('--json', 'print one JSON object')
    .action((id: number, o) => run(async () => (await command('read')).showCommand(globals(), id, o))());

  program
    .command('serve')
    .description('serve the UI and API over HTTP + WebSocket (token required)')
    .option('--host <HOST>', 'address to bind', '127.0.0.1')
    .option('--port <N>', 'port (0 picks a free one)', intArg('--port', 0, 65535), 8472)
    .option('--token <T>', 'access token (visible in `ps`: prefer $VGGLAB_TOKEN or --token-file; default: random)')
    .option('--token-file <FILE>', 'the access token, from the first line of FILE')
    .option('--dataset-folders <DIR...>', 'the folders remote callers may read datasets from (default: your home folder)')
    .addOption(oldDataRoot())
    .option('--json', 'print the address and folders as one JSON object when serving')
    .action((o) => run(async () => (await command('serve')).serveCommand(globals(), datasetFolders(o)))());

  const scalesArg = (v: string) => {
    if (!/^\d+(,\d+)*$/.test(v)) throw new InvalidArgumentError(`--scales ${v}: accepted: comma-separated test scales Q1,Q2,… (integers ≥ the input size)`);
    return v.split(',').map(Number);
  };
  const checkpointArg = (v: string) => {
    if (v === 'last' || v === 'best') return v;
    if (/^[1-9]\d*$/.test(v)) return Number(v);
    throw new InvalidArgumentError(`--checkpoint ${v}: accepted: last (the final weights), best (best on validation) or an epoch number`);
  };
  program
    .command('eval')
    .description("evaluate a run with the paper's test protocol; top-1/top-5 error, recorded as an evaluation")
    .argument('<RUN>', 'run id', intArg('RUN', 1))
    .addOption(new Option('--protocol <P>', 'test protocol (the paper’s main one: dense)').choices(PROTOCOLS).default('dense'))
    .option('--scales <Q1,Q2,..>', 'test scales (default: the paper’s {S−d, S, S+d} with d = 32·input/224, or {SMIN, middle, SMAX} when S was jittered)', scalesArg)
    .option('--checkpoint <last|best|EPOCH>', 'which weights: last (the final weights), best (best on validation), or an epoch', checkpointArg, 'last')
    .option('--json', 'print one JSON object as the last line')
    .action((id: number, o) => run(async () => (await command('results')).evalCommand(globals(), [id], o))());

  program
    .command('predict')
    .description('classify image files with a run: each one\'s five most probable classes (any size and format, rescaled as evaluation does)')
    .argument('<RUN>', 'run id', intArg('RUN', 1))
    .argument('<FILE...>', 'image files (JPEG, PNG, WebP, GIF, TIFF, AVIF, BMP)')
    .addOption(new Option('--protocol <P>', 'test protocol').choices(PROTOCOLS).default('center'))
    .option('--scales <Q1,Q2,..>', 'test scales (default: as eval)', scalesArg)
    .option('--checkpoint <last|best|EPOCH>', 'which weights: last (the final weights), best, or an epoch', checkpointArg, 'last')
    .option('--json', 'print one JSON object as the last line')
    .action((id: number, files: string[], o) => run(async () => (await command('predict')).predictCommand(globals(), id, files, o))());

  program
    .command('fuse')
    .description('average the soft-max posteriors of several runs (ConvNet fusion), recorded as an evaluation')
    .argument('<RUN...>', 'two or more run ids')
    .addOption(new Option('--protocol <P>', 'test protocol').choices(PROTOCOLS).default('dense'))
    .option('--scales <Q1,Q2,..>', 'test scales', scalesArg)
    .option('--checkpoint <last|best|EPOCH>', 'which weights of each run', checkpointArg, 'last')
    .option('--json', 'print one JSON object as the last line')
    .action((ids: string[], o) => run(async () => (await command('results')).evalCommand(globals(), ids.map((x) => intArg('RUN', 1)(x)), o))());

  program
    .command('compare')
    .description('one row per (run, evaluation), with the paper’s matching rows')
    .argument('<RUN...>', 'run ids')
    .addOption(new Option('--format <F>', 'output format').choices(COMPARE_FORMATS).default('table'))
    .option('--no-paper', 'leave out the paper’s reference rows')
    .option('--json', 'the same as --format json')
    .action((ids: string[], o) => run(async () => (await command('results')).compareCommand(globals(), ids.map((x) => intArg('RUN', 1)(x)), { ...o, format: o.json ? 'json' : o.format }))());

  program
    .command('export')
    .description('write runs to a file: tidy CSV of every metric, whole runs as JSON, or Markdown/LaTeX tables')
    .argument('[RUN...]', 'run ids')
    .option('--all', 'every recorded run')
    .addOption(new Option('--format <F>', 'file format (tfjs: the trained model of one run, in TF.js Layers format)').choices([...EXPORT_FORMATS, 'tfjs']).makeOptionMandatory())
    .requiredOption('--out <FILE>', 'file to write (a folder for tfjs)')
    .option('--json', 'print what was written as one JSON object')
    .action((ids: string[], o) => run(async () => (await command('results')).exportCommand(globals(), ids.map((x) => intArg('RUN', 1)(x)), o))());

  const datasets = program
    .command('datasets')
    .description('registered datasets (or `datasets add PATH`)')
    .option('--json', 'print one JSON object')
    .action((o) => run(async () => (await command('datasets')).datasetsListCommand(globals(), o))());
  datasets
    .command('add')
    .description('scan a dataset folder once and register it under a name')
    .argument('<PATH>', 'a folder of class sub-folders, CIFAR binaries or IDX files')
    .option('--name <NAME>', 'name to use in --dataset (default: the folder name)')
    .option('--json', 'print one JSON object')
    // `--json` may be taken by the parent `datasets` command's own option.
    .action((dir: string, o) => run(async () => (await command('datasets')).datasetsAddCommand(globals(), dir, { ...o, json: o.json || datasets.opts().json }))());

  program
    .command('bench')
    .description('images/s of the engine and of a bare TF.js loop, per backend and workload, and of the data pipeline')
    .addOption(new Option('--backend <B>', 'only this backend').choices(BACKEND_CHOICES.filter((b) => b !== 'auto')))
    .option('--seconds <S>', 'measuring time per figure', numArg('--seconds', 0, 600, true), 5)
    .option('--windows <N>', 'W1-W3: windows per figure, sharing --seconds (the engine\'s epochs, with a bare-loop and a PyTorch window paused in each); each figure is the best of its windows, "paired" the median of engine ÷ PyTorch; more windows give steadier figures where the machine\'s speed drifts', intArg('--windows', 1, 50), 3)
    .option('--workload <W>', 'comma-separated subset of W1,W2,W3,data,eval,order (data: the input pipeline alone; eval: the test protocols on W2\'s model; order, only by name: W2, then W1 and an evaluation, then W2 again, in one process)')
    .option('--precision <P>', 'comma-separated precisions the engine and bare loop run in: fp32 (default), bf16, fp16 (each backend those it takes here; PyTorch\'s reference stays fp32)')
    .option('--conv-algorithm <A>', 'comma-separated convolution algorithms of the native backend: auto (default), direct, winograd (each precision runs with each)')
    .addOption(new Option('--on <WHERE>', 'cluster: W2 here and through a local `vgglab worker` and Redis (the queue\'s cost, and metric latency)').choices(['local', 'cluster']).default('local'))
    .option('--queue <URL>', 'with --on cluster: a Redis to use (default: a scratch redis-server on this machine)')
    .addOption(queuePasswordFile())
    .option('--json', 'print one JSON object as the last line')
    .action((o) => run(async () => (queueSecrets(o), (await command('bench')).benchCommand(o)))());

  program
    .command('worker')
    .description('take training runs from the cluster queue on this host, one at a time, until stopped (SIGINT/SIGTERM hand the current run back)')
    .option('--queue <URL>', 'the Redis queue: redis://[:PASSWORD@]HOST:PORT or rediss:// (default: $VGGLAB_QUEUE)')
    .addOption(queuePasswordFile())
    .option('--artifacts <DIR>', 'shared folder for checkpoints, as mounted here (default: $VGGLAB_ARTIFACTS)')
    .addOption(new Option('--backend <B>', 'compute backend for runs that leave it to auto').choices(BACKEND_CHOICES).default('auto'))
    .option('--name <NAME>', 'name shown on the Workers page (default: HOST-PID)')
    .option('--dataset-folders <DIR...>', 'the folders datasets may be read from (default: none, only built-in data)')
    .addOption(oldDataRoot())
    .option('--device <N>', 'the CUDA device this worker uses (torch, tensorflow-gpu; start one worker per GPU)', intArg('--device', 0, 255))
    .option('--json', 'events as JSON lines on stdout (started, run-started, epoch, run-ended, refused, lost-lock, handback, stopping, stopped)')
    .action((o) => run(async () => (queueSecrets(o), (await command('cluster')).workerCommand(datasetFolders(o))))());

  program
    .command('workers')
    .description('the cluster workers online: backend, device, current run, last heartbeat')
    .option('--queue <URL>', 'the Redis queue (default: $VGGLAB_QUEUE, else the saved setting)')
    .addOption(queuePasswordFile())
    .option('--json', 'print one JSON object')
    .action((o) => run(async () => (queueSecrets(o), (await command('cluster')).workersCommand(globals(), o)))());

  program
    .command('completion')
    .description('print a completion script: eval "$(vgglab completion bash)" in ~/.bashrc (zsh: ~/.zshrc; fish: vgglab completion fish | source)')
    .addArgument(new Argument('<SHELL>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => run(() => (process.stdout.write(completionScript(shell)), 0))());
  return program;
}

/** --dataset-folders, or its old name --data-root with a warning (it sat beside --data-dir, which means the data folder). */
function datasetFolders<T extends { datasetFolders?: string[]; dataRoot?: string[] }>(o: T): T {
  if (!o.dataRoot) return o;
  process.stderr.write('warning: --data-root is the old name of --dataset-folders; use --dataset-folders\n');
  return { ...o, datasetFolders: o.datasetFolders ?? o.dataRoot };
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    // The shell's question (completion.ts): every word after __complete is taken as typed, flags too.
    const at = argv.indexOf('__complete');
    if (at >= 0) {
      const words = argv.slice(at + 1);
      const dd = argv.indexOf('--data-dir');
      const globalsNow = { dataDir: dd >= 0 && dd < at ? argv[dd + 1] : undefined };
      const candidates = await complete(program, words.length ? words : [''], async () => (await command('read')).runIdsForCompletion(globalsNow));
      for (const c of candidates) process.stdout.write(`${c}\n`);
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return 0;
    const f = failureOf(err);
    report(f, argv, commandPath(program, argv));
    return f.exit;
  }
}

/** The subcommand the arguments name (`study start`), for the pointer to its help. */
function commandPath(program: Command, argv: readonly string[]): string {
  const names: string[] = [];
  let cmd: Command | undefined = program;
  // Option values and run ids never name a command, so every other word is passed over.
  for (const a of argv) {
    const sub: Command | undefined = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) continue;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(' ');
}
