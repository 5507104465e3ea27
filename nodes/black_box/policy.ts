/**
 * What the black box may keep on the robot, per profile (docs/contract.md, "Data minimisation"): the
 * care profile records no camera images and no audio, and people only as positions. Pure.
 */
import type { ProfileName } from '../core/profiles';

export interface RecordingPolicy {
  /** Record camera images (sensor_msgs Image, CompressedImage). */
  images: boolean;
  /** Record audio (any audio message type). */
  audio: boolean;
  /** People detections keep only their positions (orientations set to identity). */
  peopleAsPositions: boolean;
}

const OPEN: RecordingPolicy = { images: true, audio: true, peopleAsPositions: false };

/** Built-in recording policies by profile. */
export const RECORDING_POLICIES: Readonly<Record<ProfileName, RecordingPolicy>> = {
  // a care home: residents are never filmed or heard by the black box; where they stood is enough
  care: { images: false, audio: false, peopleAsPositions: true },
  factory: OPEN,
  delivery: OPEN,
  farm: OPEN,
  construction: OPEN,
};

const IMAGE_TYPES = new Set(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage']);

/** Why `type` may not be recorded under `policy`, or undefined when it may. */
export function refusedType(type: string, policy: RecordingPolicy): string | undefined {
  if (!policy.images && IMAGE_TYPES.has(type)) return 'the profile records no camera images';
  if (!policy.audio && /audio/i.test(type)) return 'the profile records no audio';
  return undefined;
}

type PoseArray = {
  header: unknown;
  poses: Array<{ position: { x: number; y: number; z: number }; orientation: unknown }>;
};

/** A people message as the policy lets it be kept (a copy when anything is removed). */
export function minimisePeople<T extends PoseArray>(msg: T, policy: RecordingPolicy): T {
  if (!policy.peopleAsPositions) return msg;
  return {
    ...msg,
    poses: msg.poses.map((p) => ({ position: p.position, orientation: { x: 0, y: 0, z: 0, w: 1 } })),
  };
}
