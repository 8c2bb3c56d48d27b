// "What can this user do in this organization": the user's ACL as the API computes it for
// them (their groups, upstream groups from their last sign-in, and global roles).

import { useState } from 'preact/hooks'
import { get, seg } from '../api.ts'
import type { Acl, AclEndpoint, Organization } from '../types.ts'
import { ActionForm, Field, text } from '../ui.tsx'

function Endpoints(props: { endpoints: AclEndpoint[] }) {
  if (props.endpoints.length === 0) return <p class="muted">Nothing.</p>
  return (
    <ul class="endpoints">
      {props.endpoints.map((e) => <li key={e.name}><code>{e.name}</code> {e.operations.join(', ')}</li>)}
    </ul>
  )
}

export function AclViewer({ org }: { org: Organization }) {
  const [result, setResult] = useState<{ who: string; acl: Acl } | undefined>(undefined)
  return (
    <section aria-labelledby="acl">
      <h2 id="acl">What can a user do here?</h2>
      <ActionForm label="Look up a user's access" submit="Show access" action={async (f) => {
        const subject = text(f.get('subject'))
        const issuer = text(f.get('issuer')) || 'local'
        setResult(undefined)
        const acl = await get<Acl>(`/api/v1/organizations/${seg(org.name)}/acl?subject=${seg(subject)}&issuer=${seg(issuer)}`)
        setResult({ who: issuer === 'local' ? subject : `${subject} (${issuer})`, acl })
      }}>
        <Field name="subject" label="User id" required autocomplete="off" hint="A local username, or the user's id at their identity provider." />
        <Field name="issuer" label="Issuer" placeholder="local" autocomplete="off" hint="Leave empty for local accounts; otherwise the identity provider's issuer URL." />
      </ActionForm>
      {result && (
        <div class="card" aria-live="polite">
          <h3>{result.who} in {org.name}</h3>
          <h4>In the organization</h4>
          <Endpoints endpoints={result.acl.organization.endpoints} />
          <h4>Projects</h4>
          {result.acl.organization.projects.length === 0 ? <p class="muted">No projects.</p> : (
            <ul>{result.acl.organization.projects.map((p) => (
              <li key={p.id}><strong>{p.name}</strong><Endpoints endpoints={p.endpoints} /></li>
            ))}</ul>
          )}
          {result.acl.global && <><h4>Everywhere (global roles)</h4><Endpoints endpoints={result.acl.global} /></>}
        </div>
      )}
    </section>
  )
}
