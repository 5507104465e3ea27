/**
 * lifecycle_manager: brings kizuna's managed nodes up in order (configure all, then activate all), down in
 * reverse, watches each active node's heartbeat as its bond, and on a dead node holds the robot safe (the
 * stack is reset: the gate sends zero velocity as it deactivates) until every node answers again, then
 * brings it back up. Modelled on Nav2's lifecycle_manager; std_srvs/srv/Trigger services instead of
 * nav2_msgs/srv/ManageLifecycleNodes (no wheel carries nav2_msgs).
 */
import type { LifecycleState, LifecycleTransition, RosNode, ServiceClient } from '../core/graph/types';
import { timeToSec } from '../core/graph/clock';
import { errorText } from '../core/graph/callbacks';
import { KizunaError } from '../core/errors';
import type { NodeDefinition } from '../core/runner';
import { paramsSchema } from './params';
import { BondWatch, baseName, cannotStart, planSteps, type StackCommand } from './logic';

const D = { OK: 0, WARN: 1, ERROR: 2 } as const;
/** [s] between two asks of a refused deactivate. */
const RETRY_S = 0.25;
const PRIMARY: ReadonlySet<string> = new Set(['unconfigured', 'inactive', 'active', 'finalized']);

interface Managed {
  name: string;
  change: ServiceClient<'lifecycle_msgs/srv/ChangeState'>;
  get: ServiceClient<'lifecycle_msgs/srv/GetState'>;
}

/** Wires lifecycle_manager onto `node`. */
export function start(node: RosNode): void {
  const p = node.declareParameters(paramsSchema);
  const nowSec = (): number => timeToSec(node.now());
  const managed: Managed[] = p.node_names.map((name) => ({
    name,
    change: node.createClient('lifecycle_msgs/srv/ChangeState', `${name}/change_state`),
    get: node.createClient('lifecycle_msgs/srv/GetState', `${name}/get_state`),
  }));
  const order = managed.map((m) => m.name);
  const strangers = p.polled_node_names.filter((n) => !order.includes(n));
  if (strangers.length > 0) {
    throw new KizunaError(
      'KZ_ERR_PARAM_INVALID',
      `lifecycle_manager: polled_node_names names ${strangers.join(', ')}, not in node_names ` +
        `[${order.join(', ')}]: a polled node must be one the manager brings up`,
    );
  }
  const polled = managed.filter((m) => p.polled_node_names.includes(m.name));
  const bond = new BondWatch(p.bond_timeout_s);
  const diag = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic);
  let active = false;
  let recovering = false;
  let busy: Promise<unknown> = Promise.resolve();

  const report = (level: number, message: string): void => {
    diag.publish({
      header: { stamp: node.now(), frame_id: '' },
      status: [
        {
          level,
          name: `${node.name}: stack`,
          message,
          hardware_id: '',
          values: order.map((n) => ({ key: 'node', value: n })),
        },
      ],
    });
  };

  const stateOf = async (m: Managed, timeoutSec = p.transition_timeout_s): Promise<LifecycleState | undefined> => {
    if (!m.get.isServiceReady()) return undefined;
    try {
      const label = (await m.get.call({}, { timeoutSec })).current_state.label;
      return PRIMARY.has(label) ? (label as LifecycleState) : undefined;
    } catch {
      return undefined;
    }
  };

  /** Resolves after `sec` seconds on the node's clock. */
  const sleep = (sec: number): Promise<void> =>
    new Promise((resolve) => {
      const t = node.createTimer(sec, () => {
        t.destroy();
        resolve();
      });
    });

  const callOnce = async (m: Managed, t: LifecycleTransition): Promise<boolean> => {
    try {
      const r = await m.change.call({ transition: { id: 0, label: t } }, { timeoutSec: p.transition_timeout_s });
      return r.success;
    } catch (err) {
      node.logger.error(`${t} of '${m.name}' got no answer: ${errorText(err)}`, { entity: m.name });
      return false;
    }
  };

  /**
   * Runs transition `t` of `m`. A refused deactivate (the gate while the base still moves: it stays
   * active and brakes) is asked again every RETRY_S until deactivate_wait_s has passed.
   */
  const transition = async (m: Managed, t: LifecycleTransition): Promise<boolean> => {
    const t0 = nowSec();
    for (;;) {
      if (await callOnce(m, t)) return true;
      const waited = nowSec() - t0;
      if (t !== 'deactivate' || (await stateOf(m)) !== 'active' || waited + RETRY_S > p.deactivate_wait_s) {
        node.logger.error(`${t} of '${m.name}' failed${waited > 0 ? ` (asked for ${waited.toFixed(2)} s)` : ''}`, {
          code: 'KZ_ERR_LIFECYCLE_REFUSED',
          entity: m.name,
        });
        return false;
      }
      await sleep(RETRY_S);
    }
  };

  /** Runs `command` over the nodes that answer; true when every step succeeded. */
  const run = async (command: StackCommand, waitSec: number): Promise<boolean> => {
    const t0 = nowSec();
    const states: Record<string, LifecycleState> = {};
    for (const m of managed) {
      if (waitSec > 0 && !(await m.get.waitForService(waitSec))) {
        node.logger.error(`'${m.name}' has no lifecycle services after ${waitSec} s`, { entity: m.name });
        return false;
      }
      const s = await stateOf(m);
      if (s) states[m.name] = s;
    }
    const stuck = command === 'startup' || command === 'resume' ? cannotStart(order, states) : [];
    if (stuck.length > 0) {
      node.logger.error(`${command}: ${stuck.join(', ')} cannot be brought up (no answer, or finalized)`);
      return false;
    }
    for (const step of planSteps(command, order, states)) {
      const m = managed.find((x) => x.name === step.node)!;
      if (!(await transition(m, step.transition))) return false;
    }
    node.logger.info(`${command}: done in ${(nowSec() - t0).toFixed(2)} s`, { command });
    return true;
  };

  /** Serialises stack commands: one at a time, in the order asked. */
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = busy.then(f, f);
    busy = next.catch(() => undefined);
    return next;
  };

  const startup = (): Promise<boolean> =>
    serial(async () => {
      const ok = await run('startup', p.service_wait_s);
      if (ok) {
        active = true;
        bond.arm(order, nowSec());
        report(D.OK, 'stack active');
        return true;
      }
      node.logger.error('startup failed: bringing the stack down in reverse order');
      await run('reset', 0);
      active = false;
      report(D.ERROR, 'startup failed; stack reset');
      return false;
    });

  const command = (c: StackCommand, after: boolean): Promise<boolean> =>
    serial(async () => {
      bond.disarm();
      const ok = await run(c, 0);
      active = ok && after;
      if (active) bond.arm(order, nowSec());
      report(ok ? D.OK : D.ERROR, `${c}: ${ok ? 'done' : 'failed'}`);
      return ok;
    });

  const trigger = (name: string, f: () => Promise<boolean>): void => {
    node.createService('std_srvs/srv/Trigger', `~/${name}`, async () => {
      recovering = false;
      const ok = await f();
      return { success: ok, message: ok ? `${name}: done` : `${name}: failed (see the manager's log)` };
    });
  };
  trigger('startup', startup);
  trigger('pause', () => command('pause', false));
  trigger('resume', () => command('resume', true));
  trigger('reset', () => command('reset', false));
  trigger('shutdown', () => command('shutdown', false));
  node.createService('std_srvs/srv/Trigger', '~/is_active', () => ({
    success: active,
    message: active ? 'active' : recovering ? 'recovering' : 'not active',
  }));

  node.createSubscription('std_msgs/msg/String', p.heartbeat_topic, (m) => bond.beat(m.data, nowSec()));

  // Nodes without a kizuna heartbeat (polled_node_names): an answer 'active' from ~/get_state is their beat.
  // One question in flight per node; a node that died or hangs answers nothing and its bond expires.
  const asking = new Set<string>();
  const bondPeriodS = Math.min(p.bond_timeout_s / 4, 1);
  if (polled.length > 0) {
    node.createTimer(bondPeriodS, () => {
      if (!active) return;
      for (const m of polled) {
        if (asking.has(m.name)) continue;
        asking.add(m.name);
        void stateOf(m, p.bond_timeout_s)
          .then((s) => {
            if (s === 'active' && active) bond.beat(baseName(m.name), nowSec());
          })
          .finally(() => asking.delete(m.name));
      }
    });
  }

  // The bond: a dead node resets the stack (the gate deactivates first: zero velocity), then the manager
  // waits for every node to answer again and starts it back up.
  node.createTimer(bondPeriodS, () => {
    if (!active) return;
    const dead = bond.expired(nowSec());
    if (dead.length === 0) return;
    active = false;
    recovering = true;
    bond.disarm();
    const which = dead.map((d) => `${d.node} (silent ${d.silentSec.toFixed(1)} s)`).join(', ');
    node.logger.error(`bond broken: ${which}; holding the robot safe and resetting the stack`);
    report(D.ERROR, `bond broken: ${which}; stack reset, waiting for the node(s) to return`);
    void serial(() => run('reset', 0));
  });
  node.createTimer(p.respawn_check_s, () => {
    if (!recovering) return;
    void serial(async () => {
      const states = await Promise.all(managed.map(stateOf));
      return states.every((s) => s !== undefined && s !== 'finalized');
    }).then(async (back) => {
      if (!back || !recovering) return;
      recovering = false;
      node.logger.info('every managed node answers again: starting the stack back up');
      if (!(await startup())) recovering = true;
    });
  });

  if (p.autostart) void startup();
}

export const definition: NodeDefinition = { name: 'lifecycle_manager', start };
