# kizuna on one robot: every kizuna node as its own process, the way `ros2 launch` users expect.
#
#   ros2 launch kizuna kizuna.launch.py robot_id:=care-017 fleet:=tokyo-east profile:=care \
#       broker_url:=mqtts://broker.example:8883
#
# Each node runs as `node <share>/bin/kizuna.js run <node> --graph rclnodejs --ros-args ...`. The nodes
# other than the safety gate respawn when they exit; when the safety gate exits, the whole stack shuts
# down (a stopped base beats a moving one without its gate: with no cmd_vel publisher left, the base's
# own command timeout stops it). launch/kizuna.launch.xml is the same launch in XML.
#
# By default every node starts as a managed (lifecycle) node, unconfigured, plus lifecycle_manager, which
# configures them all, then activates them all in start order (`ros2 lifecycle get /safety_gate` -> active).
# lifecycle:=false starts them active without the manager, for robot makers who manage nodes themselves
# (managed:=false, the argument's older name, does the same).
#
# The files sit in share/kizuna/launch/ once installed (ament/kizuna/) and in launch/ of the source
# tree; both have bin/ and params/ at the same relative places, so this file finds them next to itself.

import os
import re
import tempfile

import yaml

from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    ExecuteProcess,
    LogInfo,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.substitutions import LaunchConfiguration

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PROFILES = ['care', 'factory', 'delivery', 'farm', 'construction']
LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal']
# Started in this order; safety_gate never respawns and takes the stack down with it. black_box (the
# incident recorder) comes next, so it is up before the nodes whose transitions it records and down after them.
NODES = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge']
SAFETY_NODE = 'safety_gate'
# lifecycle:=true (the default): brings the managed nodes up in NODES order and down in reverse; respawns
# like the others
MANAGER_NODE = 'lifecycle_manager'
# [s] wait before a node that exited is started again (not the safety gate)
RESPAWN_DELAY_S = 2.0
TOPIC_LEVEL = re.compile(r'^[A-Za-z0-9_-]{1,64}$')
# managed's default: whatever lifecycle is (the same text as kizuna.launch.xml's default)
SAME_AS_LIFECYCLE = '$(var lifecycle)'

ARGUMENTS = [
    ('robot_id', None, None,
     "this robot's id, one MQTT topic level (letters, digits, '_', '-'); cloud_bridge's robot_id"),
    ('fleet', 'default', None, 'fleet id, one MQTT topic level; cloud_bridge\'s fleet'),
    ('profile', None, PROFILES,
     'robot profile: care, factory, delivery, farm or construction; selects the default params_file, '
     "the executive's tasks and cloud_bridge's data policy"),
    ('params_file', '', None,
     'ROS 2 parameter YAML for every node; empty: params/<profile>.yaml next to this launch file'),
    ('broker_url', 'mqtt://127.0.0.1:1883', None,
     'MQTT broker of the national model, mqtt:// or mqtts:// (TLS); cloud_bridge\'s broker_url'),
    ('namespace', '', None,
     'ROS namespace of every node, e.g. /robot7 (empty: the root namespace). The parameter file\'s '
     'node sections are moved under it, as Nav2 does'),
    ('use_sim_time', 'false', ['true', 'false'],
     'true: every node follows /clock (simulation, rosbag); false: system time'),
    ('log_level', 'info', LOG_LEVELS, 'log level of every node: debug, info, warn, error or fatal'),
    ('with_cloud_bridge', 'true', ['true', 'false'],
     'false starts the robot without its cloud link (bench tests without a broker)'),
    ('graph', 'rclnodejs', ['rclnodejs', 'inprocess'],
     'rclnodejs on robots; inprocess only to test this launch file without ROS 2 (the nodes cannot '
     'talk to each other then: use it with lifecycle:=false)'),
    ('node_executable', 'node', None, 'the Node.js executable (>= 20.20), a name on PATH or a path'),
    ('lifecycle', 'true', ['true', 'false'],
     'true: every node starts as a managed (lifecycle) node, unconfigured, and lifecycle_manager configures, '
     'then activates them in start order (the safety gate first up, last down); false: they start active, '
     'without the manager (robot makers who manage the nodes themselves)'),
    ('managed', SAME_AS_LIFECYCLE, ['true', 'false'],
     "the older name of lifecycle, kept for launch commands that pass it; when given it wins over lifecycle"),
]


def _arg(context, name):
    return LaunchConfiguration(name).perform(context)


def _fail(message):
    # An exception here is how launch reports a bad argument: it prints it and exits non-zero.
    raise RuntimeError('kizuna.launch.py: ' + message)


def _yaml_str(value):
    # -p values are YAML: quoted, so a robot id such as 0042 stays the string '0042'
    return "'" + value.replace("'", "''") + "'"


def _namespaced_params(params_file, namespace):
    """A copy of params_file with relative node keys moved under namespace (Nav2's RewrittenYaml)."""
    with open(params_file, encoding='utf-8') as f:
        doc = yaml.safe_load(f) or {}
    if not isinstance(doc, dict):
        _fail(f"params_file '{params_file}': the top level must be a map of node names")
    moved = {}
    for key, value in doc.items():
        key = str(key)
        moved[key if key.startswith('/') else f'{namespace}/{key}'] = value
    out = tempfile.NamedTemporaryFile(
        'w', prefix='kizuna-params-', suffix='.yaml', delete=False, encoding='utf-8')
    with out:
        yaml.safe_dump(moved, out, sort_keys=False)
    return out.name


def _nodes(context):
    robot_id = _arg(context, 'robot_id')
    fleet = _arg(context, 'fleet')
    profile = _arg(context, 'profile')
    for name, value in (('robot_id', robot_id), ('fleet', fleet)):
        if not TOPIC_LEVEL.match(value) or value == 'broadcast':
            _fail(f"{name}:='{value}' must be one MQTT topic level: letters, digits, '_' and '-', "
                  "1 to 64 characters, not 'broadcast'")
    params_file = _arg(context, 'params_file') or os.path.join(HERE, 'params', f'{profile}.yaml')
    if not os.path.isfile(params_file):
        _fail(f"params_file:='{params_file}' does not exist")
    namespace = _arg(context, 'namespace').strip()
    if namespace in ('', '/'):
        namespace = '/'
    else:
        namespace = '/' + namespace.strip('/')
        params_file = _namespaced_params(params_file, namespace)
    graph = _arg(context, 'graph')
    with_bridge = _arg(context, 'with_cloud_bridge') == 'true'
    kizuna_js = os.path.join(ROOT, 'bin', 'kizuna.js')
    # managed defaults to lifecycle's value, so a managed:= given on the command line is what counts
    managed = _arg(context, 'managed') == 'true'
    nodes = [n for n in NODES if n != 'cloud_bridge' or with_bridge]

    actions = []
    for node in nodes + ([MANAGER_NODE] if managed else []):
        cmd = [
            _arg(context, 'node_executable'), kizuna_js, 'run', node, '--graph', graph,
            *(['--managed'] if managed and node != MANAGER_NODE else []),
            '--ros-args',
            '-r', f'__ns:={namespace}',
            '--params-file', params_file,
            '-p', f"use_sim_time:={_arg(context, 'use_sim_time')}",
            '--log-level', _arg(context, 'log_level'),
        ]
        if node in ('executive', 'cloud_bridge', 'black_box'):
            cmd += ['-p', f'profile:={profile}']
        if node == MANAGER_NODE:
            cmd += ['-p', 'node_names:=[' + ','.join(nodes) + ']']
        if node == 'cloud_bridge':
            cmd += ['-p', f'robot_id:={_yaml_str(robot_id)}', '-p', f'fleet:={_yaml_str(fleet)}',
                    '-p', f"broker_url:={_yaml_str(_arg(context, 'broker_url'))}"]
        is_gate = node == SAFETY_NODE
        process = ExecuteProcess(
            cmd=cmd,
            name=node,
            output='screen',
            respawn=not is_gate,
            respawn_delay=RESPAWN_DELAY_S,
            # SIGINT first (the nodes stop cleanly; cloud_bridge sends its offline status), then
            # SIGTERM and SIGKILL after these many seconds.
            sigterm_timeout='10',
            sigkill_timeout='5',
        )
        actions.append(process)
        if is_gate:
            actions.append(RegisterEventHandler(OnProcessExit(
                target_action=process,
                on_exit=[
                    LogInfo(msg='kizuna: safety_gate exited; shutting the robot stack down'),
                    EmitEvent(event=Shutdown(reason='safety_gate exited')),
                ],
            )))
    return actions


def generate_launch_description():
    declared = []
    for name, default, choices, description in ARGUMENTS:
        kwargs = {'description': description}
        if default == SAME_AS_LIFECYCLE:
            kwargs['default_value'] = LaunchConfiguration('lifecycle')
        elif default is not None:
            kwargs['default_value'] = default
        if choices is not None:
            kwargs['choices'] = choices
        declared.append(DeclareLaunchArgument(name, **kwargs))
    return LaunchDescription(declared + [OpaqueFunction(function=_nodes)])
