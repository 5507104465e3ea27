/**
 * The MQTT connection: one mqtt.js client at a time, exponential backoff with jitter between
 * attempts, last will registered at connect, subscriptions renewed on every connect. A fresh client
 * per attempt keeps mqtt.js from replaying its own in-memory store: the durable outbox is the only
 * store of unacknowledged messages.
 *
 * The session is persistent unless `sessionExpiryS` is 0 (MQTT 5: clean start off with a Session
 * Expiry Interval; 3.1.1: clean session false), so the broker queues QoS 1 decisions while the link is
 * down and delivers them right after the next CONNACK. Subscribing again on every connect is safe: a
 * SUBSCRIBE to a filter the session already has replaces it (one subscription, one delivery), and it
 * is what restores them when the broker answers sessionPresent false (a new or expired session).
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { BrokerFailover, type BrokerOrder } from '../core/broker-urls';
import { KizunaError } from '../core/errors';
import { connackRefusal, refusalText, type ConnackRefusal } from '../core/mqtt-refusal';
import { disconnectReasonText } from './session-watch';

export { backoffDelayMs } from '../core/broker-urls';

export interface LinkOptions {
  /** mqtt://host:port, mqtts://host:port (TLS), ws:// or wss://: one broker, or the nodes of a cluster to fail over between. */
  urls: readonly string[];
  /** How the list is walked (nodes/core/broker-urls.ts). */
  order: BrokerOrder;
  /** [ms] wait before trying the next URL after a failure; the backoff applies after a whole round failed. */
  failoverDelayMs: number;
  protocolVersion: 4 | 5;
  /**
   * MQTT 5: mqtt.js gives each topic an alias the first time it is published on a connection and sends
   * the alias alone (empty topic) afterwards, up to the broker's CONNACK Topic Alias Maximum. The map
   * lives in the client and is rebuilt at every CONNACK; a fresh client per attempt makes that doubly
   * sure, so a reconnect always sends each topic in full again. Ignored under 3.1.1.
   */
  topicAliases?: boolean;
  /** Stable per robot across restarts: it names the session the broker keeps. */
  clientId: string;
  /** [s] session expiry; 0 = clean session (nothing kept while disconnected). */
  sessionExpiryS: number;
  /** [s] MQTT keep-alive. */
  keepaliveS: number;
  /** [s] CONNECT to CONNACK timeout. */
  connectTimeoutS: number;
  username?: string;
  password?: Buffer;
  /** TLS: PEM trust anchors, client certificate and key (mutual TLS). Hostname checks stay on. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** TLS server name to check, when it differs from the URL's host. */
  servername?: string;
  will: { topic: string; payload: Buffer };
  /** Topics subscribed with QoS 1 on every connect. */
  subscriptions: string[];
  /** [ms] first retry delay and cap of the exponential backoff. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** [ms] a connection that lasted this long resets the backoff. */
  stableMs: number;
  /** Uniform [0, 1) (injected for tests). */
  random?: () => number;
  /** Called with each new client before it connects (the audit log's packet tap, audit-tap.ts). */
  onClient?: (client: MqttClient) => void;
}

export interface LinkEvents {
  /** `sessionPresent`: the broker resumed the session (decisions queued during the outage follow). */
  connected: [protocolVersion: 4 | 5, sessionPresent: boolean, url: string];
  /**
   * A session ended without our own disconnect: the broker's MQTT 5 DISCONNECT reason code, if it sent
   * one (0x8E: another client connected with this client id).
   */
  disconnected: [reasonCode: number | undefined];
  message: [topic: string, payload: Buffer, retained: boolean];
  error: [err: KizunaError];
  /** The broker refused the CONNECT (protocol version, client id, credentials, authorisation): one per refusal. */
  refused: [refusal: ConnackRefusal, url: string];
}

export class MqttLink extends EventEmitter<LinkEvents> {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly failover: BrokerFailover;
  private connectedAt = 0;
  private stopped = false;
  /** The reason code of the broker's DISCONNECT in the current session (MQTT 5), if it sent one. */
  private reasonCode: number | undefined;
  /** [count] successful connects. */
  connects = 0;
  /** Whether the broker resumed a stored session at the last connect. */
  sessionPresent = false;
  lastError = '';
  /** The last CONNACK refusal, until a connect succeeds. */
  lastRefusal: ConnackRefusal | undefined;

  constructor(private readonly opts: LinkOptions) {
    super();
    this.failover = new BrokerFailover({
      urls: opts.urls,
      order: opts.order,
      key: opts.clientId,
      failoverDelayMs: opts.failoverDelayMs,
      backoffMinMs: opts.backoffMinMs,
      backoffMaxMs: opts.backoffMaxMs,
    });
  }

  /** The URL connected to, or the one being tried next. */
  get url(): string {
    return this.failover.url;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Starts connecting (returns at once; the broker may be down: attempts continue with backoff). */
  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    if (this.stopped || this.client) return;
    const o = this.opts;
    const options: IClientOptions = {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      clean: o.sessionExpiryS === 0,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutS * 1000,
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      will: { topic: o.will.topic, payload: o.will.payload, qos: 1, retain: true },
      rejectUnauthorized: true,
      manualConnect: true,
    };
    if (o.protocolVersion === 5) {
      options.will!.properties = { contentType: 'application/json' };
      options.properties = { sessionExpiryInterval: o.sessionExpiryS };
      if (o.topicAliases) options.autoAssignTopicAlias = true;
    }
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
    if (o.ca) options.ca = o.ca;
    if (o.cert) options.cert = o.cert;
    if (o.key) options.key = o.key;
    if (o.servername) options.servername = o.servername;
    const url = this.failover.url;
    const client = mqtt.connect(url, options);
    this.client = client;
    o.onClient?.(client);
    client.on('connect', (connack) => {
      if (this.client !== client) return;
      this.connectedAt = Date.now();
      this.reasonCode = undefined;
      this.lastRefusal = undefined;
      this.failover.connected();
      this.connects++;
      this.sessionPresent = o.sessionExpiryS > 0 && connack.sessionPresent === true;
      // Retained messages come again with every SUBSCRIBE (retain handling 0, as 3.1.1 does): a
      // retained decision is rejected RETAINED at each connect, whether or not the session was resumed.
      client.subscribe(o.subscriptions, { qos: 1 }, (err, granted) => {
        if (this.client !== client) return;
        const refused = granted?.find((g) => g.qos === 128);
        if (err || refused) this.fail(`subscribe refused: ${err ? err.message : refused!.topic}`, url);
      });
      this.emit('connected', o.protocolVersion, this.sessionPresent, url);
    });
    client.on('message', (topic, payload, packet) => {
      if (this.client === client) this.emit('message', topic, payload, packet.retain === true);
    });
    client.on('error', (err) => {
      if (this.client !== client) return;
      const refusal = connackRefusal(err);
      if (!refusal) return this.fail(err.message, url);
      this.lastRefusal = refusal;
      this.lastError = `${url}: ${refusalText(refusal)}`;
      this.emit('refused', refusal, url);
    });
    client.on('disconnect', (packet) => {
      if (this.client !== client) return;
      this.reasonCode = packet.reasonCode ?? 0;
      this.fail(`broker sent DISCONNECT, reason ${disconnectReasonText(this.reasonCode)}`, url);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      const wasUp = this.connectedAt > 0;
      const reasonCode = this.reasonCode;
      this.reasonCode = undefined;
      if (wasUp && Date.now() - this.connectedAt >= o.stableMs) this.failover.stable();
      this.connectedAt = 0;
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      if (wasUp) this.emit('disconnected', reasonCode);
      this.schedule();
    });
    client.connect();
  }

  private fail(text: string, url: string): void {
    this.lastError = `${url}: ${text}`;
    this.emit('error', new KizunaError('KZ_ERR_MQTT', text, { entity: url }));
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = this.failover.next((this.opts.random ?? Math.random)());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, delay);
  }

  /** Publishes when connected; `cb(err)` on PUBACK (QoS 1) or when written (QoS 0). Returns false when not connected. */
  publish(topic: string, payload: Buffer, opts: IClientPublishOptions, cb?: (err?: Error) => void): boolean {
    const c = this.client;
    if (!c || !c.connected) return false;
    const o: IClientPublishOptions = { ...opts };
    if (this.opts.protocolVersion !== 5) delete o.properties;
    c.publish(topic, payload, o, (err) => cb?.(err ?? undefined));
    return true;
  }

  /** Publishes `last` (e.g. the shutdown status) when connected, then disconnects cleanly; stops reconnecting. */
  async stop(last?: { topic: string; payload: Buffer }, timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    c.removeAllListeners('close');
    if (c.connected && last) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        // Like every robot → cloud message, JSON says so under MQTT 5 (the will and the birth do too).
        const props = this.opts.protocolVersion === 5 ? { properties: { contentType: 'application/json' } } : {};
        c.publish(last.topic, last.payload, { qos: 1, retain: true, ...props }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.end(true);
        resolve();
      }, timeoutMs);
      c.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    c.removeAllListeners();
    // A CONNACK refusal of an attempt still in flight may arrive after this: it must not be an unhandled 'error'.
    c.on('error', () => undefined);
  }
}
