// Local fan-out of "store X reached revision N". A failing listener is logged, never allowed to
// break the write that triggered it or the other listeners.

import type { ChangeListener, StoreLogger } from '../types.ts'

export class ChangeHub {
  readonly #listeners = new Set<ChangeListener>()
  readonly #resync = new Set<() => void>()
  readonly #logger: StoreLogger
  readonly #onFirstListener: (() => void) | undefined

  constructor(logger: StoreLogger, onFirstListener?: () => void) {
    this.#logger = logger
    this.#onFirstListener = onFirstListener
  }

  subscribe(listener: ChangeListener): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: ChangeListener = (storeId, revision) => listener(storeId, revision)
    this.#listeners.add(entry)
    if (this.#listeners.size === 1) this.#onFirstListener?.()
    return () => {
      this.#listeners.delete(entry)
    }
  }

  subscribeResync(listener: () => void): () => void {
    const entry = (): void => listener()
    this.#resync.add(entry)
    return () => {
      this.#resync.delete(entry)
    }
  }

  /** Tells listeners that notifications may have been missed. */
  resync(): void {
    for (const listener of this.#resync) {
      try {
        listener()
      } catch (err) {
        this.#logger.error({ err }, 'store resync listener failed')
      }
    }
  }

  emit(storeId: string, revision: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(storeId, revision)
      } catch (err) {
        this.#logger.error({ err, storeId, revision }, 'store change listener failed')
      }
    }
  }
}
