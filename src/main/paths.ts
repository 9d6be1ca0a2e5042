// Where VGG Lab keeps its database and run files.
import os from 'node:os';
import path from 'node:path';

let warned = false;

/**
 * --data-dir, else $VGGLAB_HOME, else the OS user-data folder (the same one Electron's app uses).
 * VGGLAB_DATA_DIR, the desktop app's old name for it, is still read, with a warning.
 */
export function resolveDataDir(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.VGGLAB_HOME) return path.resolve(process.env.VGGLAB_HOME);
  if (process.env.VGGLAB_DATA_DIR) {
    if (!warned) process.stderr.write('warning: VGGLAB_DATA_DIR is the old name of VGGLAB_HOME; set VGGLAB_HOME instead\n');
    warned = true;
    return path.resolve(process.env.VGGLAB_DATA_DIR);
  }
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'vgglab');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'vgglab');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'vgglab');
}

export const runDir = (dataDir: string, runId: number) => path.join(dataDir, 'runs', String(runId));
