// Where Electron's binary is, if its download succeeded; null otherwise. Shared by postinstall,
// `npm start` and the Electron end-to-end test.
import fs from 'node:fs';
import path from 'node:path';

export function electronBinary(root) {
  const dir = path.join(root, 'node_modules', 'electron');
  try {
    const bin = path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim());
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
