// The distribution's Chromium driven by playwright-core (no browser download). Each test gets a
// fresh context, so cookies never leak from one visitor to the next.
import { chromium, type Browser } from 'playwright-core'
import { toolSkipReason } from './proxies.ts'

export const CHROMIUM_PATH = '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  // Nothing but the test's own requests: no update checks, sync, QUIC probes or first-run pages.
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  // Playwright refuses --user-data-dir in args; launch() already uses a throwaway profile.
]

/** Undefined when Chromium can run; else why not. Throws under CI=true, where it must be there. */
export function chromiumSkipReason(): string | undefined {
  return toolSkipReason('Chromium', CHROMIUM_PATH, 'apt-get install chromium')
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 60_000 })
}
