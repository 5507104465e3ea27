/**
 * The reply of black_box's `~/capture` service (std_srvs/Trigger), shared by black_box (which writes it)
 * and cloud_bridge (which reads the incident file out of it for VDA 5050's logReport): nodes never import
 * each other, so the wording both rely on lives here. The message stays readable for a person calling the
 * service by hand.
 */

/** The default name of black_box's capture service, relative to the robot's namespace (`<ns>/black_box/capture`). */
export const BLACK_BOX_CAPTURE_SERVICE = 'black_box/capture';

/** What one capture request did: the incident file it records into, on the robot. */
export interface CaptureReply {
  /** `<seq>-<kind>`, the file name without `.mcap` (`kizuna blackbox get ID`). */
  id: string;
  /** The file's path on the robot (complete `postS` after the request, or when the capture in progress ends). */
  path: string;
  /** The request joined a capture already recording (its file is the one of the incident that started it). */
  joined: boolean;
}

const REPLY = /^(recording into|joined the capture in progress,) incident (\d{6,}-[a-z_]+) at (.+\.mcap)(?: \(|$)/;

/** The Trigger message for a capture into `r` ([s] `preS` before and `postS` after the request). */
export function captureReplyText(r: CaptureReply, preS: number, postS: number): string {
  return r.joined
    ? `joined the capture in progress, incident ${r.id} at ${r.path}`
    : `recording into incident ${r.id} at ${r.path} (${preS} s before and ${postS} s after now)`;
}

/** The incident file named by a capture reply, or undefined when `message` is not one. */
export function parseCaptureReply(message: string): CaptureReply | undefined {
  const m = REPLY.exec(message);
  if (!m) return undefined;
  return { id: m[2]!, path: m[3]!, joined: m[1]!.startsWith('joined') };
}
