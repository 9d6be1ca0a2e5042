// Images sent with a "Try the model" call (a browser cannot hand over paths): written to a private
// temporary folder for the prediction, named by their order and extension (the decoder tells BMP by
// it), removed afterwards whatever happens; the results carry the names the caller gave.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function withUploads<T extends { results: { file: string }[] }>(images: readonly { name: string; data: string }[], use: (files: string[]) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-predict-'));
  try {
    const files = images.map((img, i) => {
      const ext = path.extname(img.name).toLowerCase().replace(/[^.a-z0-9]/g, '').slice(0, 6);
      const file = path.join(dir, `${String(i).padStart(4, '0')}${ext}`);
      fs.writeFileSync(file, Buffer.from(img.data, 'base64'), { mode: 0o600 });
      return file;
    });
    const out = await use(files);
    return { ...out, results: out.results.map((r, i) => ({ ...r, file: images[i]?.name ?? r.file })) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
