/** The bundle of worker `name` where it is as new as every source file, else null. */
export function builtWorker(name: 'training' | 'evaluation' | 'pipeline'): string | null;
/** Loads worker `name`: its bundle where fresh, else `source` (a URL of its TypeScript) through tsx. */
export function bootWorker(name: 'training' | 'evaluation' | 'pipeline', source: string): Promise<void>;
/** The path of out/main/FILE where it is as new as every source file, else null. */
export function builtFile(rel: string): string | null;
