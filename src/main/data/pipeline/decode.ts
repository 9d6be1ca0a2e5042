// One image file to RGB bytes of a planned size: sharp decodes (EXIF rotation, any colour space, 8
// or 16 bit, alpha dropped, shrink-on-load for huge JPEGs) and rescales to exactly w×h, cutting
// centrally where the aspect ratio differs (the central S×S square when w = h = S). The size is planned
// from imageSize (data/geometry.ts: smallest side S, aspect kept). BMP, which sharp's libvips build
// lacks, is read by bmp-ts first (the
// maintained decoder Jimp reads BMP with: 1/4/8-bit palettes, RLE, 16/24/32-bit, bit fields, top-down).
import fs from 'node:fs';
import path from 'node:path';
import * as bmp from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';

/** A BMP file as raw RGB for sharp (bmp-ts yields A, B, G, R bytes per pixel). */
function readBmp(file: string): Sharp {
  const { width, height, data } = bmp.decode(fs.readFileSync(file));
  if (!width || !height || data.length < width * height * 4) throw new Error('not a readable BMP');
  const rgb = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = data[p * 4 + 3]!;
    rgb[p * 3 + 1] = data[p * 4 + 2]!;
    rgb[p * 3 + 2] = data[p * 4 + 1]!;
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

const isBmp = (file: string) => path.extname(file).toLowerCase() === '.bmp';

/** The upright width and height of an image file, from its header (EXIF orientation applied). */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  if (isBmp(file)) {
    const head = Buffer.alloc(26);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, 26, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (head.toString('latin1', 0, 2) !== 'BM') throw new Error('not a readable BMP');
    return { width: Math.abs(head.readInt32LE(18)), height: Math.abs(head.readInt32LE(22)) };
  }
  const m = await sharp(file, { limitInputPixels: 1e9 }).metadata();
  if (!m.width || !m.height) throw new Error('no image size in the header');
  return (m.orientation ?? 1) >= 5 ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
}

export async function decodeImage(file: string, w: number, h = w): Promise<Buffer> {
  const input = isBmp(file) ? readBmp(file) : sharp(file, { failOn: 'error', limitInputPixels: 1e9, sequentialRead: true });
  const { data, info } = await input
    .rotate()
    .resize(w, h, { fit: 'cover', position: 'centre', fastShrinkOnLoad: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== w || info.height !== h) throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
  return data;
}
