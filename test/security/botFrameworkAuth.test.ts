/**
 * Inbound Bot Framework auth on POST /api/messages, with the real app and botbuilder's own token
 * checks: a throwaway RSA key, a local OpenID metadata document and JWKS (test/helpers/
 * fakeBotFrameworkIssuer.ts), tokens signed with jsonwebtoken. Nothing leaves 127.0.0.1: replies go to a
 * FakeConnector, and the AAD token for them is stubbed (it would come from login.microsoftonline.com).
 *
 * What botbuilder 4.23 really does (read in node_modules/botframework-connector/lib/auth, and checked here):
 * - Setting ANY of the URL options (ToBotFromChannelOpenIdMetadataUrl, ...) switches
 *   ConfigurationBotFrameworkAuthentication to "parameterized" mode, where every unset value is
 *   undefined, not the public-cloud default: with only the metadata URLs set, the allowed issuer is
 *   `undefined` and every token fails. authSettings() below therefore sets all of them.
 * - OpenID metadata and keys are cached per metadata URL in a process-wide static map for 24 hours;
 *   an unknown `kid` triggers a refresh at most once an hour.
 * - The issuer is checked on the undecoded token before any key is fetched.
 * - Token errors from jsonwebtoken itself (forged signature, `alg` HS256/none, not valid yet) are not
 *   AuthenticationErrors, so CloudAdapter answers them with 500 and the library's message as body.
 *   src/app.ts uses StrictBotFrameworkAuthentication (src/botFrameworkAuth.ts), which turns them
 *   into 401; src/server.ts hides the body of any 5xx all the same.
 * - Every rejected request is printed with console.error (the token error, and for bad signatures the
 *   public key): console.error is silenced in this file.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { ClaimsIdentity, MicrosoftAppCredentials } from 'botframework-connector';
import { CloudAdapter, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import type { App } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { createServer, InFlight } from '../../src/server';
import { StrictBotFrameworkAuthentication } from '../../src/botFrameworkAuth';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { CHANNEL_ISSUER, FakeBotFrameworkIssuer } from '../helpers/fakeBotFrameworkIssuer';

const APP_ID = '00000000-0000-0000-0000-0000000000b0';
const OTHER_APP_ID = '00000000-0000-0000-0000-0000000000e1';

/** Everything ConfigurationBotFrameworkAuthentication needs once one URL is overridden (see above). */
function authSettings(issuer: FakeBotFrameworkIssuer): ConfigurationBotFrameworkAuthenticationOptions {
  return {
    ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl(),
    ToBotFromEmulatorOpenIdMetadataUrl: issuer.metadataUrl(),
    ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: true,
  };
}

function authenticatedApp(issuer: FakeBotFrameworkIssuer): Promise<App> {
  return testApp({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'test-password', HOST: '127.0.0.1' }, { botFrameworkAuth: authSettings(issuer) });
}

const guarded = (app: App) => (app.adapter as unknown as { botFrameworkAuthentication: unknown }).botFrameworkAuthentication instanceof StrictBotFrameworkAuthentication;

describe('Bot Framework auth on /api/messages', function () {
  this.timeout(30_000);
  let issuer: FakeBotFrameworkIssuer;
  let connector: FakeConnector;
  let app: App;
  let base: string;
  let sandbox: sinon.SinonSandbox;
  let studentTurns: sinon.SinonSpy;
  let counsellorTurns: sinon.SinonSpy;
  let counter = 0;

  before(async () => {
    await resetDb(await testDb());
    issuer = await new FakeBotFrameworkIssuer().start();
    issuer.addKey('channel-key');
    issuer.addKey('teams-key', ['msteams']);
    connector = await new FakeConnector().start();
    sandbox = sinon.createSandbox();
    sandbox.stub(console, 'error');
    // Replies with credentials first fetch an AAD token from login.microsoftonline.com.
    sandbox.stub(MicrosoftAppCredentials.prototype, 'getToken').resolves('fake-outbound-token');
    app = await authenticatedApp(issuer);
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
    studentTurns = sandbox.spy(app.studentBot, 'run');
    counsellorTurns = sandbox.spy(app.counsellorBot, 'run');
  });
  after(async () => {
    await app.stop();
    sandbox.restore();
    await connector.stop();
    await issuer.stop();
  });
  beforeEach(() => {
    studentTurns.resetHistory();
    counsellorTurns.resetHistory();
    connector.reset();
  });

  const claims = (extra: Record<string, unknown> = {}) => ({ iss: CHANNEL_ISSUER, aud: APP_ID, serviceurl: connector.url, ...extra });

  function activity(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const n = ++counter;
    return {
      type: 'message',
      id: `auth-${n}`,
      channelId: 'webchat',
      serviceUrl: connector.url,
      from: { id: `auth-user-${n}` },
      recipient: { id: APP_ID },
      conversation: { id: `auth-conv-${n}` },
      text: 'hoi',
      ...overrides,
    };
  }

  async function post(token: string | undefined, body: Record<string, unknown> = activity()): Promise<{ status: number; text: string }> {
    const res = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  async function refused(token: string | undefined, body?: Record<string, unknown>, message?: RegExp): Promise<void> {
    const { status, text } = await post(token, body);
    assert.equal(status, 401, text);
    if (message) assert.match(text, message);
    assert.equal(studentTurns.callCount + counsellorTurns.callCount, 0, 'the bot never ran');
    assert.equal(connector.calls.length, 0, 'nothing was sent');
  }

  async function accepted(token: string, body: Record<string, unknown> = activity()): Promise<void> {
    const { status, text } = await post(token, body);
    assert.equal(status, 200, text);
    const conversation = (body.conversation as { id: string }).id;
    if (body.type === 'message') assert.ok(connector.activities(conversation).length > 0, 'the bot answered');
  }

  it('refuses a request without an Authorization header (401) and never runs the bot', async () => {
    await refused(undefined, undefined, /not authorized/i);
    const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: '' }, body: JSON.stringify(activity()) });
    assert.equal(res.status, 401);
  });

  it('accepts a valid channel token: the bot runs and answers', async () => {
    await accepted(issuer.sign(claims()));
    assert.equal(studentTurns.callCount, 1);
  });

  it('refuses a header that is not "Bearer <jwt>"', async () => {
    for (const header of ['Basic dXNlcjpwYXNz', `bearer ${issuer.sign(claims())}`, 'Bearer', 'Bearer a.b', `Bearer ${issuer.sign(claims())} extra`]) {
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: header }, body: JSON.stringify(activity()) });
      assert.equal(res.status, 401, header.slice(0, 20));
    }
    assert.equal(studentTurns.callCount, 0);
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    await refused(issuer.sign(claims(), { kid: 'no-such-key', signWith: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }), undefined, /Signing Key could not be retrieved/);
  });

  it('refuses a token from another issuer', async () => {
    await refused(issuer.sign(claims({ iss: 'https://evil.example' })));
    await refused(issuer.sign(claims({ iss: 'https://api.botframework.com/' })), undefined, /No valid identity/);
  });

  it('refuses a token for another app (audience)', async () => {
    await refused(issuer.sign(claims({ aud: OTHER_APP_ID })), undefined, /Invalid AppId passed on token/);
    await refused(issuer.sign(claims({ aud: undefined })));
  });

  it('refuses a token that expired more than 5 minutes ago, and accepts one that expired less (clock skew)', async () => {
    await refused(issuer.sign(claims(), { expiresIn: -6 * 60 }), undefined, /The token has expired/);
    await accepted(issuer.sign(claims(), { expiresIn: -4 * 60 }));
  });

  it('refuses tokens with alg HS256 (also keyed with our public key) or none', async () => {
    await refused(FakeBotFrameworkIssuer.unsafeToken(claims(), 'HS256', 'channel-key'));
    const publicPem = crypto.createPublicKey(issuer.keys[0]!.privateKey).export({ format: 'pem', type: 'spki' }) as string;
    await refused(FakeBotFrameworkIssuer.unsafeToken(claims(), 'HS256', 'channel-key', publicPem));
    await refused(FakeBotFrameworkIssuer.unsafeToken(claims(), 'none', 'channel-key'));
  });

  it('refuses a token whose serviceurl claim is not the activity’s serviceUrl', async () => {
    await refused(issuer.sign(claims({ serviceurl: 'https://smba.trafficmanager.net/emea/' })), undefined, /ServiceUrl claim do not match/);
    await refused(issuer.sign(claims()), activity({ serviceUrl: `${connector.url}other/` }));
  });

  it('refuses a key endorsed for Teams on another channel, and accepts it for Teams', async () => {
    await refused(issuer.sign(claims(), { kid: 'teams-key' }), activity({ channelId: 'webchat' }), /Could not validate endorsement/);
    // A typing activity: the counsellor bot runs and sends nothing.
    const { status } = await post(issuer.sign(claims(), { kid: 'teams-key' }), activity({ channelId: 'msteams', type: 'typing' }));
    assert.equal(status, 200);
    assert.equal(counsellorTurns.callCount, 1);
  });

  it('refuses a skill token (another bot calling us): no allowed callers are configured', async () => {
    const skill = issuer.sign({ iss: 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/', aud: APP_ID, ver: '1.0', appid: OTHER_APP_ID });
    await refused(skill, undefined, /Skill Claims require validation/);
  });

  it('hides botbuilder’s error text when it fails a request', async () => {
    // A forged signature makes jsonwebtoken throw "invalid signature", which CloudAdapter answers with
    // 500 and that text unless src/app.ts uses StrictBotFrameworkAuthentication (then 401).
    const forged = issuer.sign(claims(), { kid: 'channel-key', signWith: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
    const { status, text } = await post(forged);
    assert.equal(status, 401);
    assert.doesNotMatch(text, /invalid signature/);
    assert.equal(studentTurns.callCount, 0);
  });

  it('refuses a forged signature and a token that is not valid yet with 401, not 500', async () => {
    assert.ok(guarded(app), 'src/app.ts builds its CloudAdapter with StrictBotFrameworkAuthentication');
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await refused(issuer.sign(claims(), { kid: 'channel-key', signWith: otherKey }));
    const now = Math.floor(Date.now() / 1000);
    await refused(issuer.sign(claims({ nbf: now + 10 * 60, iat: now + 10 * 60 })));
  });
});

describe('Bot Framework auth: issuer check first, key refreshes at most hourly', function () {
  this.timeout(30_000);

  it('refuses a foreign issuer without fetching keys, and fetches keys once for many unknown kids', async () => {
    const issuer = await new FakeBotFrameworkIssuer().start();
    issuer.addKey('channel-key');
    const connector = await new FakeConnector().start();
    const errors = sinon.stub(console, 'error');
    const settings = authSettings(issuer);
    const app = await testApp({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'test-password', HOST: '127.0.0.1' }, { botFrameworkAuth: settings });
    const metadata = settings.ToBotFromChannelOpenIdMetadataUrl!;
    try {
      const { port } = await app.listen();
      const post = (token: string) =>
        fetch(`http://127.0.0.1:${port}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ type: 'typing', channelId: 'webchat', serviceUrl: connector.url, from: { id: 'u' }, conversation: { id: 'c' } }),
        }).then((r) => r.status);
      const claims = { iss: 'https://login.evil.example/', aud: APP_ID, serviceurl: connector.url };
      assert.equal(await post(issuer.sign(claims)), 401);
      assert.equal(issuer.metadataFetches(metadata), 0, 'the issuer is checked before any key is fetched');

      const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      for (let i = 0; i < 4; i++) {
        assert.equal(await post(issuer.sign({ ...claims, iss: CHANNEL_ISSUER }, { kid: `unknown-${i}`, signWith: stranger })), 401);
      }
      assert.equal(issuer.metadataFetches(metadata), 1, 'one refresh for four unknown kids (at most one an hour)');
      assert.equal(await post(issuer.sign({ ...claims, iss: CHANNEL_ISSUER })), 200);
      assert.equal(issuer.metadataFetches(metadata), 1, 'a known kid comes from the cache');
    } finally {
      await app.stop();
      errors.restore();
      await connector.stop();
      await issuer.stop();
    }
  });
});

describe('StrictBotFrameworkAuthentication (src/botFrameworkAuth.ts)', function () {
  this.timeout(30_000);

  it('turns the token library’s own errors into 401: forged signature, token not valid yet', async () => {
    const issuer = await new FakeBotFrameworkIssuer().start();
    issuer.addKey('channel-key');
    const errors = sinon.stub(console, 'error');
    const adapter = new CloudAdapter(new StrictBotFrameworkAuthentication({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'test-password', ...authSettings(issuer) }));
    let turns = 0;
    const server = createServer(
      {
        logger: silentLogger,
        maxRequestBytes: 1_048_576,
        requestsPerMinute: 600,
        processBotFramework: (req, res) => adapter.process(req, res, async () => void turns++),
        ready: async () => true,
      },
      new InFlight(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const serviceUrl = 'http://127.0.0.1:9/';
      const post = (token: string) =>
        fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ type: 'typing', channelId: 'webchat', serviceUrl, from: { id: 'u' }, conversation: { id: 'c' } }),
        }).then((r) => r.status);
      const claims = { iss: CHANNEL_ISSUER, aud: APP_ID, serviceurl: serviceUrl };
      const now = Math.floor(Date.now() / 1000);
      assert.equal(await post(issuer.sign(claims, { signWith: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })), 401, 'forged signature');
      assert.equal(await post(issuer.sign({ ...claims, nbf: now + 600, iat: now + 600 })), 401, 'not valid yet');
      assert.equal(await post(issuer.sign({ ...claims, aud: OTHER_APP_ID })), 401, 'other audience');
      assert.equal(turns, 0);
      assert.equal(await post(issuer.sign(claims)), 200);
      assert.equal(turns, 1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      errors.restore();
      await issuer.stop();
    }
  });

  it('reuses one connector client per service URL and audience, and keeps none that failed', async () => {
    const auth = new StrictBotFrameworkAuthentication({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'test-password' });
    const identity = new ClaimsIdentity([{ type: 'aud', value: APP_ID }], true);
    const first = await auth.createConnectorFactory(identity).create('https://smba.example/emea/');
    assert.equal(await auth.createConnectorFactory(identity).create('https://smba.example/emea/'), first, 'the next turn gets the same client');
    assert.notEqual(await auth.createConnectorFactory(identity).create('https://smba.example/amer/'), first, 'another service URL, another client');
    assert.notEqual(await auth.createConnectorFactory(identity).create('https://smba.example/emea/', 'https://api.botframework.com'), first, 'another audience, another client');

    const failing = sinon.stub(auth, 'createConnectorFactory').callThrough();
    const inner = { create: sinon.stub().rejects(new Error('no credentials')) };
    failing.onFirstCall().callsFake((id) => {
      const factory = failing.wrappedMethod.call(auth, id);
      (factory as unknown as { inner: typeof inner }).inner = inner;
      return factory;
    });
    await assert.rejects(auth.createConnectorFactory(identity).create('https://smba.example/apac/'), /no credentials/);
    const retried = await auth.createConnectorFactory(identity).create('https://smba.example/apac/');
    assert.ok(retried, 'a failed client is not kept: the next turn builds a new one');
  });
});

describe('Bot Framework credentials in production', () => {
  const production = (env: Record<string, string>) => () =>
    loadConfig({ NODE_ENV: 'production', REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), ...env });

  it('refuses to start without an app id or password (auth would silently be off)', () => {
    assert.throws(production({}), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MicrosoftAppId:')));
    assert.throws(production({ MicrosoftAppId: '', MicrosoftAppPassword: 'secret' }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MicrosoftAppId:')));
    assert.throws(production({ MicrosoftAppId: '   ', MicrosoftAppPassword: 'secret' }), ConfigError);
    assert.throws(production({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: '' }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MicrosoftAppPassword:')));
    assert.throws(production({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: ' ' }), ConfigError);
  });

  it('starts with both, listening on every interface', () => {
    const config = production({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'secret' })();
    assert.equal(config.botFramework.appId, APP_ID);
    assert.equal(config.host, '0.0.0.0');
  });

});
