// A dataset SPEC (README, Command line): KIND or KIND:ARG — synthetic[:VARIANT], folder:PATH, cifar10:PATH, … —
// parsed here and nowhere else.
import { DatasetError } from './errors';
import { SOURCES, type DataSource } from './sources';

export interface DatasetSpec {
  text: string;
  source: DataSource;
  /** What follows the kind: a path, or the built-in data's variant. */
  arg: string | undefined;
  /** The path on disk, for kinds that read one; else null. */
  path: string | null;
}

/** How each kind is written, for help texts and errors. */
export const DATASET_KINDS: readonly string[] = SOURCES.map((s) => s.usage);

export function parseSpec(text: string): DatasetSpec {
  const i = text.indexOf(':');
  const kind = i < 0 ? text : text.slice(0, i);
  const arg = i < 0 ? undefined : text.slice(i + 1);
  const source = SOURCES.find((s) => s.kind === kind);
  if (!source) throw new DatasetError(`dataset '${text}': unknown kind '${kind}'; accepted: ${DATASET_KINDS.join(', ')}`);
  if (source.pathHolds && !arg) throw new DatasetError(`dataset '${text}': ${kind} needs a path, as ${kind}:PATH (${source.pathHolds})`);
  return { text, source, arg, path: source.pathHolds ? arg! : null };
}

/** The path a SPEC reads, or null for built-in data; null too for text that is not a SPEC (a registered name). */
export function specPath(text: string): string | null {
  try {
    return parseSpec(text).path;
  } catch {
    return null;
  }
}

/** The source a SPEC names, or null for text that is not one (a registered dataset's name). */
export function sourceOf(text: string): DataSource | null {
  try {
    return parseSpec(text).source;
  } catch {
    return null;
  }
}

/** Whether text is a SPEC (else it may be a registered dataset's name). */
export function isSpec(text: string): boolean {
  try {
    parseSpec(text);
    return true;
  } catch {
    return false;
  }
}
