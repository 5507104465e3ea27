# kizuna in Gazebo Harmonic: the kizuna_station world with kizuna_robot, the ros_gz bridge mapping its
# gz topics onto the ROS names kizuna's nodes use, and kizuna's nodes on sim time.
#
#   ros2 launch kizuna sim_gazebo.launch.py                      # care profile, GUI
#   ros2 launch kizuna sim_gazebo.launch.py headless:=true with_cloud_bridge:=false
#   ros2 launch kizuna sim_gazebo.launch.py gazebo:=false         # no Gazebo: kizuna's built-in sim instead
#
# Needs ros_gz (ros-jazzy-ros-gz: ros_gz_sim, ros_gz_bridge) and Gazebo Harmonic. The assets live in
# sim/gazebo/ (share/kizuna/sim/gazebo/ once installed). Gazebo itself was not run on the machines kizuna is
# built on (sim/README.md, "Gazebo"). gazebo:=false replaces Gazebo's own actions (the simulator and
# ros_gz_bridge) with kizuna's sim_world node: the built-in sim's version of the same world
# (sim/gazebo/kizuna_station.yaml) serving the ROS side of the same bridge.yaml, /clock included, so
# everything else here (the e-stop button, kizuna's nodes on sim time, lifecycle_manager) runs as it would
# with Gazebo; test/ros2/sim-gazebo-launch.test.ts runs it that way.

import os

from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    ExecuteProcess,
    IncludeLaunchDescription,
    SetEnvironmentVariable,
)
from launch.conditions import IfCondition, UnlessCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

HERE = os.path.dirname(os.path.abspath(__file__))
GAZEBO = os.path.join(os.path.dirname(HERE), 'sim', 'gazebo')
WORLD = os.path.join(GAZEBO, 'worlds', 'kizuna_station.sdf')
MODELS = os.path.join(GAZEBO, 'models')
BRIDGE = os.path.join(GAZEBO, 'bridge.yaml')
KIZUNA_LAUNCH = os.path.join(HERE, 'kizuna.launch.py')
KIZUNA_JS = os.path.join(os.path.dirname(HERE), 'bin', 'kizuna.js')

# The Gazebo robot carries one lidar on `scan` (frame `laser`): the care, delivery, farm and
# construction profiles expect that; factory expects two (scan_front, scan_rear).
SIM_PROFILES = ['care', 'delivery', 'farm', 'construction']


def generate_launch_description():
    headless = LaunchConfiguration('headless')
    gazebo = LaunchConfiguration('gazebo')
    args = [
        DeclareLaunchArgument('robot_id', default_value='sim-001',
                              description="robot id for cloud_bridge, one MQTT topic level"),
        DeclareLaunchArgument('fleet', default_value='sim', description='fleet id for cloud_bridge'),
        DeclareLaunchArgument('profile', default_value='care', choices=SIM_PROFILES,
                              description='robot profile (the Gazebo robot has one lidar on scan, so not factory)'),
        DeclareLaunchArgument('params_file', default_value='',
                              description='parameter YAML for every node; empty: the profile\'s'),
        DeclareLaunchArgument('broker_url', default_value='mqtt://127.0.0.1:1883',
                              description='MQTT broker for cloud_bridge'),
        DeclareLaunchArgument('with_cloud_bridge', default_value='false', choices=['true', 'false'],
                              description='start cloud_bridge too (needs a broker and its trusted keys)'),
        DeclareLaunchArgument('headless', default_value='false', choices=['true', 'false'],
                              description='true: run the Gazebo server only, without its GUI'),
        DeclareLaunchArgument('log_level', default_value='info',
                              choices=['debug', 'info', 'warn', 'error', 'fatal'],
                              description='log level of kizuna\'s nodes'),
        DeclareLaunchArgument('lifecycle', default_value='true', choices=['true', 'false'],
                              description='kizuna.launch.py\'s lifecycle: true, its nodes managed and brought up '
                                          'by lifecycle_manager; false, started active'),
        DeclareLaunchArgument('gazebo', default_value='true', choices=['true', 'false'],
                              description='false: no Gazebo and no ros_gz bridge; kizuna\'s built-in sim (the '
                                          'sim_world node) serves the same ROS topics from bridge.yaml, /clock '
                                          'included, in the same world (sim/gazebo/kizuna_station.yaml)'),
    ]

    gz_sim = PathJoinSubstitution([FindPackageShare('ros_gz_sim'), 'launch', 'gz_sim.launch.py'])
    gazebo_gui = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(gz_sim),
        launch_arguments={'gz_args': f'-r {WORLD}', 'on_exit_shutdown': 'true'}.items(),
        condition=IfCondition(PythonExpression(["'", gazebo, "' == 'true' and '", headless, "' != 'true'"])),
    )
    gazebo_server = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(gz_sim),
        launch_arguments={'gz_args': f'-r -s {WORLD}', 'on_exit_shutdown': 'true'}.items(),
        condition=IfCondition(PythonExpression(["'", gazebo, "' == 'true' and '", headless, "' == 'true'"])),
    )

    bridge = Node(
        package='ros_gz_bridge',
        executable='parameter_bridge',
        name='kizuna_gz_bridge',
        parameters=[{'config_file': BRIDGE, 'use_sim_time': True}],
        output='screen',
        condition=IfCondition(gazebo),
    )

    # gazebo:=false: the built-in sim in their place, serving the ROS side of the same bridge configuration.
    # It publishes /clock, so it runs on the wall clock (use_sim_time false).
    sim_world = ExecuteProcess(
        cmd=['node', KIZUNA_JS, 'run', 'sim_world', '--graph', 'rclnodejs', '--ros-args',
             '-p', f'config_file:={BRIDGE}', '-p', ['profile:=', LaunchConfiguration('profile')],
             '--log-level', LaunchConfiguration('log_level')],
        name='sim_world',
        output='screen',
        sigterm_timeout='10',
        sigkill_timeout='5',
        condition=UnlessCondition(gazebo),
    )

    # The gate latches a stop when no e-stop publisher is alive (estop_timeout_s): the simulated robot's
    # e-stop button, released, published at 5 Hz. Press it with: ros2 topic pub estop std_msgs/msg/Bool "{data: true}"
    estop_released = ExecuteProcess(
        cmd=['ros2', 'topic', 'pub', '--rate', '5', '--qos-reliability', 'reliable',
             'estop', 'std_msgs/msg/Bool', '{data: false}'],
        name='sim_estop',
        output='log',
    )

    kizuna = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(KIZUNA_LAUNCH),
        launch_arguments={
            'robot_id': LaunchConfiguration('robot_id'),
            'fleet': LaunchConfiguration('fleet'),
            'profile': LaunchConfiguration('profile'),
            'params_file': LaunchConfiguration('params_file'),
            'broker_url': LaunchConfiguration('broker_url'),
            'with_cloud_bridge': LaunchConfiguration('with_cloud_bridge'),
            'log_level': LaunchConfiguration('log_level'),
            'lifecycle': LaunchConfiguration('lifecycle'),
            'use_sim_time': 'true',
        }.items(),
    )

    return LaunchDescription(args + [
        SetEnvironmentVariable('GZ_SIM_RESOURCE_PATH',
                               os.pathsep.join(p for p in [MODELS, os.environ.get('GZ_SIM_RESOURCE_PATH', '')] if p)),
        gazebo_gui,
        gazebo_server,
        bridge,
        sim_world,
        estop_released,
        kizuna,
    ])
