/**
 * Who caused a contact, and clearance per kind of object: the attribution rules of the sim's report.
 *
 * A contact is robot-caused when
 * - with a wall or an obstacle: the robot moved (drove or turned) into it — an obstacle that appears
 *   on a standing robot is not;
 * - with a person or another robot: the robot was moving faster than {@link CONTACT_SPEED_MPS}
 *   (whoever moved into whom), or it turned into them.
 * Anything else (a person walking into a standing or creeping robot) is the other party's.
 */

/** [m/s] above this linear speed a robot in contact with a person or robot caused the contact. */
export const CONTACT_SPEED_MPS = 0.1;
/** [rad/s] a robot turning faster than this while moving into something turned into it. */
export const CONTACT_TURN_RADPS = 1e-3;

/** The kinds of objects a robot can touch, in the order of per-kind arrays. */
export const CONTACT_KINDS = ['wall', 'obstacle', 'person', 'robot'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

/** True when the contact is the robot's doing (see the module comment). */
export function robotCausedContact(
  kind: ContactKind,
  movedInto: boolean,
  robotSpeedMps: number,
  robotTurnRadps: number,
): boolean {
  if (kind === 'wall' || kind === 'obstacle') return movedInto;
  return robotSpeedMps > CONTACT_SPEED_MPS || (movedInto && Math.abs(robotTurnRadps) > CONTACT_TURN_RADPS);
}

/** [m] minimum clearance per kind of object (capped, like the overall minimum). */
export type ClearanceByKind = Record<ContactKind, number>;

/** [m/s] the robot's highest linear speed while a person was within 1 m / 2 m of its footprint (0: never). */
export interface SpeedNearPeople {
  within1m: number;
  within2m: number;
}
