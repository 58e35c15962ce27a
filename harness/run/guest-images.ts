/**
 * The guests a run's cells boot: the agent's initramfs, built once for the
 * run, and the same with the userspace layer for cells whose kinds run
 * programs. Placed in the run folder when the run keeps what it booted. A
 * guest that cannot be had is the error of the cells that boot it alone.
 */
import { AgentBuildError, buildGuestImage, type GuestImage } from '../guest/build-agent.js';
import { userspaceLayer, UserspaceLayerError } from '../guest/userspace-layer.js';
import type { CacheLayout } from '../kernel/cache.js';
import type { Cell } from '../matrix/types.js';
import { runsUserspace } from '../test-kinds/registry.js';
import { placeGuest } from './run-artifacts.js';

/** A cell's guest, why it could not be built, or none (nothing boots). */
export type GuestOutcome = GuestImage | AgentBuildError | null;

export interface GuestContext {
  layout: CacheLayout;
  runDir: string;
  /** Keep the images in the run folder (else the cells boot them from the cache). */
  keep: boolean;
  /** The run was stopped: nothing boots, so nothing is built for it. */
  stopped(): boolean;
  onStep?: (what: string) => void;
}

/** Which guest each cell boots; the guests are built before this returns. */
export async function guestImagesFor(cells: readonly Cell[], ctx: GuestContext): Promise<(cell: Cell) => GuestOutcome> {
  const built = cells.length > 0 && !ctx.stopped() ? await guestImage(ctx.layout, cells[0]!.kernel.crossCompile, ctx.onStep) : null;
  const layered =
    built && !(built instanceof AgentBuildError) && !ctx.stopped() && cells.some((c) => runsUserspace(c))
      ? await withUserspace(built, ctx.layout, ctx.onStep)
      : built;
  const placed = (g: GuestOutcome) => (ctx.keep && g && !(g instanceof AgentBuildError) ? placeGuest(ctx.runDir, g) : g);
  const [plainGuest, layeredGuest] = [placed(built), layered === built ? null : placed(layered)];
  return (cell) => (runsUserspace(cell) ? (layeredGuest ?? plainGuest) : plainGuest);
}

/** The guest with the userspace layer that programs need; an error the cells that run them show when it cannot be had. */
async function withUserspace(
  guest: GuestImage,
  layout: CacheLayout,
  onStep?: (what: string) => void,
): Promise<GuestImage | AgentBuildError> {
  try {
    return { ...guest, layer: (await userspaceLayer(layout, undefined, undefined, onStep)).archive };
  } catch (error) {
    if (error instanceof UserspaceLayerError) return new AgentBuildError(`${error.message} (hint: ${error.hint})`);
    throw error;
  }
}

async function guestImage(
  layout: CacheLayout,
  crossCompile: string,
  onStep?: (what: string) => void,
): Promise<GuestImage | AgentBuildError> {
  try {
    return await buildGuestImage(layout, crossCompile, undefined, onStep);
  } catch (error) {
    if (error instanceof AgentBuildError) return error;
    throw error;
  }
}
