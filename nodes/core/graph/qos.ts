/**
 * QoS profiles and the matching rules ROS 2 applies between a publisher and a subscription.
 */
import { KizunaError } from '../errors';
import { periodToNs } from './clock';

export type History = 'keep_last' | 'keep_all';
export type Reliability = 'reliable' | 'best_effort';
export type Durability = 'volatile' | 'transient_local';

/**
 * A complete QoS profile. `deadlineSec` is the one timing policy kizuna supports: rclnodejs 2.2.0 cannot
 * hand deadline, lifespan or liveliness to rmw, so kizuna watches the deadline itself on each endpoint (on
 * the node's clock) on both graphs, and it takes no part in matching; lifespan and liveliness are refused
 * rather than silently ignored.
 */
export interface QoSProfile {
  history: History;
  /** Queue depth in messages (keep_last). Ignored for keep_all. */
  depth: number;
  reliability: Reliability;
  durability: Durability;
  /**
   * [s] Deadline: a subscription expects a message, a publisher promises one, at least this often; each
   * missed period is reported as a deadline-missed event. Counting starts at the first message, as DDS
   * counts per instance. Absent: no deadline.
   */
  deadlineSec?: number;
}

/** The standard rclcpp/rclpy profile names. */
export type QoSProfileName = 'default' | 'sensor_data' | 'system_default' | 'services_default';

/**
 * What callers may pass: a profile name, a depth (keep_last, otherwise the default profile),
 * or a partial profile layered over a named base (default `default`).
 */
export type QoSSpec = QoSProfileName | number | (Partial<QoSProfile> & { base?: QoSProfileName });

/** Which endpoint a profile is for: `system_default` resolves differently for each, as in rmw. */
export type QoSSide = 'publisher' | 'subscription';

/**
 * The standard profiles (rmw/qos_profiles.h). `system_default` leaves every policy to the middleware; this
 * entry is what Fast DDS (the default rmw) picks for a publisher, see {@link systemDefaultFor}.
 */
export const QOS_PROFILES: Readonly<Record<QoSProfileName, Readonly<QoSProfile>>> = {
  default: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' },
  sensor_data: { history: 'keep_last', depth: 5, reliability: 'best_effort', durability: 'volatile' },
  system_default: { history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'volatile' },
  services_default: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' },
};

/**
 * `system_default` as rmw_fastrtps leaves it to Fast DDS's DDS defaults: keep_last 1 and volatile on both
 * sides, reliable for a DataWriter (publisher) but best_effort for a DataReader (subscription).
 */
export function systemDefaultFor(side: QoSSide): QoSProfile {
  return { ...QOS_PROFILES.system_default, reliability: side === 'subscription' ? 'best_effort' : 'reliable' };
}

const KNOWN_KEYS = ['base', 'history', 'depth', 'reliability', 'durability', 'deadlineSec'] as const;
/** Policies ROS 2 has but kizuna refuses, with the reason. */
const REFUSED_KEYS: Record<string, string> = {
  lifespan: 'lifespan is not supported: rclnodejs 2.2.0 cannot set it on the robot, so it would be ignored there',
  lifespanSec: 'lifespan is not supported: rclnodejs 2.2.0 cannot set it on the robot, so it would be ignored there',
  liveliness:
    'liveliness is not supported beyond the rmw default (automatic, infinite lease): rclnodejs 2.2.0 cannot set a lease; use deadlineSec to detect a silent publisher',
  livelinessLeaseSec:
    'liveliness is not supported beyond the rmw default (automatic, infinite lease): rclnodejs 2.2.0 cannot set a lease; use deadlineSec to detect a silent publisher',
  liveliness_lease_duration:
    'liveliness is not supported beyond the rmw default (automatic, infinite lease): rclnodejs 2.2.0 cannot set a lease; use deadlineSec to detect a silent publisher',
  deadline: "deadline is given in seconds as 'deadlineSec'",
  avoidRosNamespaceConventions: 'avoid_ros_namespace_conventions is not supported',
  avoid_ros_namespace_conventions: 'avoid_ros_namespace_conventions is not supported',
};

function qosError(why: string, key?: string): KizunaError {
  return new KizunaError('KZ_ERR_QOS_INVALID', why, key ? { entity: key } : {});
}

/** The known key closest to a misspelled one, for the error text. */
function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  return KNOWN_KEYS.find((k) => {
    const kl = k.toLowerCase();
    return kl.startsWith(lower.slice(0, 3)) || lower.startsWith(kl.slice(0, 4));
  });
}

/**
 * A complete, checked profile from a spec, for a publisher or a subscription (default: publisher; only
 * `system_default` differs). Throws KZ_ERR_QOS_INVALID naming the key: unknown keys, unsupported policies
 * (lifespan, liveliness) and bad values are refused, never ignored.
 */
export function resolveQoS(spec: QoSSpec | undefined, side: QoSSide = 'publisher'): QoSProfile {
  let profile: QoSProfile;
  const named = (name: unknown, what: string): QoSProfile => {
    if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(QOS_PROFILES, name)) {
      throw qosError(`unknown QoS ${what} '${String(name)}' (known: ${Object.keys(QOS_PROFILES).join(', ')})`);
    }
    return name === 'system_default' ? systemDefaultFor(side) : { ...QOS_PROFILES[name as QoSProfileName] };
  };
  if (spec === undefined) profile = { ...QOS_PROFILES.default };
  else if (typeof spec === 'number') profile = { ...QOS_PROFILES.default, depth: spec };
  else if (typeof spec === 'string') profile = named(spec, 'profile');
  else if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw qosError(`a QoS spec is a profile name, a depth or an object, got ${spec === null ? 'null' : typeof spec}`);
  } else {
    for (const key of Object.keys(spec)) {
      if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
      const refused = REFUSED_KEYS[key];
      if (refused) throw qosError(`QoS key '${key}': ${refused}`, key);
      const hint = closestKey(key);
      throw qosError(
        `unknown QoS key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${KNOWN_KEYS.join(', ')}`,
        key,
      );
    }
    const { base = 'default', ...rest } = spec;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    profile = { ...named(base, 'base profile'), ...defined };
  }
  if (profile.history !== 'keep_last' && profile.history !== 'keep_all') {
    throw qosError(`QoS history must be keep_last or keep_all, got '${String(profile.history)}'`, 'history');
  }
  if (profile.reliability !== 'reliable' && profile.reliability !== 'best_effort') {
    throw qosError(
      `QoS reliability must be reliable or best_effort, got '${String(profile.reliability)}'`,
      'reliability',
    );
  }
  if (profile.durability !== 'volatile' && profile.durability !== 'transient_local') {
    throw qosError(
      `QoS durability must be volatile or transient_local, got '${String(profile.durability)}'`,
      'durability',
    );
  }
  if (profile.history === 'keep_last' && (!Number.isInteger(profile.depth) || profile.depth < 1)) {
    throw qosError(`QoS depth must be an integer >= 1 with keep_last, got ${String(profile.depth)}`, 'depth');
  }
  if (profile.history === 'keep_all' && profile.depth !== undefined && typeof profile.depth !== 'number') {
    throw qosError(`QoS depth must be a number, got ${typeof profile.depth}`, 'depth');
  }
  if (profile.deadlineSec !== undefined) {
    if (profile.deadlineSec === Infinity) delete profile.deadlineSec;
    else {
      try {
        periodToNs(profile.deadlineSec, 'QoS deadlineSec');
      } catch (err) {
        throw qosError((err as Error).message, 'deadlineSec');
      }
    }
  }
  return profile;
}

/**
 * Whether a publisher offering `pub` can reach a subscription requesting `sub`, as DDS request-vs-offered
 * matching decides: the offer must be at least as strong as the request on reliability and durability.
 * Returns the first incompatible policy, or undefined when they match.
 */
export function incompatiblePolicy(pub: QoSProfile, sub: QoSProfile): 'reliability' | 'durability' | undefined {
  if (pub.reliability === 'best_effort' && sub.reliability === 'reliable') return 'reliability';
  if (pub.durability === 'volatile' && sub.durability === 'transient_local') return 'durability';
  return undefined;
}

/** The one-line explanation logged when a publisher and a subscription cannot connect. */
export function incompatibilityText(pub: QoSProfile, sub: QoSProfile, policy: 'reliability' | 'durability'): string {
  return (
    `${pub.reliability}/${pub.durability} publisher and ${sub.reliability}/${sub.durability} subscription ` +
    `do not connect (incompatible ${policy})`
  );
}
