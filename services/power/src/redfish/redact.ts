/**
 * Removes known secrets (password, its Basic-auth encoding, session tokens) from text that came from a BMC
 * before it goes into an error message. BMC error texts sometimes echo request data; ours must never carry it.
 */
export interface Redactor {
  add(secret: string | null | undefined): void;
  redact(text: string): string;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  return {
    add(secret) {
      // Very short values would blank out ordinary words; nothing that short is worth hiding from a message.
      if (secret !== null && secret !== undefined && secret.length >= 3) secrets.add(secret);
    },
    redact(text) {
      let out = text;
      for (const secret of secrets) out = out.split(secret).join('[redacted]');
      return out;
    },
  };
}
