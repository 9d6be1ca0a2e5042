// A few images of each class as small PNGs, for the Datasets page's sample grid.
import sharp from 'sharp';
import { loadCifar, loadMnist } from './binary';
import { DatasetError } from './errors';
import { scanFolder } from './folder';
import { decodeImage } from './pipeline/decode';
import { loadSynthetic, parseSyntheticVariant } from './synthetic';

export interface ClassSamples {
  name: string;
  /** data: URLs of PNG images, side × side. */
  images: string[];
}

const png = async (rgb: Uint8Array, side: number) => `data:image/png;base64,${(await sharp(rgb, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer()).toString('base64')}`;

/** The first `perClass` images of each class from float pixels (0–255) held in memory. */
async function fromMemory(names: string[], pixels: Float32Array, labels: Int32Array, side: number, perClass: number): Promise<ClassSamples[]> {
  const px = side * side * 3;
  const out = names.map((name) => ({ name, images: [] as string[] }));
  for (let i = 0; i < labels.length; i++) {
    const c = out[labels[i]!];
    if (!c || c.images.length >= perClass) continue;
    const rgb = Uint8Array.from(pixels.subarray(i * px, (i + 1) * px), (v) => Math.max(0, Math.min(255, Math.round(v))));
    c.images.push(await png(rgb, side));
  }
  return out;
}

export async function sampleImages(spec: string, classNames: string[] | null, perClass: number): Promise<ClassSamples[]> {
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const rest = i < 0 ? '' : spec.slice(i + 1);
  switch (kind) {
    case 'synthetic': {
      // No mean subtracted: the images as the network's input sees them before centring.
      const d = loadSynthetic({ variant: parseSyntheticVariant(rest || undefined), size: 64, classes: classNames?.length ?? 10, train: 0, val: (classNames?.length ?? 10) * perClass, seed: 1, mean: [0, 0, 0] });
      return fromMemory(d.classNames, d.val.images, d.val.labels, 64, perClass);
    }
    case 'cifar10':
    case 'cifar100': {
      const d = loadCifar(rest, kind, 32, true);
      return fromMemory(classNames ?? Array.from({ length: d.classes }, (_, k) => `class_${k}`), d.test.pixels as Float32Array, d.test.labels, 32, perClass);
    }
    case 'mnist': {
      const d = loadMnist(rest, 28, true);
      return fromMemory(classNames ?? Array.from({ length: d.classes }, (_, k) => String(k)), d.test.pixels as Float32Array, d.test.labels, 28, perClass);
    }
    case 'folder': {
      const scan = scanFolder(rest, 0.1, 1);
      return Promise.all(
        scan.classNames.map(async (name, label) => {
          const images: string[] = [];
          for (const item of [...scan.train, ...scan.val].filter((x) => x.label === label)) {
            if (images.length >= perClass) break;
            try {
              images.push(await png(await decodeImage(item.file, 64), 64));
            } catch {
              // Unreadable files are skipped here as in training.
            }
          }
          return { name, images };
        }),
      );
    }
    default:
      throw new DatasetError(`dataset '${spec}': unknown kind '${kind}'`);
  }
}
