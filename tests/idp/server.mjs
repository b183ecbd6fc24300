// A real OpenID Connect provider (the oidc-provider package) for the hub's sign-in tests.
// Usage: node server.mjs SETTINGS.json — the file gives port, clients and accounts:
//   {"port": 4000, "clients": [{client_id, client_secret, redirect_uris}],
//    "accounts": {"login": {"email": ..., "name": ..., "groups": [...]}}}
// Its own login page accepts any login (the package's development interactions); an account
// not listed signs in with an address of its own, so a test can be someone the cage lacks.
// Consent is granted at once, as institutions do for their own applications. PKCE is required.
// Prints "ready <issuer>" once it listens on loopback.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${settings.port}`;
const scope = 'openid email profile groups';

const provider = new Provider(issuer, {
  clients: settings.clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  async findAccount(ctx, id) {
    const claims = settings.accounts[id] ?? { email: `${id}@elsewhere.example`, name: id };
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...claims };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: scope.split(' '),
  pkce: { methods: ['S256'], required: () => true },
  cookies: { keys: ['test provider cookie key, not a secret'] },
  features: { devInteractions: { enabled: true } },
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grant = new ctx.oidc.provider.Grant({
      clientId: client.clientId,
      accountId: session.accountId,
    });
    grant.addOIDCScope(scope);
    await grant.save();
    return grant;
  },
});

provider.listen(settings.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
