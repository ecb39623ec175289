// A real OpenID Connect provider for akte's end-to-end tests, on 127.0.0.1.
//
//   node provider.mjs DIR PORT GENERATION
//
// Signs with an ES256 key made for GENERATION (kept in DIR/key-GENERATION.pem
// and DIR/jwks-GENERATION.json, key id "gGENERATION"), so that a test can
// rotate the key by starting it again with the next generation. Clients come
// from DIR/clients.json: [{ "client_id", "client_secret", "claims": {...},
// "redirect_uris": [...] }].
//
// A client without "redirect_uris" is a service: it gets JWT access tokens
// for the audience "akte" by the client credentials grant, carrying its
// "claims". A client with "redirect_uris" is a web application that logs
// people in by the authorization-code flow: a public client (PKCE only)
// without "client_secret", else one that authenticates with HTTP Basic.
//
// The people who log in come from DIR/accounts.json (optional):
// { "<login>": { "<claim>": value, ... } }, e.g. "preferred_username",
// "name", "sites", "groups", "realm_access": { "roles": [...] } (the claim
// names akte expects by default). The ID token carries them when the scope
// "profile" is asked for (as akte's web interface does). People log in on the
// provider's own development pages: the form takes a login of accounts.json
// and any password; an unknown login gets the form again. Web clients are
// first-party: no consent is asked.
//
// Prints "ready" once listening.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [dir, port, generation] = process.argv.slice(2);
// The provider prints notices on stdout as it runs; a reader that stopped
// reading after "ready" must not end it.
process.stdout.on('error', () => {});
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
const isWeb = (c) => Array.isArray(c.redirect_uris) && c.redirect_uris.length > 0;
const webClients = new Set(clients.filter(isWeb).map((c) => c.client_id));
const accountsFile = join(dir, 'accounts.json');
const accounts = existsSync(accountsFile) ? JSON.parse(readFileSync(accountsFile, 'utf8')) : {};
// The claims an ID token may carry for the scope "profile".
const profileClaims = ['preferred_username', 'name', 'sites', 'teams', 'groups', 'realm_access'];

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks,
  clients: clients.map((c) => (isWeb(c)
    ? {
      client_id: c.client_id,
      ...(c.client_secret ? { client_secret: c.client_secret } : {}),
      grant_types: ['authorization_code'],
      redirect_uris: c.redirect_uris,
      response_types: ['code'],
      token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
      id_token_signed_response_alg: 'ES256',
    }
    : {
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    })),
  claims: { openid: ['sub'], profile: profileClaims },
  // The scope's claims go into the ID token, not only to the userinfo
  // endpoint: akte reads them from the ID token.
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(accounts, sub)) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        return { ...accounts[sub], sub };
      },
    };
  },
  // Web clients are the deployment's own: their people are not asked to
  // consent, the scopes they ask for are granted.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    if (grantId) {
      return oidc.provider.Grant.find(grantId);
    }
    if (!webClients.has(oidc.client.clientId)) {
      return undefined;
    }
    const grant = new oidc.provider.Grant({
      clientId: oidc.client.clientId,
      accountId: oidc.session.accountId,
    });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Web clients get an access token for the userinfo endpoint only.
      defaultResource: (ctx, client) => (webClients.has(client?.clientId) ? undefined : 'urn:akte'),
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
