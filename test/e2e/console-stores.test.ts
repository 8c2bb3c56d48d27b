// The console's relationship-store pages in a real Chromium, as the bootstrap admin: create a
// store, save a model (after seeing a broken one's problem by line), write tuples, run a check
// and read its Explain tree, preview a model change and see the answers it would flip, delete a
// tuple and a store. Every page passes axe-core and is photographed at 1280 and 375 px.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts'
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse.ts'
import { cspViolations, screenshots, seriousViolations } from '../support/page-checks.ts'

const ADMIN_PASSWORD = 'console-stores-admin-password'
// With a key configured nothing reaches the APIs anonymously: the console must use its token.
const KEY = 'console-stores-preshared-key-0123456789'

const MODEL = `model
  schema 1.1

type user

type group
  relations
    define member: [user]

type document
  relations
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: [user] or editor
`

describe('admin console: relationship stores', { skip: chromiumSkipReason() }, () => {
  let server: GatehouseProcess
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let csp: string[]

  before(async () => {
    server = await startGatehouse({ GATEHOUSE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD, GATEHOUSE_PRESHARED_KEYS: KEY })
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    csp = cspViolations(page)
    page.on('dialog', (d) => void d.accept())
    await page.goto(new URL('/admin/', server.url).toString())
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
  })
  after(async () => {
    await context?.close()
    await browser?.close()
    await server?.close()
  })

  async function checkPage(name: string) {
    assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`)
    await screenshots(page, `stores-${name}`)
  }
  const tab = (name: string) => page.getByRole('navigation', { name: 'Store' }).getByRole('link', { name, exact: true }).click()
  /** Waits until the table shows `n` rows. */
  const rows = (n: number) => page.waitForFunction((count) => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document
    return doc.querySelectorAll('tbody tr').length === count
  }, n)
  const editor = (label: string) => page.getByRole('textbox', { name: label })

  it('creates a store and saves its first model, showing a broken model\'s problem by line first', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Stores', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Relationship stores' }).waitFor()
    await page.getByLabel('Store name').fill('documents')
    await page.getByRole('button', { name: 'Create store' }).click()
    await page.getByRole('heading', { level: 1, name: 'Authorization model' }).waitFor()
    await page.getByRole('heading', { name: 'Write the first model' }).waitFor()
    await page.getByText('The model is valid.').waitFor()

    await editor('Model (OpenFGA DSL)').fill(MODEL.replace('define owner: [user]', 'define owner: [usr]'))
    await page.getByText('1 problem').waitFor()
    assert.match(await page.locator('.problems').innerText(), /Line 12, column \d+: .*usr/)
    assert.equal(await page.getByRole('button', { name: 'Save as new version' }).isDisabled(), true)
    await page.getByRole('button', { name: /^Line 12/ }).click()
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id), 'dsl-text', 'choosing the problem puts the caret in the editor')
    await checkPage('model-problem')

    await editor('Model (OpenFGA DSL)').fill(MODEL)
    await page.getByText('The model is valid.').waitFor()
    await page.getByRole('button', { name: 'Save as new version' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved as model version' }).waitFor()
    await page.getByText('latest').waitFor()
    assert.equal(await page.locator('.versions li').count(), 1)
    await checkPage('model')
  })

  it('writes tuples, filters and pages through them', async () => {
    await tab('Tuples')
    await page.getByRole('heading', { level: 1, name: 'Relationship tuples' }).waitFor()
    await page.getByText('No tuples yet').waitFor()
    const form = page.getByRole('form', { name: 'Write a tuple' })
    for (const [object, relation, user] of [
      ['group:eng', 'member', 'user:bob'], ['document:plan', 'owner', 'user:anne'], ['document:plan', 'editor', 'group:eng#member'],
    ] as const) {
      await form.getByLabel('Object').fill(object)
      await form.getByLabel('Relation').fill(relation)
      await form.getByLabel('User').fill(user)
      await form.getByRole('button', { name: 'Write tuple' }).click()
      await page.getByRole('status').filter({ hasText: `Wrote ${object}#${relation}@${user}` }).waitFor()
    }
    await page.locator('tbody tr').nth(2).waitFor()
    assert.equal(await page.locator('tbody tr').count(), 3)
    // A tuple the model forbids is refused with the API's reason.
    await form.getByLabel('Object').fill('document:plan')
    await form.getByLabel('Relation').fill('owner')
    await form.getByLabel('User').fill('group:eng#member')
    await form.getByRole('button', { name: 'Write tuple' }).click()
    await form.getByRole('alert').waitFor()

    const filter = page.getByRole('form', { name: 'Filter tuples' })
    await filter.getByLabel('Object type').fill('document')
    await filter.getByRole('button', { name: 'Filter' }).click()
    await rows(2)
    await checkPage('tuples')
  })

  it('runs a check and draws its Explain tree, foldable by keyboard', async () => {
    await tab('Check')
    await page.getByRole('heading', { level: 1, name: 'Check' }).waitFor()
    const ask = async (user: string) => {
      await page.getByLabel('User', { exact: true }).fill(user)
      await page.getByLabel('Relation').fill('viewer')
      await page.getByLabel('Object').fill('document:plan')
      await page.getByRole('button', { name: 'Run check' }).click()
    }
    await ask('user:bob')
    await page.getByRole('heading', { name: /^Allowed/ }).waitFor()
    const tree = page.getByRole('list', { name: 'Explain tree' })
    const text = await tree.innerText()
    assert.match(text, /user:bob is viewer of document:plan/)
    assert.match(text, /through editor/)
    assert.match(text, /tuple document:plan#editor@group:eng#member/)
    assert.match(text, /group:eng#member@user:bob/)
    await checkPage('check')

    const first = tree.locator('summary').first()
    await first.focus()
    await page.keyboard.press('Enter')
    assert.equal(await tree.locator('details').first().getAttribute('open'), null, 'Enter folds the node')
    await page.keyboard.press('Enter')
    assert.notEqual(await tree.locator('details').first().getAttribute('open'), null, 'and unfolds it')

    await ask('user:carl')
    await page.getByRole('heading', { name: /^Denied/ }).waitFor()
    assert.match(await tree.innerText(), /denied[\s\S]*no tuple for user:carl/i)
  })

  it('previews a model change and lists the answers it would flip, writing nothing', async () => {
    // The edit starts in the model editor, which hands it to the preview instead of saving it.
    await tab('Model')
    await page.getByText('The model is valid.').waitFor()
    await editor('Model (OpenFGA DSL)').fill(MODEL.replace('define editor: [user, group#member] or owner', 'define editor: [user, group#member]'))
    await page.getByText('The model is valid.').waitFor()
    await page.getByRole('button', { name: 'Preview this change' }).click()
    await page.getByRole('heading', { level: 1, name: 'Change preview' }).waitFor()
    const candidate = editor('Candidate model (edit it, or leave it as it is)')
    assert.doesNotMatch(await candidate.inputValue(), /or owner\n\s*define viewer/)
    await page.getByText('The model is valid.').waitFor()
    await page.getByRole('button', { name: 'Preview the change' }).click()
    await page.getByRole('heading', { name: '2 answers would change' }).waitFor()
    const rows = await page.locator('tbody tr').allInnerTexts()
    assert.deepEqual(rows.map((r) => r.replace(/\s+/g, ' ').trim()).sort(), [
      'user:anne editor document:plan revoked true → false',
      'user:anne viewer document:plan revoked true → false',
    ])
    await checkPage('preview')

    // Tuple changes only: the model is left as it is.
    await candidate.fill(MODEL)
    await page.getByLabel('Tuples to delete').fill('group:eng#member@user:bob')
    await page.getByRole('button', { name: 'Preview the change' }).click()
    // Bob leaves the group: he is no longer its member, nor the plan's editor or viewer.
    await page.getByRole('heading', { name: '3 answers would change' }).waitFor()
    const revoked = (await page.locator('tbody tr').allInnerTexts()).map((r) => r.split(/\s+/).slice(0, 3).join(' ')).sort()
    assert.deepEqual(revoked, ['user:bob editor document:plan', 'user:bob member group:eng', 'user:bob viewer document:plan'])
    await tab('Model')
    await page.locator('.versions li').first().waitFor()
    assert.equal(await page.locator('.versions li').count(), 1, 'no model was saved')
  })

  it('deletes a tuple, then a store', async () => {
    await tab('Tuples')
    await page.getByRole('button', { name: 'Delete tuple document:plan#owner@user:anne' }).click()
    await page.getByRole('status').filter({ hasText: 'Deleted document:plan#owner@user:anne' }).waitFor()
    await rows(2)

    await page.getByRole('link', { name: '← Relationship stores' }).click()
    await page.getByLabel('Store name').fill('scratch')
    await page.getByRole('button', { name: 'Create store' }).click()
    await page.getByRole('heading', { level: 1, name: 'Authorization model' }).waitFor()
    await page.getByRole('link', { name: '← Relationship stores' }).click()
    await page.getByRole('link', { name: 'scratch' }).waitFor()
    await checkPage('list')
    await page.getByRole('button', { name: 'Delete store scratch' }).click()
    await page.getByRole('link', { name: 'scratch' }).waitFor({ state: 'detached' })
    await page.getByRole('link', { name: 'documents' }).waitFor()
    assert.deepEqual(csp, [], 'no CSP violations')
  })
})
