import { labelWindow, type HistoryView } from './label-window.js';
import { withStore } from './store.js';
import type { StoreTarget } from './store-target.js';
import { readWindow, type HistoryWindow, type WindowQuery } from './window.js';

/** A history's window, labelled; null when the store has no run of that matrix. */
export async function historyView(target: StoreTarget, query: WindowQuery): Promise<HistoryView | null> {
  return (await labelledWindow(target, query))?.view ?? null;
}

/** The window as read, and labelled. */
export async function labelledWindow(
  target: StoreTarget,
  query: WindowQuery,
): Promise<{ window: HistoryWindow; view: HistoryView } | null> {
  return withStore(target, { create: false }, async (store) => {
    const window = await readWindow(store, query);
    return window && { window, view: labelWindow(window) };
  });
}
