import type { ConsoleObservation } from '../../harness/console/types.js';
import type { Cell } from '../../harness/matrix/types.js';
import type { KunitListing } from '../../harness/test-kinds/kunit/kunit.js';
import { readKinds } from '../../harness/test-kinds/registry.js';
import { decideCell } from '../../harness/verdict/decide.js';
import { decideNestedCell, type NestedObservation } from '../../harness/verdict/nested.js';
import type { CellVerdict } from '../../harness/verdict/types.js';
import type { LaunchOutcome } from '../../harness/vmm/types.js';

/** A booted cell decided as a run decides it: its kinds read the console (the registry), then the verdict. */
export function decideBooted(
  cell: Cell,
  launch: LaunchOutcome,
  obs: ConsoleObservation,
  options: { kunitListing?: KunitListing } = {},
): CellVerdict {
  return decideCell(cell, launch, obs, readKinds(cell, obs, options.kunitListing ? { listing: options.kunitListing } : {}));
}

/** The same for a nested kvmtool cell: the kinds read the guest's console. */
export function decideNestedBooted(
  cell: Cell,
  launch: LaunchOutcome,
  obs: NestedObservation,
  options: { kunitListing?: KunitListing } = {},
): CellVerdict {
  return decideNestedCell(cell, launch, obs, readKinds(cell, obs.guest, options.kunitListing ? { listing: options.kunitListing } : {}));
}
