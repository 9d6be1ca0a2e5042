// One image file to S×S RGB bytes: sharp decodes (EXIF rotation, any colour space, 8 or 16 bit,
// alpha dropped, shrink-on-load for huge JPEGs), rescales isotropically so the shorter side is S and
// keeps the central S×S square.
import sharp from 'sharp';

export async function decodeImage(file: string, side: number): Promise<Buffer> {
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: 1e9, sequentialRead: true })
    .rotate()
    .resize(side, side, { fit: 'cover', position: 'centre', fastShrinkOnLoad: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== side || info.height !== side) throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
  return data;
}
