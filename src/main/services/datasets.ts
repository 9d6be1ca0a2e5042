// Registering datasets: detect the kind, scan once (classes, counts, fingerprint, mean RGB and
// colour axes), store; runs can then name the dataset instead of its path.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../shared/contract';
import type { DatasetInfo, DatasetKindInfo, OfferedDatasetInfo } from '../../shared/domain';
import { offeredDatasets } from '../data/offered';
import { DatasetError, loadDataset } from '../data';
import { detectKind, SOURCES } from '../data/sources';
import { DATASET_KINDS, isSpec, specPath } from '../data/spec';
import { sampleImages, type ClassSamples } from '../data/samples';
import type { Db } from '../store/db';
import { findDataset, insertDataset, listDatasets } from '../store/datasets';

/** A content fingerprint from every file's relative path, size and modification time. */
export function fingerprint(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = fs.statSync(p);
        h.update(`${path.relative(dir, p)}\0${st.size}\0${Math.round(st.mtimeMs)}\n`);
      }
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** The SPECs that need no folder (the built-in data and its variants), from the kinds' examples. */
const builtInSpecs = () => SOURCES.filter((s) => !s.pathHolds).flatMap((s) => s.examples.map((e) => e.spec));

export class DatasetService {
  constructor(private readonly db: Db) {}

  list(): DatasetInfo[] {
    return listDatasets(this.db);
  }

  /** Benchmarks installed on this machine, usable by name, less those a registered dataset's name hides. */
  offered(): OfferedDatasetInfo[] {
    return offeredDatasets().filter((o) => !findDataset(this.db, o.name));
  }

  /** The kinds of SPEC, as the registry in data/sources/ has them. */
  kinds(): DatasetKindInfo[] {
    return SOURCES.map((s) => ({ kind: s.kind, usage: s.usage, pathHolds: s.pathHolds ?? null, drawnAtInputSize: Boolean(s.drawnAtInputSize), madeTrainImages: s.madeTrainImages ?? null, examples: s.examples }));
  }

  async add(dir: string, name?: string): Promise<DatasetInfo> {
    const abs = path.resolve(dir);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new ContractError(`${dir}: no such folder; a dataset is a folder (image classes, CIFAR binaries or IDX files)`);
    const finalName = name ?? path.basename(abs);
    if (!/^[\w.-]+$/.test(finalName) || isSpec(finalName)) throw ContractError.field('name', `${finalName}: use letters, digits, '.', '_' or '-', and not a built-in dataset's name (${builtInSpecs().join(', ')})`);
    if (findDataset(this.db, finalName)) throw ContractError.field('name', `a dataset named '${finalName}' is already registered; pick another name`);
    const kind = detectKind(abs).kind;
    let data;
    try {
      // Scanned at a small side: mean and colour axes barely depend on the scale.
      data = await loadDataset({ dataset: `${kind}:${abs}`, side: 32, seed: 1 });
    } catch (err) {
      if (err instanceof DatasetError) throw new ContractError(err.message);
      throw err;
    }
    const per = (labels: Int32Array) => data.classNames.map((_, c) => labels.filter((l) => l === c).length);
    return insertDataset(this.db, {
      name: finalName,
      kind,
      path: abs,
      classes: data.classNames,
      counts: { train: per(data.train.labels), val: per(data.val.labels), skipped: data.skipped },
      fingerprint: fingerprint(abs),
      meanRgb: data.meanRgb,
      eigen: data.pca,
    });
  }

  /** A few images per class of a registered dataset, or of the built-in one (`synthetic[:VARIANT]`). */
  async samples(name: string, perClass: number): Promise<{ name: string; classes: ClassSamples[] }> {
    const builtIn = isSpec(name) && specPath(name) === null;
    const known = builtIn ? null : findDataset(this.db, name);
    const offered = builtIn || known ? null : this.offered().find((o) => o.name === name);
    if (!known && !builtIn && !offered) throw new ContractError(`dataset '${name}': not registered; accepted: ${builtInSpecs().join(', ')}, or a name from datasets.list or datasets.offered`, 'not_found');
    try {
      return { name, classes: await sampleImages(known ? known.spec : (offered?.spec ?? name), known ? known.classes : null, perClass) };
    } catch (err) {
      if (err instanceof DatasetError) throw new ContractError(`dataset '${name}': ${err.message}; its files may have moved since it was registered`);
      if (!known) throw new ContractError((err as Error).message);
      throw err;
    }
  }

  /** A registered dataset's name becomes its SPEC; anything else is returned as given. */
  resolve(spec: string): string {
    if (isSpec(spec)) return spec;
    const d = findDataset(this.db, spec);
    if (d) return d.spec;
    const offered = offeredDatasets().find((o) => o.name === spec);
    if (offered) return offered.spec;
    throw new ContractError(`dataset '${spec}': not a registered dataset and not a SPEC; accepted: ${DATASET_KINDS.join(', ')}, or a name from \`vgglab datasets\``);
  }
}
