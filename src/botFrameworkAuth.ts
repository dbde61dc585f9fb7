/**
 * How Stagemaatje authenticates Bot Framework traffic: botbuilder's ConfigurationBotFrameworkAuthentication
 * (the standard MicrosoftApp* settings), with two changes:
 * - every bad inbound token is a 401 (botbuilder lets the token library's own errors through, and
 *   CloudAdapter answers them with 500, which looks like our fault);
 * - outbound connector clients are reused per service URL and audience instead of built for every
 *   turn. Building one (an HTTP pipeline with its policies) was the largest single cost of a turn
 *   after the bot's own work; the access token is cached by botbuilder itself, per app id and scope.
 */
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import {
  AuthenticationError,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type ClaimsIdentity,
  type ConnectorClient,
} from 'botframework-connector';

/** Service URLs a bot talks to: a handful per channel and region. Bounded so odd input cannot grow it. */
const MAX_CACHED_CLIENTS = 200;

/** src/app.ts builds its CloudAdapter with this instead of ConfigurationBotFrameworkAuthentication. */
export class StrictBotFrameworkAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(...args: Parameters<ConfigurationBotFrameworkAuthentication['authenticateRequest']>): Promise<AuthenticateRequestResult> {
    return super.authenticateRequest(...args).catch(unauthorized);
  }

  override async authenticateStreamingRequest(...args: Parameters<ConfigurationBotFrameworkAuthentication['authenticateStreamingRequest']>): Promise<AuthenticateRequestResult> {
    return super.authenticateStreamingRequest(...args).catch(unauthorized);
  }

  override async authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return super.authenticateChannelRequest(authHeader).catch(unauthorized);
  }

  private readonly clients = new Map<string, Promise<ConnectorClient>>();

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new ReusingConnectorFactory(super.createConnectorFactory(claimsIdentity), claimsIdentity, this.clients);
  }
}

/** Hands out one connector client per app id, service URL and audience. */
class ReusingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly inner: ConnectorFactory,
    private readonly identity: ClaimsIdentity,
    private readonly clients: Map<string, Promise<ConnectorClient>>,
  ) {
    super();
  }

  override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    // The identity decides which credentials botbuilder picks (the bot's own, or a skill's caller).
    const appId = this.identity.getClaimValue('appid') ?? this.identity.getClaimValue('azp') ?? '';
    const key = JSON.stringify([appId, this.identity.getClaimValue('aud') ?? '', serviceUrl, audience ?? '']);
    let client = this.clients.get(key);
    if (!client) {
      client = this.inner.create(serviceUrl, audience);
      client.catch(() => this.clients.delete(key));
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      this.clients.set(key, client);
    }
    return client;
  }
}

/** jsonwebtoken's errors (JsonWebTokenError, NotBeforeError, TokenExpiredError) mean: not authorised. */
function unauthorized(err: unknown): never {
  const name = (err as Error | undefined)?.name;
  if (name === 'JsonWebTokenError' || name === 'NotBeforeError' || name === 'TokenExpiredError') {
    throw new AuthenticationError('Unauthorized. Invalid token.', 401);
  }
  throw err;
}

