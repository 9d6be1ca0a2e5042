// Where VGG Lab keeps its database and run files.
import os from 'node:os';
import path from 'node:path';

/** --data-dir, else $VGGLAB_HOME, else the OS user-data folder (the same one Electron's app uses). */
export function resolveDataDir(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.VGGLAB_HOME) return path.resolve(process.env.VGGLAB_HOME);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'vgglab');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'vgglab');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'vgglab');
}

export const runDir = (dataDir: string, runId: number) => path.join(dataDir, 'runs', String(runId));
