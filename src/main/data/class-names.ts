// A dataset's class names by its SPEC, read cheaply (no image and no file list): a folder's class
// folders, the names an in-memory kind knows (Fashion-MNIST's), else their numbers.
import { parseSpec } from './spec';

export function classNamesOf(spec: string, classes?: number): string[] | null {
  try {
    const { source, arg } = parseSpec(spec);
    if (source.classNames && arg) {
      const names = source.classNames(arg);
      if (classes === undefined || names.length === classes) return names;
    }
  } catch {
    /* the data is gone or unreadable */
  }
  return classes === undefined ? null : Array.from({ length: classes }, (_, i) => String(i));
}
