// Forward-auth decision core for Caddy forward_auth, nginx auth_request and Traefik ForwardAuth: applications and policies, request parsing, path and return-URL safety, the allow/skip/login/deny decision.
// May import: src/lib, src/config, src/store types, src/authz and src/identity through their index.ts; node built-ins; zod. No HTTP framework, no SQL.
export {
  applicationSchema, cidrSchema, compileApplication, compileApplications, compilePolicy,
  identityHeadersSchema, invalidApplication, MAX_PATTERN_LENGTH, methodSchema, parseApplication, policySchema, ruleSchema,
  skipPathSchema, timeWindowSchema,
  type Application, type ApplicationInput, type ApplicationRegistry, type CompiledApplication, type CompiledPolicy,
  type CompiledRule, type IdentityHeaderNames, type Policy,
} from './application.ts'
export { cidrContains, formatIp, inAnyCidr, parseCidr, parseIp, resolveClientIp, type Cidr, type IpAddress } from './client-ip.ts'
export { ForwardAuthErrorCodes } from './errors.ts'
export { decide, type DecideConfig, type DecideDeps, type DecideInput, type Decision } from './decide.ts'
export { hostMatches, isHostPattern, parseAuthority, underCookieDomain, type Authority } from './hosts.ts'
export { emptyIdentityHeaders, headerValue, identityHeaders, organizationNames, type ForwardIdentity, type IdentityHeaders } from './identity-headers.ts'
export { MAX_PATH_LENGTH, normalisePath, pathHasPrefix, type NormalisedPath } from './paths.ts'
export { evaluatePolicy, selectPolicy, type PolicyCheck, type PolicyFailure, type RelationshipChecker } from './policy.ts'
export { parseAuthRequest, type ForwardedRequest, type ParseOptions, type ProxyContract, type RawAuthRequest } from './request.ts'
export { checkReturnUrl, MAX_RETURN_URL_LENGTH, type ReturnUrlCheck, type ReturnUrlPolicy } from './return-url.ts'
export { DAYS, inTimeWindow, isTimeZone, type Day, type TimeWindowSpec } from './time-window.ts'
export { createSessionStore, SESSION_CACHE_MS, SESSION_MODEL, type PortalSession, type SessionStore, type SessionStoreOptions, type SessionSummary } from './sessions.ts'
export { createLoginFlow, LOGIN_MODEL, type LoginFinish, type LoginFlow, type LoginFlowOptions, type LoginStart } from './login-flow.ts'
export { createLiveRegistry, REFRESH_MS, type ApplicationSource, type LiveRegistry, type RegistryOptions } from './registry.ts'
export { cookieValue, createForwardAuth, type AuditSink, type AuthOutcome, type ForwardAuth, type ForwardAuthOptions } from './service.ts'
export { deniedPage, homePage, loggedOutPage, logoutPage, misconfiguredPage, signInProblemPage, unknownHostPage } from './pages.ts'
export { createApplicationService, type ApplicationService, type ApplicationView, type ChangeContext } from './applications.ts'
export { createSimulator, type SimulationInput, type SimulationResult, type Simulator, type SimulatorOptions } from './simulate.ts'
