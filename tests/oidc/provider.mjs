// A real OpenID Connect provider for akte's end-to-end tests, on 127.0.0.1.
//
//   node provider.mjs DIR PORT GENERATION
//
// Signs with an ES256 key made for GENERATION (kept in DIR/key-GENERATION.pem
// and DIR/jwks-GENERATION.json, key id "gGENERATION"), so that a test can
// rotate the key by starting it again with the next generation. Clients come
// from DIR/clients.json: [{ "client_id", "client_secret", "claims": {...} }];
// each gets JWT access tokens for the audience "akte" by the client
// credentials grant, carrying its "claims". Prints "ready" once listening.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [dir, port, generation] = process.argv.slice(2);
const kid = `g${generation}`;
const jwksFile = join(dir, `jwks-${generation}.json`);
if (!existsSync(jwksFile)) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  writeFileSync(join(dir, `key-${generation}.pem`), privateKey.export({ format: 'pem', type: 'pkcs8' }));
}
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
const clients = JSON.parse(readFileSync(join(dir, 'clients.json'), 'utf8'));
const claimsOf = new Map(clients.map((c) => [c.client_id, c.claims ?? {}]));

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks,
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    id_token_signed_response_alg: 'ES256',
  })),
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:akte',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'akte',
        audience: 'akte',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  extraTokenClaims: (ctx, token) => claimsOf.get(token.clientId) ?? {},
});
provider.listen(Number(port), '127.0.0.1', () => {
  console.log('ready');
});
