// Typed errors of the script routes (STYLE.md 8). The HTTP status is chosen here, at the edge, from the code.

export const SCRIPT_ERROR_STATUS = {
  /** The query string or Host header is unusable. */
  'bad-request': 400,
  /** A boot intent lacks something its mode needs (e.g. install without a Talos version). */
  'intent-incomplete': 500,
  /** A profile or intent holds something that must not reach a script (a newline in an argument, a bad version). */
  'bad-record': 500,
  /** A setting a mode needs is missing (e.g. AGENT_PROVIDER_ADDRESS for agent mode). */
  'not-configured': 500,
  /** Local agent assets were requested for an architecture whose cmdline file could not be read at start. */
  'assets-missing': 500,
  /** The in-memory state could not be read. */
  'state-unavailable': 500,
  /** The Image Factory did not give us a schematic id. */
  'factory-failed': 502,
} as const;
export type ScriptErrorCode = keyof typeof SCRIPT_ERROR_STATUS;

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  readonly code: ScriptErrorCode;

  constructor(code: ScriptErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return SCRIPT_ERROR_STATUS[this.code];
  }
}
