import { testApp } from '../helpers/app';
import { FakeBotFrameworkIssuer, CHANNEL_ISSUER } from '../helpers/fakeBotFrameworkIssuer';
describe('proto', () => {
  it('runs', async () => {
    const issuer = await new FakeBotFrameworkIssuer().start();
    issuer.addKey('k1'); issuer.addKey('teams', ['msteams']);
    const meta = issuer.metadataUrl();
    const app = await testApp({ MicrosoftAppId: 'app-1', MicrosoftAppPassword: 'pw', HOST: '127.0.0.1' }, { botFrameworkAuth: { ToBotFromChannelOpenIdMetadataUrl: meta, ToBotFromEmulatorOpenIdMetadataUrl: issuer.metadataUrl() } });
    const { port } = await app.listen();
    const su = 'http://127.0.0.1:1/';
    const act = { type: 'typing', channelId: 'webchat', serviceUrl: su, from: { id: 'u' }, recipient: { id: 'b' }, conversation: { id: 'c' } };
    const post = async (token?: string, a: object = act) => { const r = await fetch(`http://127.0.0.1:${port}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(a) }); return `${r.status} ${await r.text()}`; };
    const claims = { iss: CHANNEL_ISSUER, aud: 'app-1', serviceurl: su };
    console.log('none header', await post());
    console.log('valid', await post(issuer.sign(claims)));
    console.log('unknown kid', await post(issuer.sign(claims, { kid: 'k1', signWith: issuer.keys[1]!.privateKey }).replace(/^/, '')));
    console.log('HS256', await post(FakeBotFrameworkIssuer.unsafeToken(claims, 'HS256', 'k1')));
    console.log('none', await post(FakeBotFrameworkIssuer.unsafeToken(claims, 'none', 'k1')));
    console.log('expired 10m', await post(issuer.sign(claims, { expiresIn: -600 })));
    console.log('expired 2m', await post(issuer.sign(claims, { expiresIn: -120 })));
    console.log('teams key webchat', await post(issuer.sign(claims, { kid: 'teams' })));
    console.log('fetches', [...issuer.fetches]);
    await app.stop(); await issuer.stop();
  });
});
