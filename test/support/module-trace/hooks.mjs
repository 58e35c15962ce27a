// module loader hooks (run off the main thread): record each module loaded
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  if (process.env.KVMATRIX_MODULE_TRACE && url.startsWith('file:')) appendFileSync(process.env.KVMATRIX_MODULE_TRACE, `${url}\n`);
  return next(url, context);
}
