/**
 * Services and nav2_msgs/action/NavigateToPose actions between kizuna's rclnodejs graph and an rclpy peer, in
 * both directions, on real rcl + Fast DDS. nav2_msgs is not among the wheels: `npm run ros:setup` builds
 * kizuna's vendored Jazzy NavigateToPose into the overlay, for rclpy and rclnodejs alike.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { RosGraph, RosNode } from '../../nodes/core/graph/types';
import type { KizunaError } from '../../nodes/core/errors';
import type { MessageOf } from '../../nodes/core/interfaces';
import { createMessage } from '../../nodes/core/interfaces/validate';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';

let seq = 0;
const unique = (base: string): string => `/svc${process.pid}_${++seq}/${base}`;

type Goal = MessageOf<'nav2_msgs/action/NavigateToPose_Goal'>;
type Feedback = MessageOf<'nav2_msgs/action/NavigateToPose_Feedback'>;
type Result = MessageOf<'nav2_msgs/action/NavigateToPose_Result'>;

// GoalStatus values (action_msgs/msg/GoalStatus) as rclpy reports them.
const STATUS_SUCCEEDED = 4;
const STATUS_CANCELED = 5;

function goalTo(x: number, behaviorTree = ''): Goal {
  const g = createMessage('nav2_msgs/action/NavigateToPose_Goal') as unknown as Goal;
  g.pose.header.frame_id = 'map';
  g.pose.pose.position.x = x;
  g.pose.pose.orientation.w = 1;
  g.behavior_tree = behaviorTree;
  return g;
}

describeWithRos('services and actions with rclpy (real rcl + Fast DDS)', () => {
  let graph: RosGraph;
  let node: RosNode;
  let peer: RclpyPeer;
  const errors: KizunaError[] = [];

  beforeAll(async () => {
    peer = await RclpyPeer.start('kizuna_svc_peer');
    graph = await createRclnodejsGraph({});
    node = graph.createNode('svc_kizuna');
    node.on('error', (e) => errors.push(e));
  }, 30000);

  afterAll(async () => {
    await graph?.shutdown();
    await peer?.stop();
  });

  it('answers an rclpy service call from a kizuna service', async () => {
    const name = unique('set_flag');
    node.createService('std_srvs/srv/SetBool', name, (req) => ({
      success: !req.data,
      message: `kizuna got ${req.data}`,
    }));
    const { response } = await peer.request('call', { name, type: 'std_srvs/srv/SetBool', request: { data: true } });
    expect(response).toEqual({ success: false, message: 'kizuna got true' });
  }, 20000);

  it('calls an rclpy service from a kizuna client', async () => {
    const name = unique('set_flag');
    await peer.request('serve_setbool', { name });
    const client = node.createClient('std_srvs/srv/SetBool', name);
    expect(await client.waitForService(10)).toBe(true);
    await expect(client.call({ data: true })).resolves.toEqual({ success: true, message: 'rclpy got true' });
    await expect(client.call({ data: false })).resolves.toEqual({ success: false, message: 'rclpy got false' });
  }, 20000);

  it('sends no reply when a kizuna service handler throws: the rclpy caller times out (ROS 2 has no error reply)', async () => {
    const name = unique('broken');
    node.createService('std_srvs/srv/Trigger', name, () => {
      throw new Error('handler broke');
    });
    const started = Date.now();
    await expect(
      peer.request('call', { name, type: 'std_srvs/srv/Trigger', request: {}, timeout: 1.5 }),
    ).rejects.toThrow(/TimeoutError: no answer within 1.5 s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(errors.some((e) => e.code === 'KZ_ERR_CALLBACK_FAILED' && /handler broke/.test(e.message))).toBe(true);
  }, 20000);

  it('runs an rclpy NavigateToPose goal on a kizuna action server: feedback, then the result', async () => {
    const name = unique('navigate_to_pose');
    node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
      execute: async (goal) => {
        const fb = createMessage('nav2_msgs/action/NavigateToPose_Feedback') as unknown as Feedback;
        fb.distance_remaining = goal.goal.pose.pose.position.x;
        fb.number_of_recoveries = 1;
        fb.navigation_time = { sec: 3, nanosec: 500 };
        goal.publishFeedback(fb);
        // Feedback travels on its own topic; give it time to land before the result ends the goal.
        await new Promise((r) => setTimeout(r, 200));
        const result = createMessage('nav2_msgs/action/NavigateToPose_Result') as unknown as Result;
        result.error_msg = `kizuna reached ${goal.goal.pose.pose.position.x}`;
        return { status: 'succeeded', result };
      },
    });
    const answer = await peer.request<{
      accepted: boolean;
      status: number;
      result: Result;
      feedback: Feedback[];
    }>('send_goal', { name, goal: goalTo(2.5) });
    expect(answer.accepted).toBe(true);
    expect(answer.status).toBe(STATUS_SUCCEEDED);
    expect(answer.result).toEqual({ error_code: 0, error_msg: 'kizuna reached 2.5' });
    expect(answer.feedback).toHaveLength(1);
    expect(answer.feedback[0]).toMatchObject({
      distance_remaining: 2.5,
      number_of_recoveries: 1,
      navigation_time: { sec: 3, nanosec: 500 },
    });
  }, 20000);

  it('lets rclpy cancel a goal running on a kizuna action server', async () => {
    const name = unique('navigate_to_pose');
    node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
      execute: async (goal) => {
        const fb = createMessage('nav2_msgs/action/NavigateToPose_Feedback') as unknown as Feedback;
        fb.distance_remaining = 9;
        goal.publishFeedback(fb);
        const deadline = Date.now() + 5000;
        while (!goal.isCancelRequested && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        const result = createMessage('nav2_msgs/action/NavigateToPose_Result') as unknown as Result;
        return { status: goal.isCancelRequested ? 'canceled' : 'succeeded', result };
      },
    });
    const answer = await peer.request<{ status: number; goals_canceling: number }>('send_goal', {
      name,
      goal: goalTo(9),
      cancel_after_feedback: true,
    });
    expect(answer.goals_canceling).toBe(1);
    expect(answer.status).toBe(STATUS_CANCELED);
  }, 20000);

  it('runs a kizuna NavigateToPose goal on an rclpy action server: feedback, then the result', async () => {
    const name = unique('navigate_to_pose');
    await peer.request('serve_navigate', { name });
    const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
    expect(await client.waitForServer(10)).toBe(true);
    const feedback: Feedback[] = [];
    const handle = await client.sendGoal(goalTo(4.25), (f) => feedback.push(f));
    const outcome = await handle.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result).toEqual({ error_code: 0, error_msg: 'reached 4.25' });
    const deadline = Date.now() + 2000;
    while (feedback.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(feedback.map((f) => [f.distance_remaining, f.number_of_recoveries])).toEqual([[4.25, 2]]);
  }, 20000);

  it('cancels a goal running on an rclpy action server from kizuna, and gets rejected goals as KZ_ERR_GOAL_REJECTED', async () => {
    const name = unique('navigate_to_pose');
    await peer.request('serve_navigate', { name });
    const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
    expect(await client.waitForServer(10)).toBe(true);
    let fed = false;
    const handle = await client.sendGoal(goalTo(1, 'wait_for_cancel'), () => {
      fed = true;
    });
    const deadline = Date.now() + 5000;
    while (!fed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await handle.cancel()).toBe(true);
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled' });
    await expect(client.sendGoal(goalTo(1, 'reject'))).rejects.toMatchObject({ code: 'KZ_ERR_GOAL_REJECTED' });
  }, 20000);
});
