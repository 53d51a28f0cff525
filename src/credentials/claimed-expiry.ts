// A token that is a JWT carries its own expiry (`exp`), and the service's answer announces one too
// (expires_in, expiration). When the two disagree, the smaller is believed: a token handed out past its
// `exp` is refused by the registry however long the answer said it lives. The claim is measured from the
// token's own `iat` when it has one, so a clock that differs from the issuer's does not make a good token
// look dead (or a dead one good); without `iat`, `exp` is read by this machine's clock.
import { jwtExpiry, jwtIssuedAt } from '../clouds/jwt.js';
import { checkedExpiry, type IssuedCredential } from '../clouds/provider.js';

/** `issued` with its expiry no later than its token's `exp` claim; a claim that leaves no usable life is refused. */
export function withinClaimedExpiry(service: string, issued: IssuedCredential): IssuedCredential {
  const { secret, issuedAt, expiresAt } = issued;
  if (expiresAt === undefined) return issued;
  const exp = jwtExpiry(secret);
  if (exp === undefined) return issued;
  const iat = jwtIssuedAt(secret);
  const claimed = iat === undefined ? exp : issuedAt + (exp - iat);
  if (claimed >= expiresAt) return issued;
  const field =
    iat === undefined ? `exp ${exp / 1000}, by this machine's clock` : `exp ${exp / 1000 - iat / 1000} s after iat`;
  return { ...issued, expiresAt: checkedExpiry(service, `its own claim: ${field}`, issuedAt, claimed) };
}
