// Optional capabilities whose tests skip, saying why, where the machine lacks them. CI sets
// VGGLAB_REQUIRE to the ones it installs (.ci/run): a missing one is then a failing test, not a
// skip that leaves a whole area untested while the suite stays green.
import { it } from 'vitest';

const KNOWN = ['native', 'onednn', 'chromium', 'redis', 'webgpu', 'torch'] as const;
export type Requirement = (typeof KNOWN)[number];

const required = new Set((process.env.VGGLAB_REQUIRE ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const unknown = [...required].filter((r) => !(KNOWN as readonly string[]).includes(r));
if (unknown.length) throw new Error(`VGGLAB_REQUIRE names ${unknown.join(', ')}; accepted: ${KNOWN.join(', ')}`);

/**
 * Why `name`'s tests skip here (`missing`), or null where it is present. Where VGGLAB_REQUIRE names
 * it and it is missing, the calling file also gets a test that fails with the reason.
 */
export function need(name: Requirement, missing: string | null | undefined): string | null {
  if (!missing) return null;
  if (required.has(name)) {
    it(`${name} is present, as VGGLAB_REQUIRE demands`, () => {
      throw new Error(`${name} is required here (VGGLAB_REQUIRE=${process.env.VGGLAB_REQUIRE}) but missing: ${missing}`);
    });
  }
  return missing;
}
