/**
 * A history that cannot be used as it is: a server out of reach, a file
 * that is not a kvmatrix history, one written by a newer kvmatrix. The
 * message names the store; the store is left as it was.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
