import type { BmcErrorCode } from '../drivers/driver.js';

/**
 * What a non-2xx Redfish answer means for us. Pure: status + parsed body in, verdict out.
 *
 * Redfish error bodies (DMTF DSP0266, "Error responses"): `{ "error": { "code", "message",
 * "@Message.ExtendedInfo": [{ "MessageId": "Registry.Major.Minor.Id", "Message", "RelatedProperties": [...] }] } }`.
 */
export interface RedfishFailure {
  code: BmcErrorCode;
  status: number;
  /** Every MessageId found (error.code first), e.g. `Base.1.8.PropertyValueNotInList`. */
  messageIds: readonly string[];
  /** JSON pointers from RelatedProperties, e.g. `#/Boot/BootSourceOverrideMode`. */
  relatedProperties: readonly string[];
  /** Short, single-line text for error messages (status, ids, first message), secrets not yet redacted. */
  detail: string;
}

/**
 * Message ids (last dotted segment) that mean "try again later". From the Base registry and what BMCs answer
 * while posting or busy; the Omni provider retries the same set.
 */
const BUSY_MESSAGES: ReadonlySet<string> = new Set([
  'NodeBusy',
  'ResourceInUse',
  'ResetInProgress',
  'UnableToModifyDuringSystemPOST',
  'ServiceTemporarilyUnavailable',
  'ServiceInUnknownState',
  'ServiceShuttingDown',
]);

export function classifyFailure(status: number, body: unknown): RedfishFailure {
  const info = extractErrorInfo(body);
  const busy = info.messageIds.some((id) => BUSY_MESSAGES.has(lastSegment(id)));
  const code = busy ? 'bmc-busy' : codeForStatus(status);
  const parts = [`HTTP ${status}`];
  if (info.messageIds.length > 0) parts.push(info.messageIds.slice(0, 3).join(', '));
  if (info.message !== null) parts.push(oneLine(info.message, 200));
  return {
    code,
    status,
    messageIds: info.messageIds,
    relatedProperties: info.relatedProperties,
    detail: parts.join(': '),
  };
}

/** Status alone (for endpoints without Redfish bodies, e.g. the QEMU power API). */
export function codeForStatus(status: number): BmcErrorCode {
  if (status === 401 || status === 403) return 'auth-failed';
  // 412: someone else changed the resource between our GET and PATCH; 409/429/503 and gateway errors pass.
  if (status === 409 || status === 412 || status === 429 || status === 502 || status === 503 || status === 504) {
    return 'bmc-busy';
  }
  if (status === 400 || status === 405 || status === 501) return 'unsupported';
  return 'protocol';
}

/** The AMI "use the FutureState (/SD) URI" answer (Omni bare-metal provider PR #68). */
export function isAmiFutureStateError(failure: RedfishFailure): boolean {
  return failure.messageIds.some(
    (id) => id.startsWith('Ami.') && lastSegment(id) === 'OperationSupportedInFutureStateURI',
  );
}

/** Did the BMC name a property as the reason? (`RelatedProperties` or the message text.) */
export function mentionsProperty(failure: RedfishFailure, property: string): boolean {
  return failure.relatedProperties.some((p) => p.endsWith(`/${property}`)) || failure.detail.includes(property);
}

function extractErrorInfo(body: unknown): {
  messageIds: string[];
  relatedProperties: string[];
  message: string | null;
} {
  const messageIds: string[] = [];
  const relatedProperties: string[] = [];
  let extendedMessage: string | null = null;
  const error = isRecord(body) ? body['error'] : undefined;
  if (!isRecord(error)) return { messageIds, relatedProperties, message: null };
  if (typeof error['code'] === 'string') messageIds.push(error['code']);
  const extended = error['@Message.ExtendedInfo'];
  if (Array.isArray(extended)) {
    for (const item of extended.slice(0, 16)) {
      if (!isRecord(item)) continue;
      const id = item['MessageId'];
      if (typeof id === 'string' && !messageIds.includes(id)) messageIds.push(id);
      if (extendedMessage === null && typeof item['Message'] === 'string') extendedMessage = item['Message'];
      const related = item['RelatedProperties'];
      if (Array.isArray(related)) {
        for (const p of related) if (typeof p === 'string') relatedProperties.push(p);
      }
    }
  }
  // The first extended message is usually more precise than the generic error.message.
  const generic = typeof error['message'] === 'string' ? error['message'] : null;
  return { messageIds, relatedProperties, message: extendedMessage ?? generic };
}

function lastSegment(id: string): string {
  const dot = id.lastIndexOf('.');
  return dot === -1 ? id : id.slice(dot + 1);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
