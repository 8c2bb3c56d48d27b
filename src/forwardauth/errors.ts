// Stable error codes of the forward-auth module.

export const ForwardAuthErrorCodes = {
  /** An application definition failed validation (details.issues lists each problem). */
  invalidApplication: 'forwardauth_invalid_application',
  /** The proxy did not send a header its contract requires (details.header names it). */
  missingHeader: 'forwardauth_missing_header',
  /** A contract header is malformed (details.header names it). */
  invalidHeader: 'forwardauth_invalid_header',
  /** The return URL of a sign-in is not on a registered host or under the cookie domain (400). */
  badReturnUrl: 'forwardauth_bad_return_url',
  /** A sign-in callback without its state cookie, with another state, or replayed (400). */
  badState: 'forwardauth_bad_state',
  /** The sign-in code was not accepted (400). */
  badCode: 'forwardauth_bad_code',
  /** No application with this id (404). */
  applicationNotFound: 'forwardauth_application_not_found',
  /** An application with this id exists already (409). */
  applicationExists: 'forwardauth_application_exists',
  /** The application comes from the bootstrap file: change it there (409). */
  managedByBootstrap: 'forwardauth_application_managed_by_bootstrap',
  /** A host is claimed by two applications (409). */
  hostTaken: 'forwardauth_host_taken',
} as const
