import { readFileSync } from 'node:fs';

/** How long a token file's content is used before it is read again: client-go's period. */
export const TOKEN_FILE_PERIOD_MS = 60_000;

/**
 * A kubeconfig `tokenFile`, re-read once its content is `periodMs` old, so that a rotated token (a
 * projected service-account token is renewed every hour) is picked up in a long command. A failed
 * re-read keeps the last token, as client-go does; only the first read may fail.
 */
export function tokenFileReader(file: string, periodMs = TOKEN_FILE_PERIOD_MS, now: () => number = Date.now): () => string {
  let token: string | undefined;
  let readAt = -Infinity;
  return () => {
    if (token === undefined || now() - readAt >= periodMs) {
      try {
        token = readFileSync(file, 'utf8').trim();
        readAt = now();
      } catch (e) {
        if (token === undefined) throw e;
      }
    }
    return token;
  };
}
