// The frame of one store's pages: its name, and tabs for the model, tuples, check and preview.

import type { ComponentChildren } from 'preact'
import { get } from '../../api.ts'
import { Link, PageHeader, Show, useLoad } from '../../ui.tsx'
import { fga, storePath, type StoreView } from './shared.ts'

const TABS: Array<[string, string]> = [['', 'Model'], ['tuples', 'Tuples'], ['check', 'Check'], ['preview', 'Change preview']]

export function StoreFrame(props: { id: string; tab: string; title: string; children: (store: StoreView) => ComponentChildren }) {
  const store = useLoad(() => get<StoreView>(fga(props.id, '')), [props.id])
  return (
    <>
      <PageHeader title={props.title} back={{ href: '/stores', label: 'Relationship stores' }}
        subtitle={store.data ? <>Store <strong>{store.data.name}</strong> · <code>{props.id}</code></> : <code>{props.id}</code>} />
      <nav class="tabs" aria-label="Store">
        <ul>
          {TABS.map(([tab, label]) => (
            <li key={tab}><Link href={storePath(props.id, tab)} current={tab === props.tab}>{label}</Link></li>
          ))}
        </ul>
      </nav>
      <Show loaded={store}>{props.children}</Show>
    </>
  )
}
