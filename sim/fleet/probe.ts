/**
 * Which MQTT version an outside broker accepts, asked once before a `kizuna sim --broker` run starts
 * (`--mqtt-version` skips it): MQTT 5 first, 3.1.1 when 5 is refused or the connection closes without a
 * CONNACK (a 3.1.1-only broker may do either). A broker that refuses both, or refuses for another
 * reason (credentials, client id), stops the run with a message naming the refusal.
 */
import mqtt from 'mqtt';
import { KizunaError } from '../../nodes/core/errors';
import { connackRefusal, refusalText } from '../../nodes/core/mqtt-refusal';

/** How one CONNECT went. */
export type ProbeOutcome = { ok: true } | { ok: false; refused: boolean; kind?: string; text: string };

/** One CONNECT with `version` and a throw-away clean session; never reconnects. */
export async function tryConnect(
  url: string,
  version: 4 | 5,
  timeoutMs = 5000,
  clientId = `kizuna-sim-probe-${Math.random().toString(36).slice(2, 10)}`,
): Promise<ProbeOutcome> {
  const c = mqtt.connect(url, {
    protocolVersion: version,
    clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  const outcome = await new Promise<ProbeOutcome>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, refused: false, text: `no CONNACK within ${timeoutMs} ms` }),
      timeoutMs + 500,
    );
    c.once('connect', () => {
      clearTimeout(timer);
      resolve({ ok: true });
    });
    c.once('error', (err) => {
      clearTimeout(timer);
      const r = connackRefusal(err);
      resolve(
        r
          ? { ok: false, refused: true, kind: r.kind, text: refusalText(r) }
          : { ok: false, refused: false, text: err.message },
      );
    });
    c.once('close', () => {
      clearTimeout(timer);
      resolve({ ok: false, refused: false, text: 'connection closed without a CONNACK' });
    });
  });
  c.removeAllListeners();
  c.on('error', () => undefined);
  await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  return outcome;
}

export interface ProbeResult {
  version: 4 | 5;
  /** The URL that answered. */
  url: string;
  /** Why MQTT 5 was not used, when it was not. */
  note: string;
}

/**
 * The MQTT version to speak with the broker at the first of `urls` that answers (a standby backup does
 * not): 5 if accepted, else 3.1.1. Throws KZ_ERR_SIM_BROKER naming each node's answer otherwise.
 */
export async function probeMqttVersion(urls: readonly string[], timeoutMs = 5000): Promise<ProbeResult> {
  const answers: string[] = [];
  for (const url of urls) {
    const v5 = await tryConnect(url, 5, timeoutMs);
    if (v5.ok) return { version: 5, url, note: '' };
    // Anything but a version refusal or a close without CONNACK is the broker's final word on this client.
    if (v5.refused && v5.kind !== 'protocol_version') {
      throw new KizunaError('KZ_ERR_MQTT_REFUSED', `${url} refused the sim's CONNECT: ${v5.text}`, { entity: url });
    }
    if (!v5.refused && /ECONNREFUSED|no CONNACK within/.test(v5.text)) {
      answers.push(`${url}: ${v5.text}`);
      continue;
    }
    const v4 = await tryConnect(url, 4, timeoutMs);
    if (v4.ok) return { version: 4, url, note: `MQTT 5 not accepted (${v5.text}): speaking 3.1.1` };
    if (v4.refused && v4.kind !== 'protocol_version') {
      throw new KizunaError('KZ_ERR_MQTT_REFUSED', `${url} refused the sim's CONNECT: ${v4.text}`, { entity: url });
    }
    answers.push(`${url}: MQTT 5: ${v5.text}; MQTT 3.1.1: ${v4.text}`);
  }
  throw new KizunaError('KZ_ERR_SIM_BROKER', `no broker node accepted the sim: ${answers.join('; ')}`, {
    entity: urls.join(','),
  });
}

/**
 * Whether the broker accepts a client id of the robots' form `<fleet>.<robot_id>` (the "." in it): NATS
 * refuses it (CONNACK 0x02 identifier rejected, it maps ids onto subject tokens). False only on that refusal.
 */
export async function acceptsDottedClientId(url: string, version: 4 | 5, timeoutMs = 5000): Promise<boolean> {
  const r = await tryConnect(url, version, timeoutMs, `kizuna-sim.probe-${Math.random().toString(36).slice(2, 10)}`);
  return r.ok || r.kind !== 'client_id';
}
