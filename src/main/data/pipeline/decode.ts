// One image file to S×S RGB bytes: sharp decodes (EXIF rotation, any colour space, 8 or 16 bit,
// alpha dropped, shrink-on-load for huge JPEGs), rescales isotropically so the shorter side is S and
// keeps the central S×S square. BMP, which sharp's libvips build lacks, is read by bmp-js first.
import fs from 'node:fs';
import path from 'node:path';
import bmp from 'bmp-js';
import sharp from 'sharp';

/** A BMP file as raw RGB for sharp (bmp-js yields A, B, G, R bytes per pixel). */
function readBmp(file: string): sharp.Sharp {
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

export async function decodeImage(file: string, side: number): Promise<Buffer> {
  const input = path.extname(file).toLowerCase() === '.bmp' ? readBmp(file) : sharp(file, { failOn: 'error', limitInputPixels: 1e9, sequentialRead: true });
  const { data, info } = await input
    .rotate()
    .resize(side, side, { fit: 'cover', position: 'centre', fastShrinkOnLoad: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== side || info.height !== side) throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
  return data;
}
