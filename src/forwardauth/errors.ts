// Stable error codes of the forward-auth module (all answered with 400).

export const ForwardAuthErrorCodes = {
  /** An application definition failed validation (details.issues lists each problem). */
  invalidApplication: 'forwardauth_invalid_application',
  /** The proxy did not send a header its contract requires (details.header names it). */
  missingHeader: 'forwardauth_missing_header',
  /** A contract header is malformed (details.header names it). */
  invalidHeader: 'forwardauth_invalid_header',
} as const
