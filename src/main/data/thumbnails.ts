// Images as small PNG data: URLs, for the Datasets page's sample grid. sharp is loaded on first use:
// the dataset registry (and through it the CLI's help) reaches this module without drawing anything.

export interface ClassSamples {
  name: string;
  /** data: URLs of PNG images, side × side. */
  images: string[];
}

export async function png(rgb: Uint8Array, side: number): Promise<string> {
  const { default: sharp } = await import('sharp');
  return `data:image/png;base64,${(await sharp(rgb, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer()).toString('base64')}`;
}

/** The first `perClass` images of each class from float pixels (0–255) held in memory. */
export async function fromMemory(names: string[], pixels: Float32Array, labels: Int32Array, side: number, perClass: number): Promise<ClassSamples[]> {
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

