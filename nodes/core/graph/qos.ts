/**
 * QoS profiles and the matching rules ROS 2 applies between a publisher and a subscription.
 */
import { KizunaError } from '../errors';

export type History = 'keep_last' | 'keep_all';
export type Reliability = 'reliable' | 'best_effort';
export type Durability = 'volatile' | 'transient_local';

/** A complete QoS profile (the policies kizuna uses; deadline/lifespan/liveliness stay at ROS defaults). */
export interface QoSProfile {
  history: History;
  /** Queue depth in messages (keep_last). Ignored for keep_all. */
  depth: number;
  reliability: Reliability;
  durability: Durability;
}

/** The standard rclcpp/rclpy profile names. */
export type QoSProfileName = 'default' | 'sensor_data' | 'system_default' | 'services_default';

/**
 * What callers may pass: a profile name, a depth (keep_last, otherwise the default profile),
 * or a partial profile layered over a named base (default `default`).
 */
export type QoSSpec = QoSProfileName | number | (Partial<QoSProfile> & { base?: QoSProfileName });

/**
 * The standard profiles (rmw/qos_profiles.h). `system_default` leaves choices to the middleware;
 * the in-process graph resolves it the way the default middleware does (keep_last 1 reliable volatile).
 */
export const QOS_PROFILES: Readonly<Record<QoSProfileName, Readonly<QoSProfile>>> = {
  default: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' },
  sensor_data: { history: 'keep_last', depth: 5, reliability: 'best_effort', durability: 'volatile' },
  system_default: { history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'volatile' },
  services_default: { history: 'keep_last', depth: 10, reliability: 'reliable', durability: 'volatile' },
};

/** A complete, checked profile from a spec. Throws KZ_ERR_QOS_INVALID. */
export function resolveQoS(spec: QoSSpec | undefined): QoSProfile {
  let profile: QoSProfile;
  if (spec === undefined) profile = { ...QOS_PROFILES.default };
  else if (typeof spec === 'number') profile = { ...QOS_PROFILES.default, depth: spec };
  else if (typeof spec === 'string') {
    const named = QOS_PROFILES[spec];
    if (!named) throw new KizunaError('KZ_ERR_QOS_INVALID', `unknown QoS profile '${String(spec)}'`);
    profile = { ...named };
  } else {
    const { base = 'default', ...rest } = spec;
    const named = QOS_PROFILES[base];
    if (!named) throw new KizunaError('KZ_ERR_QOS_INVALID', `unknown QoS base profile '${String(base)}'`);
    profile = { ...named, ...rest };
  }
  if (profile.history !== 'keep_last' && profile.history !== 'keep_all') {
    throw new KizunaError(
      'KZ_ERR_QOS_INVALID',
      `QoS history must be keep_last or keep_all, got '${String(profile.history)}'`,
    );
  }
  if (profile.reliability !== 'reliable' && profile.reliability !== 'best_effort') {
    throw new KizunaError(
      'KZ_ERR_QOS_INVALID',
      `QoS reliability must be reliable or best_effort, got '${String(profile.reliability)}'`,
    );
  }
  if (profile.durability !== 'volatile' && profile.durability !== 'transient_local') {
    throw new KizunaError(
      'KZ_ERR_QOS_INVALID',
      `QoS durability must be volatile or transient_local, got '${String(profile.durability)}'`,
    );
  }
  if (profile.history === 'keep_last' && (!Number.isInteger(profile.depth) || profile.depth < 1)) {
    throw new KizunaError(
      'KZ_ERR_QOS_INVALID',
      `QoS depth must be an integer >= 1 with keep_last, got ${profile.depth}`,
    );
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
