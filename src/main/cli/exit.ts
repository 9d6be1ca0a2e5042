// The CLI's exit codes, one table, and how a failure is told: one line on stderr (and one pointing
// to --help for bad usage), or with --json a JSON object on stdout, `{error: {code, message, field?}}`,
// with the same exit code.
import { CommanderError } from 'commander';
import { ContractError } from '../../shared/contract';
import { flagOf } from '../../shared/train-fields';
import { forCli, UsageError } from './options';

export const EXIT = {
  /** Success. */
  ok: 0,
  /** The work ran and failed: a run failed or diverged, an evaluation failed. */
  failed: 1,
  /** Bad usage: a flag's value, a missing argument, an unknown run, study or dataset. */
  usage: 2,
  /** Refused because of state: a run another live process holds, a run that cannot be resumed. */
  state: 3,
  /** Interrupted by SIGINT after a clean checkpoint. */
  interrupted: 130,
} as const;

export interface CliFailure {
  exit: number;
  /** usage | not_found | conflict | failed */
  code: string;
  message: string;
  /** The flag the failure is about, where there is one. */
  field?: string;
}

/** What an error means for the exit code and the message. */
export function failureOf(err: unknown): CliFailure {
  if (err instanceof CommanderError) {
    const message = err.message.replace(/^error: /, '');
    const flag = /option '(--[a-z-]+)/.exec(message)?.[1];
    return { exit: EXIT.usage, code: 'usage', message, ...(flag ? { field: flag } : {}) };
  }
  if (err instanceof UsageError) {
    const flag = /^(--[a-z-]+)/.exec(err.message)?.[1];
    return { exit: EXIT.usage, code: 'usage', message: err.message, ...(flag ? { field: flag } : {}) };
  }
  if (err instanceof ContractError) {
    const field = err.issues.find((i) => i.field)?.field;
    const exit = err.code === 'conflict' ? EXIT.state : EXIT.usage;
    return { exit, code: err.code === 'bad_request' ? 'usage' : err.code, message: forCli(err.issues), ...(field ? { field: flagOf(field) } : {}) };
  }
  return { exit: EXIT.failed, code: 'failed', message: (err as Error).message ?? String(err) };
}

/** Whether the command line asks for JSON output (--json, or --format json). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

/** Tells the failure: JSON on stdout, else a line on stderr, and for bad usage a pointer to the command's help. */
export function report(f: CliFailure, argv: readonly string[], commandPath: string): void {
  if (wantsJson(argv)) {
    process.stdout.write(`${JSON.stringify({ error: { code: f.code, message: f.message, ...(f.field ? { field: f.field } : {}) } })}\n`);
    return;
  }
  process.stderr.write(`vgglab: ${f.message}\n`);
  if (f.code === 'usage') process.stderr.write(`run \`vgglab ${commandPath ? `${commandPath} ` : ''}--help\` for the accepted flags and values\n`);
}
