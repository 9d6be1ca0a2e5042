/** A dataset that cannot be used; the message names the path and what is accepted. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}
