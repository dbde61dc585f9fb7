/**
 * A stand-in for the Bot Framework token service on 127.0.0.1, the way botbuilder-js tests its own
 * auth (a throwaway RSA key, a local OpenID metadata document and JWKS), without nock: a real HTTP
 * server, so CloudAdapter fetches the keys exactly as it would from login.botframework.com.
 *
 * botbuilder caches OpenID metadata per URL in a process-wide static map (JwtTokenExtractor
 * .openIdMetadataCache), for 24 hours. `metadataUrl()` therefore hands out a fresh URL per call, so a
 * test that counts key fetches starts from an empty cache.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export const CHANNEL_ISSUER = 'https://api.botframework.com';

interface SigningKey {
  kid: string;
  privateKey: crypto.KeyObject;
  publicJwk: crypto.JsonWebKey;
  endorsements?: string[];
}

export interface TokenOptions {
  /** Which key's id goes into the header (default: the first key). */
  kid?: string;
  /** Sign with this key instead of the one `kid` names (a forged signature). */
  signWith?: crypto.KeyObject;
  alg?: 'RS256' | 'RS384' | 'RS512';
  /** Seconds from now; negative for an expired token. Default one hour. */
  expiresIn?: number;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

export class FakeBotFrameworkIssuer {
  readonly keys: SigningKey[] = [];
  /** Requests per path, e.g. `/jwks` → 2. */
  readonly fetches = new Map<string, number>();
  private server?: http.Server;
  private counter = 0;

  get origin(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** A signing key in the JWKS; `endorsements` lists the channels it may sign for (Teams keys say 'msteams'). */
  addKey(kid: string, endorsements?: string[]): SigningKey {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key: SigningKey = { kid, privateKey, publicJwk: publicKey.export({ format: 'jwk' }), endorsements };
    this.keys.push(key);
    return key;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      this.fetches.set(path, (this.fetches.get(path) ?? 0) + 1);
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/jwks') {
        return json({
          keys: this.keys.map((k) => ({ kty: 'RSA', use: 'sig', kid: k.kid, n: k.publicJwk.n, e: k.publicJwk.e, ...(k.endorsements ? { endorsements: k.endorsements } : {}) })),
        });
      }
      if (/^\/metadata\/\d+\/openidconfiguration$/.test(path)) {
        return json({ issuer: CHANNEL_ISSUER, jwks_uri: `${this.origin}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** A metadata URL nobody has fetched yet (botbuilder caches keys per URL for the whole process). */
  metadataUrl(): string {
    return `${this.origin}/metadata/${++this.counter}/openidconfiguration`;
  }

  metadataFetches(url: string): number {
    return this.fetches.get(new URL(url).pathname) ?? 0;
  }

  /** A token as the Bot Framework channel service signs it. */
  sign(claims: Record<string, unknown>, options: TokenOptions = {}): string {
    const key = options.kid ? this.keys.find((k) => k.kid === options.kid) : this.keys[0];
    const kid = options.kid ?? key?.kid;
    const signingKey = options.signWith ?? key?.privateKey;
    if (!signingKey) throw new Error(`no key ${options.kid}`);
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 3600;
    return jwt.sign(
      { nbf: Math.min(now, now + expiresIn) - 600, iat: Math.min(now, now + expiresIn) - 600, exp: now + expiresIn, ...claims },
      signingKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      { algorithm: options.alg ?? 'RS256', keyid: kid, noTimestamp: true },
    );
  }

  /** A token whose header names an algorithm we must never accept (signed by hand: jsonwebtoken refuses to). */
  static unsafeToken(claims: Record<string, unknown>, alg: 'none' | 'HS256', kid: string, secret = 'not-so-secret'): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg, typ: 'JWT', kid }));
    const payload = base64url(JSON.stringify({ nbf: now - 60, exp: now + 3600, ...claims }));
    if (alg === 'none') return `${header}.${payload}.`;
    const signature = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    return `${header}.${payload}.${base64url(signature)}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
