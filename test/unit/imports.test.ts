// The layers of src/ (.dependency-cruiser.cjs): every import points down, none runs in a circle.
// Cruised on a copy of the tree with one import from data up to training added: that one, and only
// that one, is named (so the rules bite, and the real tree has no violation of its own).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers';

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(root: string): Violation[] {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  expect(r.stdout, r.stderr).not.toBe('');
  const report = JSON.parse(r.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  expect(report.summary.totalCruised).toBeGreaterThan(100);
  return report.summary.violations;
}

describe('import layers', () => {
  it('no import points up a layer or runs in a circle; one that does is named', () => {
    const copy = tempDir('vgglab-imports-');
    for (const f of ['src', '.dependency-cruiser.cjs', 'tsconfig.node.json', 'tsconfig.base.json', 'package.json']) fs.cpSync(path.join(repoRoot, f), path.join(copy, f), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
    fs.appendFileSync(path.join(copy, 'src/main/data/thumbnails.ts'), "\nimport '../training/messages';\n");
    expect(cruise(copy).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual(['data-points-down: src/main/data/thumbnails.ts → src/main/training/messages.ts']);
  });
});
