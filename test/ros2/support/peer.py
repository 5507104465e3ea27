"""rclpy peer for kizuna's interop tests: a ROS 2 client we did not write, driven by jest over JSON lines.

Reads one command per line on stdin ({"id": n, "op": ..., ...}), answers each with {"id": n, "ok": true, ...}
or {"id": n, "ok": false, "error": ...}, and writes asynchronous events ({"event": ...}) as they happen:
received messages, QoS and type incompatibilities reported by rmw, action feedback. Integers beyond 2^53
travel as {"$int": "<decimal>"} both ways, so int64/uint64 survive JSON. Started by
test/ros2/support/peer.ts inside the test sandbox (loopback-only network namespace, ROS 2 environment).
"""

import array
import importlib
import json
import re
import sys
import threading
import time
import traceback

import numpy
import rclpy
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.context import Context
from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

SAFE = 2**53
OUT_LOCK = threading.Lock()
FLOAT_TYPES = ('float', 'double')


def emit(obj):
    with OUT_LOCK:
        sys.stdout.write(json.dumps(obj, allow_nan=False) + '\n')
        sys.stdout.flush()


def interface(name):
    """'pkg/msg/Name' (or 'pkg/Name' for messages) -> the rclpy class."""
    parts = name.split('/')
    if len(parts) == 2:
        parts = [parts[0], 'msg', parts[1]]
    pkg, kind, cls = parts
    return getattr(importlib.import_module(f'{pkg}.{kind}'), cls)


def to_json(value):
    if hasattr(value, 'get_fields_and_field_types'):
        return {k: to_json(getattr(value, k)) for k in value.get_fields_and_field_types()}
    if isinstance(value, (array.array, numpy.ndarray)):
        return [to_json(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, numpy.generic):
        return to_json(value.item())
    if isinstance(value, bytes):
        return list(value) if len(value) != 1 else value[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= SAFE:
        return {'$int': str(value)}
    return value


def from_json(value):
    if isinstance(value, dict) and set(value) == {'$int'}:
        return int(value['$int'])
    return value


ELEMENT = re.compile(r'^(?:sequence<(?P<seq>[^,>]+)(?:, \d+)?>|(?P<arr>[^\[]+)\[\d+\])$')


def coerce(field_type, value):
    value = from_json(value)
    m = ELEMENT.match(field_type)
    if m:
        element = m.group('seq') or m.group('arr')
        return [coerce(element, v) for v in value]
    if '/' in field_type:
        msg = interface(field_type)()
        fill(msg, value)
        return msg
    if field_type in FLOAT_TYPES:
        return float(value)
    if field_type in ('octet', 'byte'):
        return bytes([value])
    return value


def fill(msg, data):
    fields = msg.get_fields_and_field_types()
    for key, value in data.items():
        if key not in fields:
            raise ValueError(f'{type(msg).__name__} has no field {key!r}')
        setattr(msg, key, coerce(fields[key], value))
    return msg


def qos_from(spec):
    spec = spec or {}
    return QoSProfile(
        history=HistoryPolicy.KEEP_ALL if spec.get('history') == 'keep_all' else HistoryPolicy.KEEP_LAST,
        depth=int(spec.get('depth', 10)),
        reliability=ReliabilityPolicy.BEST_EFFORT
        if spec.get('reliability') == 'best_effort'
        else ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL
        if spec.get('durability') == 'transient_local'
        else DurabilityPolicy.VOLATILE,
    )


def wait_future(future, timeout):
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    if not done.wait(timeout):
        raise TimeoutError(f'no answer within {timeout} s')
    return future.result()


class Peer:
    def __init__(self, name):
        self.node = Node(name)
        self.group = ReentrantCallbackGroup()
        self.pubs = {}
        self.subs = {}
        self.keep = []
        self.executor = MultiThreadedExecutor(num_threads=4)
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    # ------------------------------------------------------------------ topics
    def op_subscribe(self, topic, type, qos=None):
        def on_msg(msg):
            emit({'event': 'message', 'topic': topic, 'data': to_json(msg)})

        def on_qos(info):
            emit({'event': 'incompatible_qos', 'side': 'subscription', 'topic': topic,
                  'total_count': info.total_count, 'policy': info.last_policy_kind.name})

        def on_type(info):
            emit({'event': 'incompatible_type', 'side': 'subscription', 'topic': topic,
                  'total_count': info.total_count})

        events = SubscriptionEventCallbacks(incompatible_qos=on_qos, incompatible_type=on_type)
        self.subs[topic] = self.node.create_subscription(
            interface(type), topic, on_msg, qos_from(qos), event_callbacks=events, callback_group=self.group)
        return {}

    def op_advertise(self, topic, type, qos=None):
        def on_qos(info):
            emit({'event': 'incompatible_qos', 'side': 'publisher', 'topic': topic,
                  'total_count': info.total_count, 'policy': info.last_policy_kind.name})

        def on_type(info):
            emit({'event': 'incompatible_type', 'side': 'publisher', 'topic': topic,
                  'total_count': info.total_count})

        events = PublisherEventCallbacks(incompatible_qos=on_qos, incompatible_type=on_type)
        self.pubs[topic] = (
            self.node.create_publisher(interface(type), topic, qos_from(qos), event_callbacks=events),
            interface(type),
        )
        return {}

    def op_publish(self, topic, data):
        pub, cls = self.pubs[topic]
        pub.publish(fill(cls(), data))
        return {}

    def op_counts(self, topic):
        return {'publishers': self.node.count_publishers(topic), 'subscribers': self.node.count_subscribers(topic)}

    # ------------------------------------------------------------------ services
    def op_serve_setbool(self, name):
        from std_srvs.srv import SetBool

        def handle(request, response):
            response.success = request.data
            response.message = f'rclpy got {"true" if request.data else "false"}'
            return response

        self.keep.append(self.node.create_service(SetBool, name, handle, callback_group=self.group))
        return {}

    def op_call(self, name, type, request, timeout=5.0):
        cls = interface(type)
        client = self.node.create_client(cls, name, callback_group=self.group)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise TimeoutError(f'service {name} not available within {timeout} s')
            response = wait_future(client.call_async(fill(cls.Request(), request)), timeout)
            return {'response': to_json(response)}
        finally:
            self.node.destroy_client(client)

    # ------------------------------------------------------------------ actions (nav2_msgs/NavigateToPose)
    def op_serve_navigate(self, name):
        from nav2_msgs.action import NavigateToPose

        def on_goal(goal):
            return GoalResponse.REJECT if goal.behavior_tree == 'reject' else GoalResponse.ACCEPT

        def execute(handle):
            x = handle.request.pose.pose.position.x
            feedback = NavigateToPose.Feedback()
            feedback.distance_remaining = float(x)
            feedback.number_of_recoveries = 2
            handle.publish_feedback(feedback)
            result = NavigateToPose.Result()
            if handle.request.behavior_tree == 'wait_for_cancel':
                deadline = time.monotonic() + 5
                while not handle.is_cancel_requested and time.monotonic() < deadline:
                    time.sleep(0.01)
                if handle.is_cancel_requested:
                    handle.canceled()
                    result.error_msg = 'canceled'
                    return result
            result.error_code = 0
            result.error_msg = f'reached {x}'
            handle.succeed()
            return result

        self.keep.append(ActionServer(
            self.node, NavigateToPose, name, execute_callback=execute, goal_callback=on_goal,
            cancel_callback=lambda _h: CancelResponse.ACCEPT, callback_group=self.group))
        return {}

    def op_send_goal(self, name, goal, timeout=10.0, cancel_after_feedback=False):
        from nav2_msgs.action import NavigateToPose

        client = ActionClient(self.node, NavigateToPose, name, callback_group=self.group)
        feedback = []
        got_feedback = threading.Event()

        def on_feedback(msg):
            feedback.append(to_json(msg.feedback))
            got_feedback.set()

        try:
            if not client.wait_for_server(timeout_sec=timeout):
                raise TimeoutError(f'action server {name} not available within {timeout} s')
            handle = wait_future(
                client.send_goal_async(fill(NavigateToPose.Goal(), goal), feedback_callback=on_feedback), timeout)
            if not handle.accepted:
                return {'accepted': False}
            if cancel_after_feedback:
                got_feedback.wait(timeout)
                cancel = wait_future(handle.cancel_goal_async(), timeout)
                canceling = len(cancel.goals_canceling)
            else:
                canceling = None
            result = wait_future(handle.get_result_async(), timeout)
            return {'accepted': True, 'status': result.status, 'result': to_json(result.result),
                    'feedback': feedback, 'goals_canceling': canceling}
        finally:
            client.destroy()

    # ------------------------------------------------------------------ parameters
    def op_remote_parameters(self, node, timeout=5.0):
        """Lists, reads and describes every parameter of `node` through its parameter services."""
        from rcl_interfaces.srv import DescribeParameters, GetParameters, ListParameters

        listed = self.op_call_raw(f'{node}/list_parameters', ListParameters, ListParameters.Request(), timeout)
        names = sorted(listed.result.names)
        got = self.op_call_raw(f'{node}/get_parameters', GetParameters, GetParameters.Request(names=names), timeout)
        described = self.op_call_raw(
            f'{node}/describe_parameters', DescribeParameters, DescribeParameters.Request(names=names), timeout)
        return {
            'names': names,
            'values': {n: to_json(v) for n, v in zip(names, got.values)},
            'descriptors': {d.name: to_json(d) for d in described.descriptors},
        }

    def op_call_raw(self, name, cls, request, timeout):
        client = self.node.create_client(cls, name, callback_group=self.group)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise TimeoutError(f'service {name} not available within {timeout} s')
            return wait_future(client.call_async(request), timeout)
        finally:
            self.node.destroy_client(client)

    def op_rcl_overrides(self, name, namespace, args):
        """The parameter overrides rcl itself reads for node `namespace/name` from a --ros-args command line."""
        context = Context()
        rclpy.init(args=['peer', '--ros-args', *args], context=context)
        try:
            node = Node(name, namespace=namespace, context=context, start_parameter_services=False,
                        enable_rosout=False)
            overrides = {k: {'type': int(p.type_.value), 'value': to_json(p.value)}
                         for k, p in node._parameter_overrides.items()}
            node.destroy_node()
            return {'overrides': overrides}
        finally:
            rclpy.shutdown(context=context)

    def op_constants(self, type):
        cls = interface(type)
        meta = cls.__class__  # rosidl_generator_py keeps the constants in the metaclass's private dict
        return {'constants': {n: to_json(v) for n, v in getattr(meta, f'_{meta.__name__}__constants').items()}}

    def op_node_names(self):
        return {'names': sorted(f'{ns.rstrip("/")}/{n}' for n, ns in self.node.get_node_names_and_namespaces())}

    def op_topic_types(self):
        return {'topics': {t: types for t, types in self.node.get_topic_names_and_types()}}


def main():
    rclpy.init()
    peer = Peer(sys.argv[1] if len(sys.argv) > 1 else 'kizuna_test_peer')
    emit({'event': 'ready', 'rmw': rclpy.get_rmw_implementation_identifier()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        cid = cmd.pop('id')
        op = cmd.pop('op')
        if op == 'exit':
            emit({'id': cid, 'ok': True})
            break

        def run(cid=cid, op=op, cmd=cmd):
            try:
                emit({'id': cid, 'ok': True, **getattr(peer, f'op_{op}')(**cmd)})
            except Exception as e:  # reported to jest, which fails the test with it
                emit({'id': cid, 'ok': False, 'error': f'{type(e).__name__}: {e}', 'trace': traceback.format_exc()})

        threading.Thread(target=run, daemon=True).start()
    peer.executor.shutdown(timeout_sec=1)
    peer.node.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main()
