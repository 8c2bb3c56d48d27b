// Errors of provisioning: configuration mistakes found at load (naming the rule and field), and
// delivery failures that say whether trying again can help.

import { AppError } from '../lib/index.ts'

export const ProvisioningCodes = {
  /** The provisioning configuration (targets, rules, templates) is invalid. */
  invalidConfig: 'provisioning_invalid_config',
  /** A template could not be rendered for this user (a variable had no value). */
  templateFailed: 'provisioning_template_failed',
  /** A downstream system failed in a way that may pass (network error, timeout, 5xx, 408, 429, 412 race). */
  downstreamUnavailable: 'provisioning_downstream_unavailable',
  /** A downstream system refused the request for good (other 4xx); retrying cannot help. */
  downstreamRejected: 'provisioning_downstream_rejected',
  /** The downstream object exists but Gatehouse did not create it: never adopted, changed or deleted. */
  notOwned: 'provisioning_not_owned',
  eventNotFound: 'provisioning_event_not_found',
} as const

/**
 * A delivery attempt failed. `retryable` decides between another attempt (with backoff) and the
 * dead-letter state. The message is shown to operators (event detail, logs): never secrets.
 */
export class DeliveryError extends AppError {
  readonly retryable: boolean

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, { status: 502, cause: options.cause, details: options.details })
    this.name = 'DeliveryError'
    this.retryable = options.retryable
  }
}

export function retryableDelivery(message: string, cause?: unknown, details?: Record<string, unknown>): DeliveryError {
  return new DeliveryError(ProvisioningCodes.downstreamUnavailable, message, { retryable: true, cause, details })
}

export function rejectedDelivery(message: string, cause?: unknown, details?: Record<string, unknown>): DeliveryError {
  return new DeliveryError(ProvisioningCodes.downstreamRejected, message, { retryable: false, cause, details })
}

/** A configuration error naming where it is: `provisioning.rules[2].incusProject.name: …`. */
export function provisioningConfigError(where: string, message: string): AppError {
  return new AppError(ProvisioningCodes.invalidConfig, `${where}: ${message}`, { status: 400, details: { where } })
}
