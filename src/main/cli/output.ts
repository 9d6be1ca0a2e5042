// What every command prints through: the global flags and --json's one object per line.
export interface Globals {
  dataDir?: string;
}

export const printJson = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');
