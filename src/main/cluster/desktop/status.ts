// The cluster as the Settings page and `vgglab workers` see it: the queue (redacted), whether it
// answers, and its workers.
import type { ClusterStatus } from '../../../shared/domain';
import type { ClusterLink } from './link';
import { redact, type ClusterSettings } from '../shared/settings';

const ANSWER_MS = 3_000;

export async function clusterStatus(link: ClusterLink): Promise<ClusterStatus> {
  const s = link.settings();
  const base = { queue: s ? redact(s.queue) : null, artifacts: s?.artifacts ?? null, source: link.source() };
  const client = s ? link.get() : null;
  if (!client) return { ...base, reachable: false, error: s ? link.why() : null, workers: [] };
  let timer: NodeJS.Timeout | undefined;
  try {
    const workers = await Promise.race([
      client.workers(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the queue did not answer within ${ANSWER_MS / 1000} s`)), ANSWER_MS))),
    ]);
    return { ...base, reachable: true, error: null, workers };
  } catch (err) {
    return { ...base, reachable: false, error: (err as Error).message, workers: [] };
  } finally {
    clearTimeout(timer);
  }
}

/** The form shows the URL redacted; given back unchanged, the saved password stays. */
export function keepPassword(asked: { queue: string; artifacts?: string }, saved: Partial<ClusterSettings>): Partial<ClusterSettings> {
  const queue = asked.queue.trim();
  return { queue: saved.queue && queue === redact(saved.queue) ? saved.queue : queue || undefined, artifacts: asked.artifacts?.trim() || undefined };
}
