// Which page answers which path.

import { ApplicationsPage } from './pages/applications.tsx'
import { AuditPage } from './pages/audit.tsx'
import { ClientPage } from './pages/client.tsx'
import { ClientsPage } from './pages/clients.tsx'
import { GroupPage } from './pages/group.tsx'
import { OrganizationPage } from './pages/organization.tsx'
import { OrganizationsPage } from './pages/organizations.tsx'
import { OverviewPage } from './pages/overview.tsx'
import { PeoplePage, PersonPage } from './pages/people.tsx'
import { ResourceServersPage, UpstreamsPage } from './pages/directory.tsx'
import { ProvisioningPage } from './pages/provisioning.tsx'
import { RolesPage } from './pages/roles.tsx'
import { storeRoute } from './pages/stores/routes.tsx'
import { match, useRoute } from './router.ts'
import type { Session } from './session.ts'
import { Link, PageHeader } from './ui.tsx'

const PLATFORM_PAGES = ['/people', '/resource-servers', '/upstreams', '/clients', '/applications', '/audit', '/provisioning', '/stores']

function PlatformOnly() {
  return (
    <>
      <PageHeader title="Not available" />
      <p>This page is for platform administrators. <Link href="/organizations">Go to your organizations</Link></p>
    </>
  )
}

export function Routes({ session }: { session: Session }) {
  const { path, query } = useRoute()
  let m: Record<string, string> | undefined
  if (path === '/') return <OverviewPage session={session} />
  if (path === '/organizations') return <OrganizationsPage session={session} />
  if ((m = match('/organizations/:org/groups/:group', path))) return <GroupPage org={m.org!} group={m.group!} />
  if ((m = match('/organizations/:org', path))) return <OrganizationPage org={m.org!} query={query} />
  // Platform pages answer 403 to anyone else anyway; say so instead of showing their errors.
  if (!session.platform && PLATFORM_PAGES.some((p) => path === p || path.startsWith(`${p}/`))) return <PlatformOnly />
  if (path === '/people') return <PeoplePage />
  if ((m = match('/people/:subject', path))) return <PersonPage subject={m.subject!} />
  if (path === '/resource-servers') return <ResourceServersPage />
  if (path === '/upstreams') return <UpstreamsPage />
  if (path === '/roles') return <RolesPage platform={session.platform} />
  if (path === '/clients') return <ClientsPage />
  if ((m = match('/clients/:id', path))) return <ClientPage id={m.id!} />
  if (path === '/applications') return <ApplicationsPage />
  if (path === '/audit') return <AuditPage query={query} />
  if (path === '/provisioning') return <ProvisioningPage />
  const storePage = storeRoute(path, query)
  if (storePage) return storePage
  return (
    <>
      <PageHeader title="Page not found" />
      <p>There is no console page at <code>{path}</code>.</p>
      <p><Link href="/">Go to the overview</Link></p>
    </>
  )
}
