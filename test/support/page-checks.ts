// Checks every page a person sees goes through in the browser tests: axe-core (no serious or
// critical violations), screenshots at desktop width and at 375 px (written under tmp/, which
// git ignores), and no Content Security Policy violation reported by the page.
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { repoRoot } from './gatehouse.ts'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export const SCREENSHOT_DIR = join(repoRoot, 'tmp', 'screenshots')

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }

/**
 * axe-core's violations of impact serious or critical, as readable lines. The script goes in
 * through the DevTools protocol (page.evaluate), which the page's CSP does not govern, so the
 * pages are checked under their real policy.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, o: object): Promise<{ violations: unknown[] }> } }
    return (await g.axe.run(g.document, { resultTypes: ['violations'] })).violations
  }) as AxeViolation[]
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
}

/** Screenshots of the whole page at 1280 px and at 375 px; the viewport is restored. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const before = page.viewportSize() ?? { width: 1280, height: 800 }
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true })
  await page.setViewportSize({ width: 375, height: 740 })
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-375.png`), fullPage: true })
  await page.setViewportSize(before)
}

/** Collects CSP violations the page logs, from now on. */
export function cspViolations(page: Page): string[] {
  const seen: string[] = []
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text())
  })
  return seen
}
