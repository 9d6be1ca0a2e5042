// folder:PATH: image files, one sub-folder per class (or train/ with val/ and/or test/), decoded by
// sharp — in the input pipeline for training, by loadDataset for evaluation.
import { folderClassNames, scanFolder } from './scan';
import { png } from '../../thumbnails';
import type { DataSource } from '../types';

export const folder: DataSource = {
  kind: 'folder',
  usage: 'folder:PATH',
  examples: [{ spec: 'folder:/path/to/images', label: 'one sub-folder per class' }],
  pathHolds: 'one sub-folder per class',
  detect: () => true,
  scan: (root, req) => scanFolder(root, req.valFraction ?? 0.1, req.seed),
  classNames: (root) => folderClassNames(root),
  async samples(root, _classNames, perClass) {
    // The decoder (sharp) loads when samples are drawn, not with the registry.
    const { decodeImage } = await import('../../pipeline/decode');
    const scan = scanFolder(root!, 0.1, 1);
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
  },
};
