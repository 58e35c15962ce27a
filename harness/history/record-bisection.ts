import { guarded, withStore } from './store.js';
import type { StoreTarget } from './store-target.js';
import type { BisectionRow } from './tables.js';

/** Keeps what a bisect found on its regression: the latest bisect of a regression replaces an earlier one. */
export async function recordBisection(target: StoreTarget, row: BisectionRow): Promise<void> {
  await withStore(target, { create: false }, (store) =>
    guarded(store, () =>
      store.write(async (trx) => {
        await trx
          .deleteFrom('bisections')
          .where('cell_id', '=', row.cell_id)
          .where('test', '=', row.test)
          .where('first_bad_run', '=', row.first_bad_run)
          .execute();
        await trx.insertInto('bisections').values(row).execute();
      }),
    ),
  );
}
