// When a short-lived token is refreshed and when it stops being handed out.
// Refresh once 80 % of the lifetime has passed (as IBM's SDKs do); stop answering a
// token a margin before it expires (10 % of its lifetime, at most 60 s) so a pull that
// starts with it does not fail half-way.

export interface Lifetime {
  issuedAt: number;
  expiresAt?: number;
}

/** How long the stored secret is answered as is (nothing to exchange) before the provider is asked again. */
export const PASS_THROUGH_HOLD_MS = 15 * 60_000;

const REFRESH_FRACTION = 0.8;
const MARGIN_FRACTION = 0.1;
const MAX_MARGIN_MS = 60_000;

export function expiryMarginMs(token: Lifetime): number {
  if (token.expiresAt === undefined) return 0;
  return Math.min(MAX_MARGIN_MS, (token.expiresAt - token.issuedAt) * MARGIN_FRACTION);
}

/** Still good to hand to a client. */
export function isUsable(token: Lifetime, now: number): boolean {
  return token.expiresAt === undefined || now < token.expiresAt - expiryMarginMs(token);
}

/** When a refresh is due (never for tokens without an expiry). */
export function refreshDueAt(token: Lifetime): number {
  if (token.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  return token.issuedAt + (token.expiresAt - token.issuedAt) * REFRESH_FRACTION;
}

export function needsRefresh(token: Lifetime, now: number): boolean {
  return now >= refreshDueAt(token);
}
