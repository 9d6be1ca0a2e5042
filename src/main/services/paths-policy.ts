// Which folders a remote caller (serve mode) may make the app read. Locally (CLI, desktop) the user
// names paths themselves; over HTTP every path in a request is checked against the allowed roots,
// after resolving `..` and symbolic links, so no trick reaches outside them.
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../shared/contract';

export type PathPolicy = (p: string, what: string) => string;

export const allowAnyPath: PathPolicy = (p) => path.resolve(p);

export function confineTo(roots: string[], hint = 'start `vgglab serve --dataset-folders DIR` to allow another'): PathPolicy {
  const real = roots.map((r) => fs.realpathSync(path.resolve(r)));
  return (p, what) => {
    if (!path.isAbsolute(p)) throw new ContractError(`${what} ${p}: give an absolute path inside ${real.join(' or ')}`);
    let resolved: string;
    try {
      resolved = fs.realpathSync(p);
    } catch {
      resolved = path.resolve(p);
    }
    if (!real.some((r) => resolved === r || resolved.startsWith(r + path.sep)))
      throw new ContractError(`${what} ${p}: outside the folders this server may read (${real.join(', ')}); ${hint}`);
    return resolved;
  };
}

export { specPath } from '../data/spec';
