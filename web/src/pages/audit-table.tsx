// Audit entries as a table: the audit page and the overview's recent activity share it.

import type { AuditEntry } from '../types.ts'
import { when } from '../ui.tsx'

export function AuditTable(props: { entries: AuditEntry[]; caption: string }) {
  return (
    <div class="table-wrap"><table>
      <caption class="sr-only">{props.caption}</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Outcome</th></tr></thead>
      <tbody>{props.entries.map((e) => (
        <tr key={e.id}>
          <td class="nowrap">{when(e.at)}</td>
          <td><code>{e.action}</code></td>
          <td class="wrap">{e.actor}</td>
          <td class="wrap">{e.target}</td>
          <td><span class={`badge ${e.outcome}`}>{e.outcome}</span></td>
        </tr>
      ))}</tbody>
    </table></div>
  )
}
