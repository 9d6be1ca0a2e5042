// This process's connection to the cluster, made when first needed (or at start when cluster runs
// are active, so their streams are taken in) and remade when the setting changes.
import type { ClusterDeps } from './client';
import { ClusterClient } from './client';
import { readSettings, resolveCluster, storeId, type ClusterSettings } from '../shared/settings';

export class ClusterLink {
  private client: ClusterClient | null | undefined;
  private resolveError: string | null = null;
  readonly store: string;

  constructor(
    private readonly dataDir: string,
    /** --queue / --artifacts given to this process, which win over the environment and the saved setting. */
    private readonly flags: { queue?: string; artifacts?: string },
    private readonly deps: Omit<ClusterDeps, 'store'>,
  ) {
    this.store = storeId(dataDir);
  }

  settings(): ClusterSettings | null {
    try {
      this.resolveError = null;
      return resolveCluster(this.dataDir, this.flags);
    } catch (err) {
      this.resolveError = (err as Error).message;
      return null;
    }
  }

  /** The client, connecting on first use; null when no queue is named anywhere. */
  get(): ClusterClient | null {
    if (this.client === undefined) {
      const s = this.settings();
      this.client = s ? new ClusterClient(s, { ...this.deps, store: this.store, onCommitted: (ms) => this.onCommitted?.(ms) }) : null;
    }
    return this.client;
  }

  /** Where the queue comes from (the earlier wins). */
  source(): '--queue' | 'VGGLAB_QUEUE' | 'saved' | null {
    if (this.flags.queue) return '--queue';
    if (process.env.VGGLAB_QUEUE) return 'VGGLAB_QUEUE';
    return readSettings(this.dataDir).queue ? 'saved' : null;
  }

  /** Latency of ingested metric points, for the bench (set before the first use). */
  onCommitted: ((msSinceRedis: number[]) => void) | undefined;

  /** Whether a client is connected (this process then takes the cluster runs' streams in). */
  get connected(): boolean {
    return !!this.client;
  }

  /** Why there is no client: the setting's error, or that none is named. */
  why(): string {
    return this.resolveError ?? 'no queue is configured: pass --queue redis://[:PASSWORD@]HOST:PORT, set VGGLAB_QUEUE, or fill in the Cluster page';
  }

  /** Takes in what the cluster runs' streams hold now (a short-lived command reads the store after this). */
  async catchUp(): Promise<void> {
    await this.client?.ingest();
  }

  /** Drops the connection so the next use reads the (changed) setting. */
  async reset(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    await old?.close();
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
  }
}
