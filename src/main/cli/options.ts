// The CLI's run options, generated from the run schema (shared/domain.ts) and its texts
// (shared/train-fields.ts): one flag per field, choices from the schema's enums, numbers checked by
// the schema's limits. Every refusal exits 2 naming the flag and what it accepts.
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { CONFIG_NAMES, TrainParams, type ConfigName } from '../../shared/domain';
import { flagOf, TRAIN_FIELDS } from '../../shared/train-fields';
import type { FieldIssue } from '../../shared/wire';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** An error's field issues phrased with flags. */
export const forCli = (issues: FieldIssue[]): string => issues.map((i) => (i.field ? `${flagOf(i.field)}: ${i.message}` : i.message)).join('; ');

/** The field's schema without its default or optional wrapper. */
function baseSchema(field: keyof TrainParams): z.ZodType {
  let s: z.ZodType = TrainParams.shape[field];
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** A number as typed; anything else is left for the schema to refuse with its accepted range. */
export const asNumber = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/** The schema's default of a field, for the help text. */
function defaultOf(field: keyof TrainParams): unknown {
  const s = TrainParams.shape[field] as z.ZodType;
  return s instanceof z.ZodDefault ? (s.def.defaultValue as unknown) : undefined;
}

/** Adds one option per run parameter to `cmd` (but `omit`); `mandatory` ones must be given, `help` replaces a field's text. */
export function addTrainOptions(cmd: Command, opts: { mandatory?: (keyof TrainParams)[]; omit?: (keyof TrainParams)[]; help?: Partial<Record<keyof TrainParams, string>> } = {}): Command {
  for (const field of Object.keys(TRAIN_FIELDS) as (keyof TrainParams)[]) {
    if (opts.omit?.includes(field)) continue;
    const text = TRAIN_FIELDS[field];
    const schema = baseSchema(field);
    const flag = flagOf(field);
    const help = opts.help?.[field] ?? text.help;
    if (schema instanceof z.ZodBoolean) {
      cmd.option(flag, help);
      cmd.option(`--no-${flag.slice(2)}`, `no ${text.label.toLowerCase()}`);
      continue;
    }
    const fallback = defaultOf(field);
    const option = new Option(`${flag} <${text.metavar}>`, fallback === undefined || /\(default/.test(help) ? help : `${help} (default: ${String(fallback)})`);
    if (schema instanceof z.ZodEnum) option.choices(schema.options as string[]);
    else if (schema instanceof z.ZodNumber) option.argParser(asNumber);
    if (opts.mandatory?.includes(field)) option.makeOptionMandatory();
    cmd.addOption(option);
  }
  return cmd;
}

/** The run parameters among a command's parsed flags (commander's other options, such as --json, left out). */
export function runFlags(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined && k in TRAIN_FIELDS));
}

export const intArg = (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
    throw new InvalidArgumentError(`${flag} ${v}: accepted values are integers from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  return n;
};

export const numArg = (flag: string, min: number, max: number, exclusiveMin = false) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (exclusiveMin ? n <= min : n < min) || n > max)
    throw new InvalidArgumentError(`${flag} ${v}: accepted range is ${exclusiveMin ? '(' : '['}${min}, ${max}]`);
  return n;
};

/** `--configs A,C,D,E`: configurations, each checked. */
export function parseConfigs(v: string): ConfigName[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((c) => !(CONFIG_NAMES as readonly string[]).includes(c));
  if (bad !== undefined || !list.length) throw new InvalidArgumentError(`--configs ${v}: accepted: a comma-separated list of ${CONFIG_NAMES.join(', ')}`);
  return list as ConfigName[];
}
