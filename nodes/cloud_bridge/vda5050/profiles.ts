/**
 * What each profile offers a VDA 5050 master control: the node actions it carries out and the body the
 * factsheet describes (from the profile files: the safety gate's footprint and acceleration limits; a
 * unit test holds the two together).
 */
import type { ProfileName } from '../../core/profiles';

/**
 * Node actions by profile. pick and drop are a dwell at a station (kizuna has no load handling device):
 * the profiles whose tasks load and unload at stations (factory move_material, delivery deliver_package).
 * startCharging is the executive's DOCK at the node, which every profile has; stopCharging finishes only
 * when the robot is not charging (kizuna cannot switch a charger off).
 */
const CHARGING = ['startCharging', 'stopCharging'] as const;
export const PROFILE_NODE_ACTIONS: Readonly<Record<ProfileName, readonly string[]>> = {
  care: [...CHARGING],
  factory: ['pick', 'drop', ...CHARGING],
  delivery: ['pick', 'drop', ...CHARGING],
  farm: [...CHARGING],
  construction: [...CHARGING],
};

/** [m], [m/s²] length (footprint front + rear), width, and the gate's acceleration limits. */
export const PROFILE_BODY: Readonly<
  Record<ProfileName, { length: number; width: number; accelerationMax: number; decelerationMax: number }>
> = {
  care: { length: 0.5, width: 0.5, accelerationMax: 0.3, decelerationMax: 0.6 },
  factory: { length: 1.1, width: 0.8, accelerationMax: 0.5, decelerationMax: 1.0 },
  delivery: { length: 0.7, width: 0.6, accelerationMax: 0.6, decelerationMax: 1.2 },
  farm: { length: 2.1, width: 1.6, accelerationMax: 0.4, decelerationMax: 0.8 },
  construction: { length: 1.2, width: 0.9, accelerationMax: 0.4, decelerationMax: 0.8 },
};
