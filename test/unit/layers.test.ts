// The renderer is a browser page: its type-check (tsconfig.web.json) has no Node types, so a Node
// module imported there fails `npm run typecheck`. Checked on a probe file under each configuration.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputDir, repoRoot } from '../helpers';

function typecheck(config: 'tsconfig.web.json' | 'tsconfig.node.json'): { code: number | null; out: string } {
  const dir = path.join(outputDir(), `typecheck-probe-${config.split('.')[1]}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'probe.ts'), "import fs from 'node:fs';\nexport const size = fs.statSync('.').size;\n");
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: path.join(repoRoot, config), include: ['probe.ts'] }));
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', dir], { encoding: 'utf8', cwd: repoRoot });
  return { code: res.status, out: res.stdout + res.stderr };
}

describe('layers', () => {
  it('the renderer’s type-check refuses a Node module; the main process’s accepts it', () => {
    const web = typecheck('tsconfig.web.json');
    expect(web.code).not.toBe(0);
    expect(web.out).toMatch(/Cannot find module 'node:fs'|Cannot find name 'node:fs'|TS2307/);
    const node = typecheck('tsconfig.node.json');
    expect(node.code, node.out).toBe(0);
  });
});
